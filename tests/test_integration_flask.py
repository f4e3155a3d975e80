"""skiesish.integrations.flask: py-healthcheck's, Runscope's and flask-healthz's APIs on the health engine."""

from __future__ import annotations

import http.client
import json
import logging
import runpy
import sys
import threading
import types
from pathlib import Path
from urllib.parse import urlsplit

import flask
import pytest
from webtest.http import StopableWSGIServer

import skiesish
from skiesish.exceptions import ConfigurationError, MissingExtraError
from skiesish.integrations.flask import (
    EnvironmentDump,
    HealthCheck,
    HealthError,
    Healthz,
    healthz,
    json_failed_handler,
    json_success_handler,
)
from skiesish.logging import ProbeLogFilter
from skiesish.scrubbing import MASK

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RESULT_KEYS = {"checker", "output", "passed", "timestamp", "expires", "response_time"}


@pytest.fixture
def app() -> flask.Flask:
    """A bare Flask application."""
    return flask.Flask("test_integration_flask")


@pytest.fixture
def hang():
    """A check that blocks until the test ends (then it is released, so no thread outlives the test)."""
    release = threading.Event()

    def hung() -> bool:
        release.wait()
        return True

    yield hung
    release.set()


def passing() -> tuple[bool, str]:
    return True, "all good"


def failing() -> tuple[bool, str]:
    return False, "disk full"


def counting(result: tuple[bool, str]) -> tuple[types.SimpleNamespace, object]:
    """A check returning ``result`` and a namespace whose ``calls`` counts its runs."""
    seen = types.SimpleNamespace(calls=0)

    def counted() -> tuple[bool, str]:
        seen.calls += 1
        return result

    return seen, counted


def results_of(health: HealthCheck, check: str | None = None) -> dict[str, dict[str, object]]:
    """``run()``'s results, by checker name."""
    body, _, _ = health.run(check)
    return {result["checker"]: result for result in json.loads(body)["results"]}


class EngineWaiters:
    """Counts the threads that have joined a run in the engine (entered its ``_wait``).

    A profile hook on the threads started while it is active: a thread in
    ``_wait`` holds the run it will take its result from, whatever happens next.
    """

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.condition = threading.Condition()

    def __enter__(self) -> EngineWaiters:
        threading.setprofile(self._profile)
        return self

    def __exit__(self, *exc_info: object) -> None:
        threading.setprofile(None)  # type: ignore[arg-type]

    def _profile(self, frame: types.FrameType, event: str, arg: object) -> None:
        if (
            event == "call"
            and frame.f_code.co_name == "_wait"
            and frame.f_globals.get("__name__") == "skiesish.health.engine"
        ):
            with self.condition:
                self.threads.add(threading.get_ident())
                self.condition.notify_all()

    def wait_for(self, count: int) -> None:
        """Block until ``count`` threads have joined a run; fail the test if they never do."""
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.threads) >= count, timeout=30):
                pytest.fail(f"only {len(self.threads)} of {count} threads reached the engine's wait")


# -- HealthCheck: the JSON -------------------------------------------------------


def test_passing_checks_answer_200_with_py_healthcheck_json(app):
    """Every check passing: 200, application/json, py-healthcheck's keys and value types."""
    HealthCheck(app, "/healthcheck", checkers=[passing])
    response = app.test_client().get("/healthcheck")
    assert (response.status_code, response.content_type) == (200, "application/json")
    body = response.get_json()
    assert set(body) == {"hostname", "status", "timestamp", "results"}
    assert (body["status"], type(body["hostname"]), type(body["timestamp"])) == ("success", str, float)
    [result] = body["results"]
    assert set(result) == RESULT_KEYS
    assert (result["checker"], result["output"], result["passed"]) == ("passing", "all good", True)
    assert all(isinstance(result[key], float) for key in ("timestamp", "expires", "response_time"))


def test_a_failing_check_answers_500_failure(app):
    """One check failing: 500 and status "failure", the failing result showing its output."""
    HealthCheck(app, "/healthcheck", checkers=[passing, failing])
    response = app.test_client().get("/healthcheck")
    assert (response.status_code, response.get_json()["status"]) == (500, "failure")
    assert [(r["checker"], r["passed"], r["output"]) for r in response.get_json()["results"]] == [
        ("passing", True, "all good"),
        ("failing", False, "disk full"),
    ]


def test_expires_is_timestamp_plus_the_ttl_of_the_outcome():
    """A passing result expires success_ttl after its timestamp, a failing one failed_ttl after."""
    results = results_of(HealthCheck(success_ttl=30, failed_ttl=7, checkers=[passing, failing]))
    assert results["passing"]["expires"] - results["passing"]["timestamp"] == pytest.approx(30)
    assert results["failing"]["expires"] - results["failing"]["timestamp"] == pytest.approx(7)


def test_an_exception_becomes_a_failed_result_with_its_message():
    """A checker that raises fails, its output naming the exception and its message."""

    def broken() -> bool:
        raise ValueError("no route to host")

    result = results_of(HealthCheck(checkers=[broken]))["broken"]
    assert (result["passed"], result["output"]) == (False, "ValueError: no route to host")


def test_a_health_error_fails_with_its_message_alone():
    """HealthError is the way to fail with a message of one's own."""

    def low_disk() -> bool:
        raise HealthError("only 2% of /var is free")

    assert results_of(HealthCheck(checkers=[low_disk]))["low_disk"]["output"] == "only 2% of /var is free"


def test_exception_handler_decides_what_an_exception_means():
    """py-healthcheck's exception_handler(checker, error) gives (passed, output) for a raising checker."""

    def broken() -> bool:
        raise ValueError("flaky")

    health = HealthCheck(
        checkers=[broken], exception_handler=lambda checker, error: (True, f"ignored {error}")
    )
    assert results_of(health)["broken"]["output"] == "ignored flaky"
    assert health.run()[1] == 200


def test_a_truthy_non_bool_passed_passes_as_in_py_healthcheck():
    """(1, "ok") passes: py-healthcheck read ``passed`` by truthiness."""
    result = results_of(HealthCheck(checkers=[lambda: (1, "ok")]))["<lambda>"]
    assert (result["passed"], result["output"]) == (True, "ok")


def test_a_structured_output_is_shown_as_scrubbed_json_text():
    """A dict output becomes JSON text, secrets masked."""
    result = results_of(HealthCheck(checkers=[lambda: (True, {"replicas": 3, "password": "hunter2"})]))
    assert json.loads(result["<lambda>"]["output"]) == {"replicas": 3, "password": MASK}


def test_outputs_are_scrubbed():
    """A secret in a failure message (a URL's password) is masked."""

    def database() -> bool:
        raise HealthError("cannot reach postgres://app:hunter2@db/app")

    assert results_of(HealthCheck(checkers=[database]))["database"]["output"] == (
        f"cannot reach postgres://app:{MASK}@db/app"
    )


def test_an_async_check_is_awaited():
    """An ``async def`` checker works like a plain one."""

    async def asynchronous() -> tuple[bool, str]:
        return False, "awaited"

    result = results_of(HealthCheck(checkers=[asynchronous]))["asynchronous"]
    assert (result["passed"], result["output"]) == (False, "awaited")


def test_checks_of_the_same_name_are_told_apart():
    """Two lambdas both run, the second shown as "<lambda> (2)"."""
    health = HealthCheck(checkers=[lambda: (True, "first"), lambda: (False, "second")])
    assert {name: result["output"] for name, result in results_of(health).items()} == {
        "<lambda>": "first",
        "<lambda> (2)": "second",
    }


# -- HealthCheck: handlers, statuses, headers --------------------------------------


def test_handlers_receive_the_list_of_result_dicts_and_the_sections():
    """success_handler is called like py-healthcheck's: (results, **sections)."""
    calls = []

    def handler(results: list[dict[str, object]], **sections: object) -> str:
        calls.append((results, sections))
        return "custom"

    health = HealthCheck(checkers=[passing], success_handler=handler, region="eu-west-1")
    assert health.run()[0] == "custom"
    [(results, sections)] = calls
    assert ([set(result) for result in results], sections) == ([RESULT_KEYS], {"region": "eu-west-1"})


def test_without_handlers_the_body_is_ok_or_not_ok():
    """success_handler=None answers "OK", failed_handler=None "NOT OK", as in py-healthcheck."""
    assert HealthCheck(checkers=[passing], success_handler=None).run()[0] == "OK"
    assert HealthCheck(checkers=[failing], failed_handler=None).run()[0] == "NOT OK"


def test_statuses_and_headers_are_configurable(app):
    """failed_status and failed_headers are what a failing answer carries."""
    HealthCheck(
        app,
        "/healthcheck",
        checkers=[failing],
        failed_status=503,
        failed_headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
    response = app.test_client().get("/healthcheck")
    assert (response.status_code, response.headers["Cache-Control"]) == (503, "no-store")


def test_default_handlers_merge_sections_into_the_body():
    """json_success_handler and json_failed_handler put the sections at the top level."""
    assert json.loads(json_success_handler([], version="2"))["version"] == "2"
    assert json.loads(json_failed_handler([]))["status"] == "failure"


# -- HealthCheck: routes ---------------------------------------------------------------


def test_init_app_registers_the_endpoint(app):
    """HealthCheck().init_app(app, path) answers at path, as Runscope's did."""
    HealthCheck(checkers=[passing]).init_app(app, "/status")
    assert app.test_client().get("/status").get_json()["status"] == "success"


def test_run_serves_as_a_view_function(app):
    """py-healthcheck's ``view_func=health.run`` works unchanged."""
    health = HealthCheck(checkers=[failing])
    app.add_url_rule("/healthcheck", "healthcheck", view_func=health.run)
    assert app.test_client().get("/healthcheck").status_code == 500


def test_head_answers_without_a_body(app):
    """HEAD gets GET's status and no body."""
    HealthCheck(app, "/healthcheck", checkers=[passing])
    response = app.test_client().head("/healthcheck")
    assert (response.status_code, response.data) == (200, b"")


def test_the_check_parameter_runs_one_check(app):
    """``?check=name`` runs and reports that check alone."""
    HealthCheck(app, "/healthcheck", checkers=[passing, failing])
    response = app.test_client().get("/healthcheck?check=passing")
    assert (response.status_code, [r["checker"] for r in response.get_json()["results"]]) == (
        200,
        ["passing"],
    )


def test_the_check_parameter_with_an_unknown_name_is_404(app):
    """A typo in ``?check=`` is a 404 saying so, not an empty success."""
    HealthCheck(app, "/healthcheck", checkers=[passing])
    response = app.test_client().get("/healthcheck?check=pasing")
    assert (response.status_code, response.get_json()["title"]) == (404, "no check is named 'pasing'")


def test_run_with_an_unknown_check_raises():
    """run(check=...) with a name no check has raises LookupError naming the checks."""
    with pytest.raises(LookupError, match=r"no check is named 'nope'; the checks are \['passing'\]"):
        HealthCheck(checkers=[passing]).run("nope")


# -- HealthCheck: engine behaviour ---------------------------------------------------------


def test_a_passing_result_is_reused_for_success_ttl():
    """Within success_ttl a second run reuses the result: the checker ran once."""
    seen, check = counting((True, "ok"))
    health = HealthCheck(checkers=[check])
    first, second = results_of(health), results_of(health)
    assert (seen.calls, first == second) == (1, True)


def test_a_failing_result_is_reused_for_failed_ttl():
    """Within failed_ttl a failure is reused too."""
    seen, check = counting((False, "down"))
    health = HealthCheck(checkers=[check])
    health.run()
    health.run()
    assert seen.calls == 1


def test_a_ttl_of_zero_runs_the_check_every_time():
    """success_ttl=0 (or None) disables the cache, as in py-healthcheck."""
    seen, check = counting((True, "ok"))
    health = HealthCheck(checkers=[check], success_ttl=0)
    health.run()
    health.run()
    assert seen.calls == 2


def test_concurrent_runs_share_one_run_of_each_check():
    """Requests arriving while a check runs wait for that run instead of starting their own."""
    started, release = threading.Event(), threading.Event()
    seen = types.SimpleNamespace(calls=0)

    def slow() -> bool:
        seen.calls += 1
        started.set()
        release.wait()
        return True

    health = HealthCheck(checkers=[slow], success_ttl=0, error_timeout=60)
    bodies: list[str] = []
    with EngineWaiters() as waiters:
        threads = [threading.Thread(target=lambda: bodies.append(health.run()[0])) for _ in range(6)]
        threads[0].start()
        started.wait()
        for thread in threads[1:]:
            thread.start()
        waiters.wait_for(len(threads))
        release.set()
        for thread in threads:
            thread.join()
    assert seen.calls == 1
    assert len({json.dumps(json.loads(body)["results"]) for body in bodies}) == 1


def test_a_hung_check_fails_at_error_timeout_while_others_pass(app, hang):
    """A checker past error_timeout is reported failed with the timeout; the others are unaffected."""
    HealthCheck(app, "/healthcheck", checkers=[hang, passing], error_timeout=0.05)
    response = app.test_client().get("/healthcheck")
    results = {result["checker"]: result for result in response.get_json()["results"]}
    assert response.status_code == 500
    assert (results["hung"]["passed"], results["hung"]["output"]) == (False, "timed out after 0.05 s")
    assert results["passing"]["passed"] is True


def test_checks_added_after_a_run_are_run_too():
    """add_check after the first run rebuilds the engine: the next run includes the new check."""
    health = HealthCheck(checkers=[passing])
    health.run()
    health.add_check(failing)
    assert (set(results_of(health)), health.run()[1]) == ({"passing", "failing"}, 500)


def test_add_check_returns_the_function_so_it_decorates():
    """``@health.add_check`` leaves the function as it was."""
    health = HealthCheck()
    assert health.add_check(passing) is passing


def test_error_timeout_zero_means_the_default_deadline():
    """py-healthcheck's error_timeout=0 ("no timeout") gets the engine's 5 s: no check may hang a probe."""
    assert HealthCheck(error_timeout=0).error_timeout == 5.0


@pytest.mark.parametrize(
    ("key", "value"),
    [("error_timeout", -1), ("error_timeout", "5"), ("error_timeout", float("inf")), ("success_ttl", -1)],
)
def test_bad_seconds_are_refused(key, value):
    """Negative, infinite or non-numeric seconds raise ConfigurationError naming the key."""
    with pytest.raises(ConfigurationError, match=f"{key} must be a number of seconds"):
        HealthCheck(**{key: value})


# -- HealthCheck: sections -------------------------------------------------------------------


def test_sections_are_added_and_scrubbed():
    """Sections from the constructor and add_section appear at the top level, secrets masked."""
    health = HealthCheck(version="1.4.2")
    health.add_section("database", lambda: "postgres://app:hunter2@db/app")
    body = json.loads(health.run()[0])
    assert (body["version"], body["database"]) == ("1.4.2", f"postgres://app:{MASK}@db/app")


def test_a_section_that_raises_shows_the_error():
    """A section function that raises reads "error: TypeName: message" instead of vanishing."""
    health = HealthCheck()
    health.add_section("build", lambda: {}["missing"])
    assert json.loads(health.run()[0])["build"] == "error: KeyError: 'missing'"


def test_a_section_name_can_be_taken_only_once():
    """A second section of the same name raises, as in py-healthcheck."""
    health = HealthCheck(version="1")
    with pytest.raises(ConfigurationError, match='The name "version" is already taken'):
        health.add_section("version", "2")


@pytest.mark.parametrize("name", ["hostname", "status", "timestamp", "results"])
def test_a_section_may_not_replace_the_bodys_own_keys(name):
    """A section called "status" would hide the status: it is refused."""
    with pytest.raises(ConfigurationError, match=f"the section name '{name}' is one of the body's own keys"):
        HealthCheck().add_section(name, "x")


# -- EnvironmentDump ---------------------------------------------------------------------------


def test_environment_dump_has_py_healthcheck_sections_and_keys():
    """run() answers 200 JSON with os, python and process, under py-healthcheck's key names."""
    body, status, headers = EnvironmentDump().run()
    data = json.loads(body)
    assert (status, headers, list(data)) == (
        200,
        {"Content-Type": "application/json"},
        ["os", "python", "process"],
    )
    assert set(data["os"]) == {"platform", "name", "uname"}
    assert set(data["python"]) == {"version", "executable", "pythonpath", "version_info", "packages"}
    assert set(data["process"]) == {"argv", "cwd", "user", "pid", "environ"}


def test_environment_dump_masks_secret_environment_variables(monkeypatch):
    """A secret-named variable and a URL's password are masked; an innocent variable is shown."""
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_abcdefghij1234")
    monkeypatch.setenv("CACHE_URL", "redis://:hunter2@cache:6379")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    environ = json.loads(EnvironmentDump().run()[0])["process"]["environ"]
    assert (environ["STRIPE_API_KEY"], environ["CACHE_URL"], environ["LOG_LEVEL"]) == (
        MASK,
        f"redis://:{MASK}@cache:6379",
        "debug",
    )


def test_environment_dump_sections_can_be_left_out():
    """include_os/include_python/include_process=False drop those sections."""
    dump = EnvironmentDump(include_os=False, include_python=False, include_process=False)
    assert json.loads(dump.run()[0]) == {}


def test_environment_dump_custom_sections_are_scrubbed():
    """Custom sections (values and functions) are shown, scrubbed."""
    dump = EnvironmentDump(False, False, False, application={"name": "shop", "secret_key": "s3cret"})
    dump.add_section("build", lambda: {"commit": "abc123"})
    assert json.loads(dump.run()[0]) == {
        "application": {"name": "shop", "secret_key": MASK},
        "build": {"commit": "abc123"},
    }


def test_environment_dump_section_names_are_unique():
    """A custom section may not take a built-in section's name while that section is included."""
    with pytest.raises(ConfigurationError, match='The name "os" is already taken'):
        EnvironmentDump().add_section("os", "mine")


def test_environment_dump_section_that_raises_shows_the_error():
    """A raising section reads "error: ..." rather than failing the whole dump."""
    dump = EnvironmentDump(False, False, False, version=lambda: 1 / 0)
    assert json.loads(dump.run()[0]) == {"version": "error: ZeroDivisionError: division by zero"}


# -- Healthz ------------------------------------------------------------------------------------


@pytest.fixture
def probes(app):
    """An application with Healthz registered; set ``app.config["HEALTHZ"]`` then call ``get(name)``."""
    Healthz(app)
    client = app.test_client()

    def get(name: str) -> tuple[int, str, dict[str, object]]:
        response = client.get(f"/healthz/{name}")
        return response.status_code, response.content_type, json.loads(response.data)

    return get


def test_healthz_passing_check_is_200_ok_problem_json(app, probes):
    """A check that returns answers 200 {"status": 200, "title": "OK"} in application/problem+json."""
    app.config["HEALTHZ"] = {"live": lambda: None}
    assert probes("live") == (200, "application/problem+json", {"status": 200, "title": "OK"})


def test_healthz_health_error_is_503_with_its_message(app, probes):
    """Raising HealthError answers 503 with the message as the title."""

    def ready() -> None:
        raise HealthError("database unreachable")

    app.config["HEALTHZ"] = {"ready": ready}
    assert probes("ready")[0::2] == (503, {"status": 503, "title": "database unreachable"})


def test_healthz_other_exception_is_503_json_not_an_html_page(app, probes):
    """Any other exception is a 503 problem+json naming it, not Flask's HTML 500 page."""

    def ready() -> None:
        raise ConnectionError("refused")

    app.config["HEALTHZ"] = {"ready": ready}
    assert probes("ready") == (
        503,
        "application/problem+json",
        {"status": 503, "title": "ConnectionError: refused"},
    )


def test_healthz_unknown_check_is_404(app, probes):
    """A name HEALTHZ does not configure answers flask-healthz's 404."""
    app.config["HEALTHZ"] = {"live": lambda: None}
    assert probes("startup")[0::2] == (
        404,
        {"status": 404, "title": "The startup check endpoint is not setup"},
    )


def test_healthz_without_any_configuration_is_404(probes):
    """No HEALTHZ at all: every name is 404."""
    assert probes("live")[0] == 404


def test_healthz_dotted_path_is_imported_and_called(app, probes, monkeypatch):
    """A string value is imported as a dotted path and run."""
    module = types.ModuleType("fake_health_checks")

    def ready() -> None:
        raise HealthError("from the dotted path")

    module.ready = ready  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_health_checks", module)
    app.config["HEALTHZ"] = {"ready": "fake_health_checks.ready"}
    assert probes("ready")[0::2] == (503, {"status": 503, "title": "from the dotted path"})


def test_healthz_unimportable_dotted_path_is_500(app, probes, caplog):
    """A dotted path that cannot be imported answers 500 saying so (and logs why)."""
    app.config["HEALTHZ"] = {"live": lambda: None, "ready": "no_such_module.ready"}
    with caplog.at_level(logging.ERROR, logger="skiesish"):
        answer = probes("ready")
    assert answer[0::2] == (500, {"status": 500, "title": "The ready check function could not be imported"})
    assert "'no_such_module.ready' could not be imported" in caplog.text
    assert probes("live")[0] == 200


def test_healthz_returning_false_fails(app, probes):
    """Returning False (ignored by flask-healthz) fails here: 503."""
    app.config["HEALTHZ"] = {"ready": lambda: False}
    assert probes("ready")[0::2] == (503, {"status": 503, "title": "returned False"})


def test_healthz_other_return_values_pass(app, probes):
    """Anything else a check returns passes, as in flask-healthz."""
    app.config["HEALTHZ"] = {"ready": lambda: {"rows": 0}}
    assert probes("ready")[0] == 200


def test_healthz_timeout_is_503(app, hang):
    """A check past the deadline answers 503 with the timeout; the others are unaffected."""
    Healthz(app, timeout=0.05)
    app.config["HEALTHZ"] = {"live": lambda: None, "ready": hang}
    client = app.test_client()
    assert client.get("/healthz/ready").get_json() == {"status": 503, "title": "timed out after 0.05 s"}
    assert client.get("/healthz/live").status_code == 200


def test_healthz_results_are_cached(app, probes):
    """Within the success TTL a probe reuses the result: the check ran once for two probes."""
    seen, check = counting((True, ""))
    app.config["HEALTHZ"] = {"live": check}
    probes("live")
    probes("live")
    assert seen.calls == 1


def test_healthz_follows_configuration_changes(app, probes):
    """Replacing a check in HEALTHZ after requests were served takes effect at the next request."""
    app.config["HEALTHZ"] = {"live": lambda: None}
    assert probes("live")[0] == 200
    app.config["HEALTHZ"] = {"live": lambda: False}
    assert probes("live")[0] == 503


def test_healthz_blueprint_works_without_the_extension(app):
    """The blueprint registered directly, under a prefix of one's own, answers as flask-healthz's."""
    app.register_blueprint(healthz, url_prefix="/probes")
    app.config["HEALTHZ"] = {"live": lambda: None}
    assert app.test_client().get("/probes/live").get_json() == {"status": 200, "title": "OK"}


def test_healthz_endpoint_keeps_flask_healthz_name(app):
    """The view is ``healthz.check``, as flask-healthz names it (for Talisman per-view options)."""
    Healthz(app)
    assert app.view_functions["healthz.check"].talisman_view_options == {"force_https": False}


def test_healthz_head_answers_without_a_body(app, probes):
    """HEAD gets the probe's status and no body."""
    app.config["HEALTHZ"] = {"live": lambda: None}
    response = app.test_client().head("/healthz/live")
    assert (response.status_code, response.data) == (200, b"")


def test_healthz_no_log_quiets_successful_probes_in_access_logs(app):
    """no_log=True installs a ProbeLogFilter for the prefix on gunicorn's access log."""
    extension = Healthz(app, prefix="/health", no_log=True)
    try:
        assert ProbeLogFilter(["/health/*"]) in logging.getLogger("gunicorn.access").filters
    finally:
        assert extension.log_filter is not None
        extension.log_filter.uninstall()


def test_health_error_is_skiesish_health_error():
    """flask-healthz users import HealthError from here; it is skiesish.HealthError."""
    assert HealthError is skiesish.HealthError


# -- without Flask ----------------------------------------------------------------------------


def test_healthz_without_flask_names_the_extra(monkeypatch, app):
    """Without Flask, Healthz says which extra to install."""
    monkeypatch.setitem(sys.modules, "flask", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'skiesish\[flask\]'"):
        Healthz(app)


def test_health_check_runs_without_flask(monkeypatch):
    """HealthCheck.run needs no Flask (it serves Tornado and others too)."""
    monkeypatch.setitem(sys.modules, "flask", None)
    assert HealthCheck(checkers=[passing]).run()[1] == 200


# -- under waitress, with threads ---------------------------------------------------------------


def test_deadlines_hold_in_waitress_worker_threads(hang):
    """Under waitress (8 threads, none the main one) a hung check times out and a healthy one passes.

    py-healthcheck's error_timeout uses SIGALRM, which only the main thread may set.
    """
    served_off_main = []
    app = flask.Flask("threaded")
    app.before_request(
        lambda: served_off_main.append(threading.current_thread() is not threading.main_thread())
    )
    HealthCheck(app, "/healthcheck", checkers=[hang, passing], error_timeout=0.05)
    server = StopableWSGIServer.create(app, threads=8)
    try:
        address = urlsplit(server.application_url)
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
        try:
            connection.request("GET", "/healthcheck")
            response = connection.getresponse()
            status, body = response.status, json.loads(response.read())
            response.close()
        finally:
            connection.close()
    finally:
        server.shutdown()
    results = {result["checker"]: (result["passed"], result["output"]) for result in body["results"]}
    assert (status, served_off_main) == (500, [True])
    assert results == {"hung": (False, "timed out after 0.05 s"), "passing": (True, "all good")}


# -- the example ---------------------------------------------------------------------------------


@pytest.fixture
def example(monkeypatch, tmp_path):
    """examples/flask_app.py loaded afresh, its database in a temporary folder."""

    def load(database: Path = tmp_path / "app.db") -> flask.Flask:
        monkeypatch.setenv("EXAMPLE_DATABASE", str(database))
        application: flask.Flask = runpy.run_path(str(EXAMPLES / "flask_app.py"))["app"]
        return application

    return load


def test_example_is_healthy_and_ready(example):
    """The example's /healthcheck passes both checks, and its probes answer 200."""
    client = example().test_client()
    health = client.get("/healthcheck").get_json()
    assert (health["status"], [r["checker"] for r in health["results"]]) == (
        "success",
        ["database", "python_version"],
    )
    assert [client.get(path).status_code for path in ("/healthz/live", "/healthz/ready")] == [200, 200]


def test_example_fails_when_the_database_cannot_open(example, tmp_path):
    """Pointing EXAMPLE_DATABASE into a missing folder fails the database check: 500."""
    response = example(tmp_path / "missing" / "app.db").test_client().get("/healthcheck?check=database")
    assert (response.status_code, response.get_json()["results"][0]["output"]) == (
        500,
        "OperationalError: unable to open database file",
    )


def test_example_is_not_ready_out_of_service(example):
    """With IN_SERVICE false, readiness answers 503 with the reason."""
    application = example()
    application.config["IN_SERVICE"] = False
    response = application.test_client().get("/healthz/ready")
    assert (response.status_code, response.get_json()["title"]) == (503, "switched out of service")
