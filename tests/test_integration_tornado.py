"""skiesish.integrations.tornado: py-healthcheck's TornadoHandler, with checks run off the event loop."""

from __future__ import annotations

import importlib
import importlib.util
import json
import runpy
import sys
import threading
from pathlib import Path

import pytest
import tornado.locks
import tornado.web
from tornado.ioloop import IOLoop
from tornado.testing import AsyncHTTPTestCase, gen_test

from skiesish.exceptions import MissingExtraError
from skiesish.integrations.tornado import TornadoHandler

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OK_BODY = '{"status": "success"}'


class StandIn:
    """A checker in py-healthcheck's shape: ``run()`` returns ``(body, status, headers)``."""

    def __init__(self, body="", status=200, headers=None):
        self.answer = (body, status, {"Content-Type": "application/json"} if headers is None else headers)
        self.calls = []

    def run(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.answer


class SlowStandIn:
    """A 2 s check: ``run()`` tells the loop it started, then waits up to 2 s for ``release``."""

    def __init__(self):
        self.started = tornado.locks.Event()
        self.release = threading.Event()
        self.loop: IOLoop | None = None
        self.was_released = None

    def run(self):
        assert self.loop is not None
        self.loop.add_callback(self.started.set)
        self.was_released = self.release.wait(2)
        return OK_BODY, 200, {}


class TornadoHandlerTest(AsyncHTTPTestCase):
    """TornadoHandler with stand-in checkers, served by a real Tornado HTTP server."""

    def get_app(self):
        self.slow = SlowStandIn()
        self.slow.loop = self.io_loop
        self.fast = StandIn(OK_BODY)
        self.by_path = StandIn(OK_BODY)
        return tornado.web.Application(
            [
                ("/slow", TornadoHandler, dict(checker=self.slow)),
                ("/fast", TornadoHandler, dict(checker=self.fast)),
                ("/failing", TornadoHandler, dict(checker=StandIn('{"status": "failure"}', 500))),
                ("/pairs", TornadoHandler, dict(checker=StandIn(b"OK", 200, [("X-Checked", "yes")]))),
                ("/no-content", TornadoHandler, dict(checker=StandIn("ignored", 204, {}))),
                ("/dict-body", TornadoHandler, dict(checker=StandIn({"status": "success"}, 200, {}))),
                ("/number-body", TornadoHandler, dict(checker=StandIn(42))),
                ("/not-a-checker", TornadoHandler, dict(checker=object())),
                (r"/check/(.*)", TornadoHandler, dict(checker=self.by_path)),
            ]
        )

    @gen_test(timeout=10)
    async def test_a_slow_check_does_not_delay_another_handler_on_the_loop(self):
        """While /slow's 2 s check runs, /fast on the same loop answers first."""
        finished = []
        slow = self.http_client.fetch(self.get_url("/slow"))
        slow.add_done_callback(lambda _: finished.append("slow"))
        await self.slow.started.wait()
        await self.http_client.fetch(self.get_url("/fast"))
        finished.append("fast")
        self.slow.release.set()
        await slow
        assert finished == ["fast", "slow"]
        assert self.slow.was_released is True

    def test_the_checker_answer_is_sent_as_it_is(self):
        """Body, status and headers from run() become the response, with Content-Length."""
        response = self.fetch("/failing")
        assert (response.code, response.body) == (500, b'{"status": "failure"}')
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Content-Length"] == str(len(response.body))

    def test_headers_may_be_name_value_pairs(self):
        """run() may return its headers as (name, value) pairs instead of a dict."""
        response = self.fetch("/pairs")
        assert (response.code, response.body, response.headers["X-Checked"]) == (200, b"OK", "yes")

    def test_head_has_the_headers_of_get_and_no_body(self):
        """HEAD gets GET's status and Content-Length, and no body."""
        response = self.fetch("/fast", method="HEAD")
        assert (response.code, response.body) == (200, b"")
        assert response.headers["Content-Length"] == str(len(OK_BODY))

    def test_an_answer_is_never_304_not_modified(self):
        """A probe sending If-None-Match still gets the current status: no ETag, no 304."""
        response = self.fetch("/fast", headers={"If-None-Match": "*"})
        assert (response.code, response.body) == (200, OK_BODY.encode())
        assert "Etag" not in response.headers

    def test_a_no_content_status_is_sent_without_a_body(self):
        """A 204 from run() is answered without the body it came with."""
        response = self.fetch("/no-content")
        assert (response.code, response.body) == (204, b"")

    def test_url_groups_are_passed_to_run(self):
        """As in py-healthcheck, the URL pattern's groups are run()'s arguments."""
        self.fetch("/check/database")
        assert self.by_path.calls == [(("database",), {})]

    def test_a_dict_body_is_sent_as_json(self):
        """As with py-healthcheck's handler, a dict body is sent as JSON, typed application/json."""
        response = self.fetch("/dict-body")
        assert (response.code, json.loads(response.body)) == (200, {"status": "success"})
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"

    def test_a_body_of_another_type_is_a_500_naming_the_type(self):
        """run() returning a number as body answers 500 and logs a TypeError naming what was expected."""
        with self.assertLogs("tornado.application", "ERROR") as logs:
            response = self.fetch("/number-body")
        assert response.code == 500
        assert "str, bytes or dict, got a body of type int" in str(logs.records[0].exc_info[1])

    def test_a_checker_without_run_is_a_500_naming_what_was_expected(self):
        """checker=object() answers 500 and logs a TypeError asking for a run() method."""
        with self.assertLogs("tornado.application", "ERROR") as logs:
            response = self.fetch("/not-a-checker")
        assert response.code == 500
        assert "an object with a run() method" in str(logs.records[0].exc_info[1])
        assert "got object" in str(logs.records[0].exc_info[1])


class RealHealthCheckTest(AsyncHTTPTestCase):
    """TornadoHandler with skiesish.integrations.healthcheck's HealthCheck and EnvironmentDump."""

    def get_app(self):
        from skiesish.integrations.healthcheck import EnvironmentDump, HealthCheck

        self.release = threading.Event()
        self.started = tornado.locks.Event()

        def slow_dependency():
            self.io_loop.add_callback(self.started.set)
            return self.release.wait(2), "answered"

        healthy = HealthCheck()
        healthy.add_check(lambda: (True, "database ok"))
        slow = HealthCheck(error_timeout=10)
        slow.add_check(slow_dependency)
        dump = EnvironmentDump(include_os=False, include_python=False, include_process=False, app={"n": 1})
        return tornado.web.Application(
            [
                ("/healthcheck", TornadoHandler, dict(checker=healthy)),
                ("/slow", TornadoHandler, dict(checker=slow)),
                ("/environment", TornadoHandler, dict(checker=dump)),
            ]
        )

    def test_health_check_answers_with_py_healthcheck_json(self):
        """The real HealthCheck's run() answer reaches the client: 200 and its results."""
        response = self.fetch("/healthcheck")
        body = json.loads(response.body)
        assert (response.code, body["status"]) == (200, "success")
        assert body["results"][0]["output"] == "database ok"

    def test_environment_dump_answers_its_sections(self):
        """The real EnvironmentDump's sections are served as JSON."""
        response = self.fetch("/environment")
        assert (response.code, json.loads(response.body)) == (200, {"app": {"n": 1}})

    @gen_test(timeout=10)
    async def test_a_slow_real_check_does_not_delay_another_handler(self):
        """While the real HealthCheck waits on a 2 s check, another handler answers first."""
        finished = []
        slow = self.http_client.fetch(self.get_url("/slow"))
        slow.add_done_callback(lambda _: finished.append("slow"))
        await self.started.wait()
        await self.http_client.fetch(self.get_url("/healthcheck"))
        finished.append("healthcheck")
        self.release.set()
        await slow
        assert finished == ["healthcheck", "slow"]


class ExampleTest(AsyncHTTPTestCase):
    """examples/tornado_app.py, served by a real Tornado HTTP server."""

    def get_app(self):
        return runpy.run_path(str(EXAMPLES / "tornado_app.py"))["application"]

    def test_the_example_answers_its_health_check(self):
        """/healthcheck is healthy and names its disk check."""
        response = self.fetch("/healthcheck")
        assert response.code == 200
        assert json.loads(response.body)["results"][0]["checker"] == "temporary_folder_has_room"

    def test_the_example_answers_its_environment(self):
        """/environment shows the application section and no process section."""
        body = json.loads(self.fetch("/environment").body)
        assert body["application"] == {"name": "tornado example"}
        assert "process" not in body


def test_without_tornado_the_import_names_the_extra(monkeypatch):
    """Importing the integration without tornado raises MissingExtraError naming skiesish[tornado]."""
    for name in ("tornado", "tornado.web", "tornado.ioloop"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "skiesish.integrations.tornado")
    with pytest.raises(MissingExtraError, match=r"pip install 'skiesish\[tornado\]'"):
        importlib.import_module("skiesish.integrations.tornado")
