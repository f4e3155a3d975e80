"""The py-healthcheck API's cached answers: made without a thread hop, never shared between callers."""

from __future__ import annotations

import json

import pytest
import tornado.web
from tornado.testing import AsyncHTTPTestCase

from skiesish.integrations.flask import HealthCheck
from skiesish.integrations.tornado import TornadoHandler


def passing():
    """A check that passes with a message."""
    return True, "fine"


def test_run_if_fresh_answers_only_once_every_result_is_fresh():
    """Before the first run there is nothing fresh; after it, the same answer as run() without a run."""
    health = HealthCheck()
    health.add_check(passing)
    assert health.run_if_fresh() is None
    health.run()
    health.run()  # from the cache: kept from here on
    body, status, _ = health.run_if_fresh()
    assert status == 200
    assert json.loads(body)["results"][0]["output"] == "fine"


@pytest.mark.parametrize(
    "configure",
    [
        lambda health: health.add_section("version", lambda: "1.2.3"),
        lambda health: setattr(health, "success_handler", lambda results, **sections: "custom"),
    ],
    ids=["a section", "a custom handler"],
)
def test_run_if_fresh_declines_when_code_of_the_users_makes_the_answer(configure):
    """Sections and custom handlers are code that may block: such answers are made on a worker thread."""
    health = HealthCheck()
    health.add_check(passing)
    configure(health)
    health.run()
    health.run()
    assert health.run_if_fresh() is None


def test_run_if_fresh_declines_an_unknown_check():
    """An unknown name is left to run(), which says what is wrong."""
    health = HealthCheck()
    health.add_check(passing)
    health.run()
    assert health.run_if_fresh("nope") is None
    with pytest.raises(LookupError, match="no check is named 'nope'"):
        health.run("nope")


def test_each_caller_gets_result_dicts_of_its_own():
    """A handler that changes the result dicts it is given cannot change the next caller's."""
    seen = []

    def meddling_handler(results, **sections):
        seen.append(dict(results[0]))
        results[0]["output"] = "changed by a handler"
        return json.dumps(results)

    health = HealthCheck(success_handler=meddling_handler)
    health.add_check(passing)
    for _ in range(3):
        health.run()
    assert [result["output"] for result in seen] == ["fine", "fine", "fine"]


class TestTornadoSkipsTheThreadForFreshAnswers(AsyncHTTPTestCase):
    """Through a real Tornado server: fresh answers are made on the loop, others on the executor."""

    def get_app(self):
        self.health = HealthCheck()
        self.health.add_check(passing)
        return tornado.web.Application([(r"/healthcheck", TornadoHandler, {"checker": self.health})])

    def test_a_fresh_answer_needs_no_executor(self):
        """The first probes run on the executor; once every result is fresh, none does."""
        hops = []
        loop_class = type(self.io_loop)
        real = loop_class.run_in_executor

        def counted(loop, executor, function, *arguments):
            hops.append(function)
            return real(loop, executor, function, *arguments)

        loop_class.run_in_executor = counted
        try:
            answers = [self.fetch("/healthcheck") for _ in range(5)]
        finally:
            loop_class.run_in_executor = real
        assert [answer.code for answer in answers] == [200] * 5
        assert [json.loads(answer.body)["status"] for answer in answers] == ["success"] * 5
        assert 1 <= len(hops) <= 2  # the run, and possibly the first answer from the cache


@pytest.mark.parametrize("passes", [True, False])
@pytest.mark.parametrize("hostname", ["web-1", 'hôte "quoted" \\ name'])
def test_the_default_json_body_is_byte_for_byte_json_dumps(monkeypatch, passes, hostname):
    """The body made around the timestamp equals py-healthcheck's json.dumps of the same values."""
    import socket
    import time

    from skiesish.integrations.healthcheck import json_failed_handler, json_success_handler

    monkeypatch.setattr(socket, "gethostname", lambda: hostname)
    monkeypatch.setattr(time, "time", lambda: 1764650000.123456)
    health = HealthCheck()
    health.add_check(lambda: (passes, 'say "é" \\ and </script>'))
    body, status, _ = health.run()
    handler = json_success_handler if passes else json_failed_handler
    results = json.loads(body)["results"]
    assert body == handler(results)
    assert status == (200 if passes else 500)


def test_the_default_json_body_follows_a_new_result_and_a_new_host_name(monkeypatch):
    """A new result or a changed host name is never answered with the body made before."""
    import socket

    outcome = {"passed": True}
    health = HealthCheck(success_ttl=None, failed_ttl=None)
    health.add_check(lambda: (outcome["passed"], "said"))
    assert json.loads(health.run()[0])["status"] == "success"
    outcome["passed"] = False
    assert json.loads(health.run()[0])["status"] == "failure"
    monkeypatch.setattr(socket, "gethostname", lambda: "renamed-host")
    assert json.loads(health.run()[0])["hostname"] == "renamed-host"


def test_a_fresh_report_reads_the_host_name_at_most_once_per_refresh(monkeypatch):
    """socket.gethostname() (which lets go of the GIL) is not called again for each cached probe."""
    import socket

    from skiesish.integrations import healthcheck

    calls = []
    monkeypatch.setattr(socket, "gethostname", lambda: calls.append(1) or "web-1")
    monkeypatch.setattr(healthcheck, "HOSTNAME_REFRESH", 3600.0)
    health = HealthCheck(success_ttl=60)
    health.add_check(lambda: (True, "said"))
    bodies = [json.loads(health.run()[0]) for _ in range(5)]
    assert [body["hostname"] for body in bodies] == ["web-1"] * 5
    assert len(calls) == 2  # the run's own report, then the report kept from its cached result


def test_a_renamed_host_shows_once_the_refresh_is_due_even_with_the_same_report(monkeypatch):
    """With the report unchanged, a new host name is read once HOSTNAME_REFRESH has passed."""
    import socket

    from skiesish.integrations import healthcheck

    monkeypatch.setattr(healthcheck, "HOSTNAME_REFRESH", 0.0)
    health = HealthCheck(success_ttl=60)
    health.add_check(lambda: (True, "said"))
    monkeypatch.setattr(socket, "gethostname", lambda: "web-1")
    assert json.loads(health.run()[0])["hostname"] == "web-1"
    monkeypatch.setattr(socket, "gethostname", lambda: "renamed-host")
    assert json.loads(health.run()[0])["hostname"] == "renamed-host"
