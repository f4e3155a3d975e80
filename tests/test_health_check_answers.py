"""The HealthCheck handler's opt-in keys, as probes and people see the answers."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading

import pytest
import webtest

import skiesish
from skiesish.environment import Environment
from skiesish.handlers import HealthCheck
from skiesish.health import Report

SUCCESS_BYTES = b'{"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}'
FAILURE_BYTES = b'{"status": "failure", "error": "", "data": [], "pagination": {}, "input_errors": {}}'
ENVELOPE_KEYS = {"status", "error", "data", "pagination", "input_errors"}
CHECK_DETAIL_KEYS = {"status", "passed", "output", "response_time", "timestamp", "cached"}
FORMAT_NAMES = ["envelope", "health+json", "text", "runscope", "problem+json"]
TOKEN = "t0ken-for-details"
SECRET = "password=hunter2"
#: How SECRET is shown: every output that leaves the process is scrubbed.
SHOWN = "password=********"


class Switch:
    """A check whose answer a test can change, counting how often it runs."""

    def __init__(self, answer=True):
        self.answer = answer
        self.runs = 0

    def __call__(self):
        self.runs += 1
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def passing():
    """A check that passes."""
    return True


def failing():
    """A check that fails with a secret-looking message."""
    raise skiesish.HealthError(SECRET)


def context(config, **context_arguments):
    """A test context around a HealthCheck with ``config``."""
    return skiesish.contexts.test(skiesish.Application(HealthCheck, config), **context_arguments)


def run(config, **request):
    """Build a HealthCheck with ``config`` and answer one request: (body, status, headers)."""
    return context(config)(**request)


def web(config, **context_arguments):
    """A webtest app (lint on) around a HealthCheck with ``config``."""
    application = skiesish.Application(HealthCheck, config)
    return webtest.TestApp(skiesish.contexts.wsgi(application, **context_arguments), lint=True)


def environment(**variables):
    """An Environment holding exactly ``variables`` (no real environment, no .env file)."""
    return Environment(environ=variables, env_file="/nonexistent/skiesish-test.env")


def details_of(body):
    """data.checks of a detailed envelope."""
    return body["data"]["checks"]


# -- checks: list, dict, skiesish.Check ---------------------------------------


def test_checks_as_a_list_are_named_after_their_functions():
    """A list of functions gives checks named after each function."""

    def database():
        return True

    def cache():
        return True

    body, status, _ = run({"checks": [database, cache], "details": "always"})
    assert status == 200
    assert list(details_of(body)) == ["database", "cache"]


def test_checks_as_a_dict_are_named_by_their_keys():
    """A dict names each check by its key, for functions and skiesish.Check alike."""
    checks = {"db": passing, "queue": skiesish.Check(passing, name="ignored")}
    body, status, _ = run({"checks": checks, "details": "always"})
    assert status == 200
    assert list(details_of(body)) == ["db", "queue"]


def test_check_objects_carry_their_own_name():
    """skiesish.Check(name=...) names the check in the answer."""
    body, _, _ = run({"checks": [skiesish.Check(passing, name="disk")], "details": "always"})
    assert list(details_of(body)) == ["disk"]


def test_check_parameters_are_injected():
    """A check's parameters are built by the container, by name."""
    seen = []

    def uses_backend(memory_backend):
        seen.append(memory_backend)
        return True

    test_context = context({"checks": [uses_backend]})
    assert test_context()[1] == 200
    assert seen == [test_context.di.build("memory_backend")]


async def async_passing():
    """An async check that passes after yielding once."""
    await asyncio.sleep(0)
    return True


async def async_failing():
    """An async check that fails with a message."""
    await asyncio.sleep(0)
    return (False, "async says no")


def returns(value):
    """A check returning ``value``."""

    def check():
        return value

    return check


def raises(error):
    """A check raising ``error``."""

    def check():
        raise error

    return check


@pytest.mark.parametrize(
    ("check", "passed", "output"),
    [
        (returns(True), True, ""),
        (returns(None), True, ""),
        (returns(False), False, "returned False"),
        (returns((True, "all good")), True, "all good"),
        (returns((False, "disk full")), False, "disk full"),
        (raises(skiesish.HealthError("only 2% free")), False, "only 2% free"),
        (raises(ValueError("x")), False, "ValueError: x"),
        (returns(42), False, re.compile(r"^returned int 42\b.*expected .*True, False, None")),
        (returns("yes"), False, re.compile(r"^returned str 'yes'.*expected .*True, False, None")),
        (async_passing, True, ""),
        (async_failing, False, "async says no"),
    ],
    ids=[
        "True",
        "None",
        "False",
        "tuple-true",
        "tuple-false",
        "HealthError",
        "ValueError",
        "int",
        "str",
        "async-pass",
        "async-fail",
    ],
)
def test_return_contract(check, passed, output):
    """What a check returns or raises decides pass/fail and the output shown with details."""
    body, status, _ = run({"checks": {"probe": check}, "details": "always"})
    result = details_of(body)["probe"]
    assert (result["passed"], status) == (passed, 200 if passed else 500)
    if isinstance(output, re.Pattern):
        assert output.search(result["output"]), result["output"]
    else:
        assert result["output"] == output


def test_callable_key_still_fails_on_none():
    """The clearskies `callable` key keeps its contract: None fails, while a named check passes on None."""
    assert run({"callable": returns(None)})[1] == 500
    assert run({"checks": [returns(None)]})[1] == 200


def test_non_critical_failure_warns_and_stays_200():
    """A failing check with critical=False is reported warn; the whole stays healthy."""
    config = {
        "checks": [passing, skiesish.Check(failing, name="optional", critical=False)],
        "details": "always",
    }
    body, status, _ = run(config)
    assert status == 200
    assert body["status"] == "success"
    assert details_of(body)["optional"]["status"] == "warn"
    assert details_of(body)["optional"]["passed"] is False
    assert details_of(body)["passing"]["status"] == "pass"


def test_every_failure_is_reported():
    """All failing checks are reported, not only the first."""
    config = {
        "checks": {"a": returns(False), "b": passing, "c": raises(OSError("gone"))},
        "details": "always",
    }
    body, status, _ = run(config)
    assert status == 500
    assert {name: result["passed"] for name, result in details_of(body).items()} == {
        "a": False,
        "b": True,
        "c": False,
    }
    assert details_of(body)["c"]["output"] == "OSError: gone"


def test_every_check_runs_even_after_one_fails():
    """A failing first check does not stop the later ones from running."""
    first, second = Switch(False), Switch(True)
    assert run({"checks": {"first": first, "second": second}})[1] == 500
    assert (first.runs, second.runs) == (1, 1)


# -- build-time errors --------------------------------------------------------


def named(name):
    """A passing check function called ``name``."""

    def check():
        return True

    check.__name__ = name
    return check


@pytest.mark.parametrize(
    ("config", "name"),
    [
        ({"services": ["memory_backend"], "checks": {"memory_backend": passing}}, "memory_backend"),
        ({"services": ["memory_backend"], "checks": [named("memory_backend")]}, "memory_backend"),
        ({"callable": named("db"), "checks": [named("db")]}, "db"),
        ({"callable": named("db"), "checks": [skiesish.Check(passing, name="db")]}, "db"),
        ({"checks": [named("twice"), named("twice")]}, "twice"),
        ({"checks": [skiesish.Check(passing, name="x"), skiesish.Check(failing, name="x")]}, "x"),
        ({"services": ["memory_backend"], "callable": named("memory_backend")}, "memory_backend"),
    ],
)
def test_duplicate_check_names_fail_at_build_time(config, name):
    """Names must be unique across services, callable and checks; the error names the duplicate."""
    with pytest.raises(skiesish.ConfigurationError, match=rf"unique.*\b{re.escape(name)}\b"):
        skiesish.Application(HealthCheck, config)


@pytest.mark.parametrize(
    ("checks", "match"),
    [
        ([1], r"'checks'.*callable or (a )?skiesish\.Check, got int 1"),
        (["is_healthy"], r"'checks'.*callable or (a )?skiesish\.Check, got str 'is_healthy'"),
        ({"db": None}, r"'checks'.*callable or (a )?skiesish\.Check, got NoneType None"),
        ([passing, {"name": "x"}], r"'checks'.*callable or (a )?skiesish\.Check, got dict"),
    ],
)
def test_a_check_that_is_not_callable_fails_at_build_time(checks, match):
    """Each check must be a callable or a skiesish.Check; the error says what arrived."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        skiesish.Application(HealthCheck, {"checks": checks})


def test_tags_select_the_checks_that_run():
    """With `tags`, only checks carrying one of them run and are reported."""
    live, ready, both = Switch(), Switch(), Switch()
    checks = [
        skiesish.Check(live, name="live", tags=["liveness"]),
        skiesish.Check(ready, name="ready", tags=["readiness"]),
        skiesish.Check(both, name="both", tags=["liveness", "readiness"]),
    ]
    body, status, _ = run({"checks": checks, "tags": ["liveness"], "details": "always"})
    assert status == 200
    assert list(details_of(body)) == ["live", "both"]
    assert (live.runs, ready.runs, both.runs) == (1, 0, 1)


def test_tags_leave_a_failing_untagged_check_out():
    """A failing check without the selected tag does not fail the answer."""
    checks = [skiesish.Check(passing, name="live", tags=["liveness"]), failing]
    assert run({"checks": checks, "tags": ["liveness"]})[1] == 200


def test_tags_matching_no_check_fail_at_build_time():
    """A `tags` list no check carries is a configuration error naming the tags."""
    checks = [skiesish.Check(passing, name="live", tags=["liveness"])]
    with pytest.raises(
        skiesish.ConfigurationError, match=r"no check carries any of the tags \['readyness'\]"
    ):
        skiesish.Application(HealthCheck, {"checks": checks, "tags": ["readyness"]})


# -- details ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ({"ok": returns((True, SECRET))}, SUCCESS_BYTES),
        ({"ok": passing, "bad": failing}, FAILURE_BYTES),
        ({"bad": raises(RuntimeError(SECRET))}, FAILURE_BYTES),
        ({"bad": returns((False, SECRET))}, FAILURE_BYTES),
    ],
)
def test_details_never_gives_the_exact_envelope(checks, expected):
    """Without details the body is clearskies' envelope, byte for byte, and carries no output."""
    response = web({"checks": checks, "details": "never"}).get("/", expect_errors=True)
    assert response.body == expected
    assert b"hunter2" not in response.body


@pytest.mark.parametrize("format_name", FORMAT_NAMES)
def test_no_format_leaks_outputs_or_sections_without_details(format_name):
    """Without details no format shows a check's output, its name, the host or a section."""
    config = {
        "checks": {"vault": failing},
        "format": format_name,
        "sections": {"maintainer": "ops@example.com"},
    }
    response = web(config).get("/?verbose", status=500)
    assert b"hunter2" not in response.body
    assert b"ops@example.com" not in response.body


def test_details_always_shows_each_check():
    """With details "always", data.checks holds status, passed, output, timing, timestamp and cached."""
    body, status, _ = run({"checks": {"ok": passing, "bad": failing}, "details": "always"})
    assert status == 500
    assert set(body) == ENVELOPE_KEYS
    assert body["status"] == "failure"
    checks = details_of(body)
    assert {name: set(result) for name, result in checks.items()} == {
        "ok": CHECK_DETAIL_KEYS,
        "bad": CHECK_DETAIL_KEYS,
    }
    assert checks["ok"]["status"] == "pass"
    assert checks["bad"]["status"] == "fail"
    assert checks["bad"]["output"] == SHOWN
    assert checks["bad"]["cached"] is False
    assert isinstance(checks["ok"]["response_time"], float)
    assert checks["ok"]["response_time"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", checks["ok"]["timestamp"])


def test_details_always_on_success_keeps_the_success_status():
    """A healthy detailed answer is still "success" with a 200."""
    body, status, _ = run({"checks": [passing], "details": "always"})
    assert (body["status"], status) == ("success", 200)
    assert details_of(body)["passing"]["passed"] is True


def authorized_app(**context_arguments):
    """A webtest app with details shown only to holders of TOKEN."""
    config = {"checks": {"bad": failing}, "details": "authorized", "details_token": TOKEN}
    return web(config, **context_arguments)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        f"Token {TOKEN}",
        TOKEN,
        f"{TOKEN} Bearer",
    ],
)
def test_authorized_details_are_hidden_without_the_token(authorization):
    """No header, a wrong token or a wrong scheme gets the plain failure envelope."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = authorized_app().get("/", headers=headers, status=500)
    assert response.body == FAILURE_BYTES


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_authorized_details_are_shown_with_the_token(scheme):
    """`Authorization: Bearer <token>` (scheme in any case) shows the details."""
    response = authorized_app().get("/", headers={"Authorization": f"{scheme} {TOKEN}"}, status=500)
    assert response.json["data"]["checks"]["bad"]["output"] == SHOWN


def test_details_token_is_read_from_the_environment():
    """details_token "env:VAR" takes the token from the variable VAR of the `environment` dependency."""
    config = {"checks": {"bad": failing}, "details": "authorized", "details_token": "env:HEALTH_TOKEN"}
    application = web(config, bindings={"environment": environment(HEALTH_TOKEN="from-env")})
    shown = application.get("/", headers={"Authorization": "Bearer from-env"}, status=500)
    hidden = application.get("/", headers={"Authorization": "Bearer env:HEALTH_TOKEN"}, status=500)
    assert shown.json["data"]["checks"]["bad"]["output"] == SHOWN
    assert hidden.body == FAILURE_BYTES


@pytest.mark.parametrize("variables", [{}, {"HEALTH_TOKEN": ""}, {"OTHER": "x"}])
def test_details_token_from_a_missing_variable_fails_at_build_time(variables):
    """An "env:VAR" token whose variable is unset or empty fails when the context is built."""
    config = {"details": "authorized", "details_token": "env:HEALTH_TOKEN"}
    with pytest.raises(skiesish.ConfigurationError, match=r"'HEALTH_TOKEN'.*not set or empty"):
        context(config, bindings={"environment": environment(**variables)})


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"details": "authorized"}, r"details 'authorized' needs a details_token"),
        ({"details": "authorized", "details_token": ""}, r"'details_token': must not be empty"),
        ({"details_token": TOKEN}, r"details_token is only used with details 'authorized', not 'never'"),
        (
            {"details": "always", "details_token": TOKEN},
            r"details_token is only used with details 'authorized', not 'always'",
        ),
        ({"interval": 5}, r"interval is only used with refresh 'background'"),
        ({"details": "sometimes"}, r"'details'.*'never', 'always' or 'authorized'.*'sometimes'"),
    ],
)
def test_inconsistent_details_and_refresh_keys_fail_at_build_time(config, match):
    """Keys that only make sense together are refused alone, with a sentence saying why."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        skiesish.Application(HealthCheck, config)


# -- sections -----------------------------------------------------------------


def test_sections_are_merged_into_data_with_details():
    """Section values, and the results of injected section callables, sit beside data.checks."""

    def backend_kind(memory_backend):
        return type(memory_backend).__name__

    config = {
        "checks": [passing],
        "details": "always",
        "sections": {"version": "1.2.3", "build": {"sha": "abc123"}, "backend": backend_kind},
    }
    body, status, _ = run(config)
    assert status == 200
    assert body["data"]["version"] == "1.2.3"
    assert body["data"]["build"] == {"sha": "abc123"}
    assert body["data"]["backend"] == "MemoryBackend"
    assert list(body["data"]["checks"]) == ["passing"]


def test_a_raising_section_shows_its_error_and_does_not_fail():
    """A section callable that raises shows "error: ..." while the answer stays healthy."""

    def git_sha():
        raise FileNotFoundError("no .git")

    body, status, _ = run({"checks": [passing], "details": "always", "sections": {"git": git_sha}})
    assert status == 200
    assert body["status"] == "success"
    assert body["data"]["git"] == "error: FileNotFoundError: no .git"


@pytest.mark.parametrize(
    "name",
    ["status", "error", "data", "pagination", "input_errors", "checks", "hostname", "timestamp", "results"],
)
def test_reserved_section_names_fail_at_build_time(name):
    """A section may not take a name the bodies already use."""
    with pytest.raises(skiesish.ConfigurationError, match=rf"'sections'.*section names \['{name}'\]"):
        skiesish.Application(HealthCheck, {"details": "always", "sections": {name: "x"}})


def test_sections_are_not_computed_or_shown_without_details():
    """Without details a section callable is not even called, and nothing of it is shown."""
    calls = []

    def version():
        calls.append(1)
        return "9.9.9"

    response = web({"checks": [passing], "sections": {"version": version}}).get("/")
    assert response.body == SUCCESS_BYTES
    assert calls == []


def test_sections_are_hidden_from_unauthorized_requests():
    """With details "authorized", a request without the token sees no section."""
    config = {"details": "authorized", "details_token": TOKEN, "sections": {"version": "9.9.9"}}
    application = web(config)
    assert application.get("/").body == SUCCESS_BYTES
    shown = application.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert shown.json["data"]["version"] == "9.9.9"


# -- formats ------------------------------------------------------------------


def test_health_json_healthy():
    """format health+json: {"status": "pass"} as application/health+json."""
    response = web({"checks": [passing], "format": "health+json"}).get("/")
    assert response.status == "200 OK"
    assert response.content_type == "application/health+json"
    assert response.json == {"status": "pass"}


def test_health_json_warn_and_fail():
    """A non-critical failure gives "warn" with 200; a critical one "fail" with 500."""
    warn = web({"checks": [skiesish.Check(failing, name="x", critical=False)], "format": "health+json"})
    fail = web({"checks": [failing], "format": "health+json"})
    assert warn.get("/", status=200).json == {"status": "warn"}
    assert fail.get("/", status=500).json == {"status": "fail"}


def test_health_json_details():
    """With details, checks holds "name:responseTime" measurements; failures carry their output."""
    config = {
        "checks": {"db": passing, "vault": failing},
        "format": "health+json",
        "details": "always",
        "sections": {"version": "1"},
    }
    body = web(config).get("/", status=500).json
    assert body["status"] == "fail"
    assert body["version"] == "1"
    assert set(body["checks"]) == {"db:responseTime", "vault:responseTime"}
    [db] = body["checks"]["db:responseTime"]
    [vault] = body["checks"]["vault:responseTime"]
    assert db["componentId"] == "db"
    assert db["status"] == "pass"
    assert db["observedUnit"] == "ms"
    assert isinstance(db["observedValue"], (int, float))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", db["time"])
    assert "output" not in db
    assert vault["status"] == "fail"
    assert vault["output"] == SHOWN


@pytest.mark.parametrize("format_name", ["envelope", "text", "runscope", "problem+json"])
def test_accept_health_json_overrides_the_configured_format(format_name):
    """A request whose Accept asks for application/health+json gets it, whatever the format says."""
    application = web({"checks": [passing], "format": format_name})
    response = application.get("/", headers={"Accept": "application/health+json"})
    assert response.content_type == "application/health+json"
    assert response.json == {"status": "pass"}


def test_accept_health_json_among_other_types():
    """application/health+json is found in a list of media types."""
    application = web({"checks": [failing]})
    accept = "text/html, application/health+json;q=0.9, */*;q=0.1"
    response = application.get("/", headers={"Accept": accept}, status=500)
    assert response.json == {"status": "fail"}


def test_accept_media_type_is_matched_case_insensitively():
    """Media types are case-insensitive (RFC 9110, 8.3.1): Application/Health+JSON counts too."""
    application = web({"checks": [passing]})
    response = application.get("/", headers={"Accept": "Application/Health+JSON"})
    assert response.content_type == "application/health+json"


def test_accept_health_json_with_q_zero_is_not_a_request_for_it():
    """q=0 marks a media type "not acceptable" (RFC 9110, 12.4.2): the configured format is kept."""
    application = web({"checks": [passing]})
    response = application.get("/", headers={"Accept": "application/health+json;q=0, application/json"})
    assert response.body == SUCCESS_BYTES


def test_accept_of_other_types_keeps_the_configured_format():
    """An Accept that does not name health+json leaves the configured format alone."""
    application = web({"checks": [passing], "format": "text"})
    response = application.get("/", headers={"Accept": "application/json"})
    assert response.body == b"ok"


def test_text_healthy_is_ok():
    """format text: a healthy answer is just "ok"."""
    response = web({"checks": [passing], "format": "text"}).get("/")
    assert response.content_type == "text/plain"
    assert response.charset == "utf-8"
    assert response.body == b"ok"


def test_text_verbose_lists_each_check():
    """?verbose gives a line per check even when healthy."""
    response = web({"checks": {"db": passing, "cache": passing}, "format": "text"}).get("/?verbose")
    assert response.text == "[+]db ok\n[+]cache ok\nhealth check passed\n"


def test_text_failure_withholds_reasons_without_details():
    """A failing answer lists each check; a failure's reason is withheld without details."""
    config = {"checks": {"db": passing, "vault": failing}, "format": "text"}
    response = web(config).get("/", status=500)
    assert response.text == "[+]db ok\n[-]vault failed: reason withheld\nhealth check failed\n"


def test_text_failure_shows_reasons_with_details():
    """With details, the failure line carries the check's output."""
    config = {"checks": {"db": passing, "vault": failing}, "format": "text", "details": "always"}
    response = web(config).get("/", status=500)
    assert response.text == f"[+]db ok\n[-]vault failed: {SHOWN}\nhealth check failed\n"


def test_text_marks_a_non_critical_failure():
    """A failing non-critical check is listed as such, and the answer passes."""
    config = {"checks": [skiesish.Check(failing, name="cdn", critical=False)], "format": "text"}
    response = web(config).get("/?verbose")
    assert response.text == "[-]cdn failed (not critical): reason withheld\nhealth check passed\n"


def test_runscope_without_details():
    """format runscope: only status and a Unix timestamp without details."""
    body = web({"checks": [passing], "format": "runscope"}).get("/").json
    assert set(body) == {"status", "timestamp"}
    assert body["status"] == "success"
    assert isinstance(body["timestamp"], float)


def test_runscope_failure_status():
    """A failing runscope answer says "failure"."""
    body = web({"checks": [failing], "format": "runscope"}).get("/", status=500).json
    assert body["status"] == "failure"


def test_runscope_with_details():
    """With details, hostname, results and sections appear as py-healthcheck gives them."""
    config = {
        "checks": {"db": passing, "vault": failing},
        "format": "runscope",
        "details": "always",
        "sections": {"maintainer": "ops"},
    }
    body = web(config).get("/", status=500).json
    assert body["hostname"] == socket.gethostname()
    assert body["maintainer"] == "ops"
    assert [result["checker"] for result in body["results"]] == ["db", "vault"]
    db, vault = body["results"]
    assert set(db) == {"checker", "output", "passed", "timestamp", "expires", "response_time"}
    assert (db["passed"], db["output"]) == (True, "")
    assert (vault["passed"], vault["output"]) == (False, SHOWN)
    assert db["expires"] - db["timestamp"] == pytest.approx(27)
    assert vault["expires"] - vault["timestamp"] == pytest.approx(9)


def test_problem_json_healthy():
    """format problem+json: {"status": 200, "title": "OK"} as application/problem+json."""
    response = web({"checks": [passing], "format": "problem+json"}).get("/")
    assert response.content_type == "application/problem+json"
    assert response.json == {"status": 200, "title": "OK"}


def test_problem_json_failure_uses_the_failed_status():
    """A failure carries the configured failed_status and its title, and no detail without details."""
    config = {"checks": [failing], "format": "problem+json", "failed_status": 503}
    response = web(config).get("/", status=503)
    assert response.json == {"status": 503, "title": "Service Unavailable"}


def test_problem_json_detail_with_details():
    """With details, a failure's detail names every failed check and why."""
    config = {
        "checks": {"db": returns((False, "refused")), "ok": passing, "vault": failing},
        "format": "problem+json",
        "details": "always",
    }
    body = web(config).get("/", status=500).json
    assert body == {
        "status": 500,
        "title": "Internal Server Error",
        "detail": f"db: refused; vault: {SHOWN}",
    }


# -- statuses, headers, custom bodies -----------------------------------------


def test_failed_status_is_configurable():
    """failed_status 503 gives "503 Service Unavailable" with the failure envelope."""
    response = web({"checks": [failing], "failed_status": 503}).get("/", status=503)
    assert response.status == "503 Service Unavailable"
    assert response.body == FAILURE_BYTES


def test_success_status_is_configurable():
    """success_status changes the status of a healthy answer."""
    response = web({"checks": [passing], "success_status": 202}).get("/", status=202)
    assert response.status == "202 Accepted"
    assert response.body == SUCCESS_BYTES


def test_success_and_failed_headers():
    """success_headers go on healthy answers only, failed_headers on unhealthy ones only."""
    switch = Switch(True)
    config = {
        "checks": {"s": switch},
        "success_ttl": None,
        "failed_ttl": None,
        "success_headers": {"X-Health": "good"},
        "failed_headers": {"Retry-After": "30"},
    }
    application = web(config)
    healthy = application.get("/")
    switch.answer = False
    unhealthy = application.get("/", status=500)
    assert healthy.headers["X-Health"] == "good"
    assert "Retry-After" not in healthy.headers
    assert unhealthy.headers["Retry-After"] == "30"
    assert "X-Health" not in unhealthy.headers


@pytest.mark.parametrize(
    ("returned", "content_type", "body"),
    [
        ({"healthy": True}, "application/json", b'{"healthy": true}'),
        (["a", 1], "application/json", b'["a", 1]'),
        ("all systems go", "text/plain", b"all systems go"),
        ('{"raw": "json"}', "application/json", b'{"raw": "json"}'),
        (b"\x00\x01binary", "application/octet-stream", b"\x00\x01binary"),
    ],
)
def test_success_handler_bodies(returned, content_type, body):
    """success_handler's dict/list become JSON, str text (or JSON if it parses), bytes stay as is."""
    response = web({"checks": [passing], "success_handler": lambda report: returned}).get("/")
    assert response.content_type == content_type
    assert response.body == body


@pytest.mark.parametrize(
    ("returned", "content_type", "body"),
    [
        ({"down": True}, "application/json", b'{"down": true}'),
        ("down for maintenance", "text/plain", b"down for maintenance"),
        (b"DOWN", "application/octet-stream", b"DOWN"),
    ],
)
def test_failed_handler_bodies(returned, content_type, body):
    """failed_handler builds the unhealthy body, with the failed status."""
    config = {"checks": [failing], "failed_handler": lambda report: returned, "failed_status": 503}
    response = web(config).get("/", status=503)
    assert response.content_type == content_type
    assert response.body == body


def test_custom_handlers_receive_the_report():
    """success_handler and failed_handler are given the skiesish.health.Report."""
    switch = Switch(True)
    seen = []

    def summarize(report):
        seen.append(report)
        return {"status": report.status, "failing": [result.name for result in report.failures]}

    config = {
        "checks": {"db": switch, "ok": passing},
        "success_ttl": None,
        "failed_ttl": None,
        "success_handler": summarize,
        "failed_handler": summarize,
    }
    test_context = context(config)
    assert test_context()[:2] == ({"status": "pass", "failing": []}, 200)
    switch.answer = False
    assert test_context()[:2] == ({"status": "fail", "failing": ["db"]}, 500)
    assert all(isinstance(report, Report) for report in seen)
    assert [result.name for result in seen[1].results] == ["db", "ok"]


def test_only_the_matching_custom_handler_is_used():
    """With only failed_handler set, a healthy answer is the ordinary envelope."""
    config = {"checks": [passing], "failed_handler": lambda report: "down"}
    assert web(config).get("/").body == SUCCESS_BYTES


# -- query parameters ---------------------------------------------------------


def three_checks():
    """Three counting checks: a and b pass, c fails."""
    return {"a": Switch(True), "b": Switch(True), "c": Switch(False)}


def test_check_parameter_runs_only_the_named_checks():
    """?check=a runs a alone: the other checks do not run, so a failing one does not fail the answer."""
    checks = three_checks()
    body, status, _ = run({"checks": checks, "details": "always"}, url="?check=a")
    assert status == 200
    assert list(details_of(body)) == ["a"]
    assert [check.runs for check in checks.values()] == [1, 0, 0]


def test_check_parameter_is_repeatable():
    """?check=a&check=c runs both, and c's failure fails the answer."""
    checks = three_checks()
    body, status, _ = run({"checks": checks, "details": "always"}, url="?check=a&check=c")
    assert status == 500
    assert list(details_of(body)) == ["a", "c"]
    assert [check.runs for check in checks.values()] == [1, 0, 1]


def test_exclude_parameter_skips_the_named_checks():
    """?exclude=c skips the failing check: it does not run and the answer is healthy."""
    checks = three_checks()
    body, status, _ = run({"checks": checks, "details": "always"}, url="?exclude=c")
    assert status == 200
    assert list(details_of(body)) == ["a", "b"]
    assert [check.runs for check in checks.values()] == [1, 1, 0]


@pytest.mark.parametrize(
    ("query", "unknown"),
    [("check=zz", "zz"), ("exclude=nope", "nope"), ("check=a&check=zz", "zz"), ("check=A", "A")],
)
def test_unknown_check_names_are_a_400(query, unknown):
    """An unknown name in check/exclude is a client_error envelope naming it and the known checks."""
    checks = three_checks()
    response = web({"checks": checks}).get(f"/?{query}", status=400)
    assert response.status == "400 Bad Request"
    assert set(response.json) == ENVELOPE_KEYS
    assert response.json["status"] == "client_error"
    assert response.json["error"] == f"unknown check {unknown!r}; known checks: a, b, c"
    assert [check.runs for check in checks.values()] == [0, 0, 0]


# -- caching ------------------------------------------------------------------


def test_default_ttl_reuses_a_passing_result():
    """With the default TTLs a second probe reuses the first result and says it is cached."""
    switch = Switch(True)
    test_context = context({"checks": {"s": switch}, "details": "always"})
    first, _, _ = test_context()
    second, _, _ = test_context()
    assert switch.runs == 1
    assert details_of(first)["s"]["cached"] is False
    assert details_of(second)["s"]["cached"] is True
    assert details_of(second)["s"]["timestamp"] == details_of(first)["s"]["timestamp"]


def test_default_ttl_reuses_a_failing_result():
    """A failing result is reused too (for failed_ttl)."""
    switch = Switch(False)
    test_context = context({"checks": {"s": switch}})
    assert [test_context()[1], test_context()[1]] == [500, 500]
    assert switch.runs == 1


@pytest.mark.parametrize(
    "config",
    [
        {"success_ttl": None},
        {"success_ttl": 0},
        {"success_ttl": None, "failed_ttl": None},
    ],
)
def test_no_success_ttl_runs_every_time(config):
    """success_ttl None (or 0) runs a passing check on every probe."""
    switch = Switch(True)
    test_context = context({"checks": {"s": switch}, "details": "always", **config})
    test_context()
    body, _, _ = test_context()
    assert switch.runs == 2
    assert details_of(body)["s"]["cached"] is False


def test_failed_ttl_none_runs_a_failing_check_every_time():
    """failed_ttl None reruns a failing check on every probe."""
    switch = Switch(False)
    test_context = context({"checks": {"s": switch}, "failed_ttl": None})
    test_context()
    test_context()
    assert switch.runs == 2


def test_a_check_ttl_overrides_the_handler_ttl():
    """Check(success_ttl=None) reruns every time though the handler caches; others stay cached."""
    fresh, cached = Switch(True), Switch(True)
    checks = [skiesish.Check(fresh, name="fresh", success_ttl=None), skiesish.Check(cached, name="cached")]
    test_context = context({"checks": checks, "details": "always"})
    test_context()
    body, _, _ = test_context()
    assert (fresh.runs, cached.runs) == (2, 1)
    assert details_of(body)["fresh"]["cached"] is False
    assert details_of(body)["cached"]["cached"] is True


def test_a_check_ttl_can_cache_when_the_handler_does_not():
    """Check(success_ttl=60) caches though the handler's success_ttl is None."""
    switch = Switch(True)
    test_context = context(
        {"checks": [skiesish.Check(switch, name="s", success_ttl=60)], "success_ttl": None}
    )
    test_context()
    test_context()
    assert switch.runs == 1


# -- logging and on_change ----------------------------------------------------


def health_records(caplog):
    """The skiesish logger's "health is now" records."""
    return [
        record
        for record in caplog.records
        if record.name == "skiesish" and record.getMessage().startswith("health is now")
    ]


def test_status_changes_are_logged_once(caplog):
    """One warning (check and output) when health goes down, none while down, one info line on recovery."""
    switch = Switch(True)
    test_context = context({"checks": {"vault": switch}, "success_ttl": None, "failed_ttl": None})
    with caplog.at_level(logging.INFO, logger="skiesish"):
        test_context()
        caplog.clear()
        switch.answer = skiesish.HealthError("sealed")
        test_context()
        down = health_records(caplog)
        test_context()
        still_down = health_records(caplog)
        switch.answer = True
        test_context()
        recovered = health_records(caplog)
    assert [record.levelno for record in down] == [logging.WARNING]
    assert "vault" in down[0].getMessage()
    assert "sealed" in down[0].getMessage()
    assert len(still_down) == 1
    assert [record.levelno for record in recovered] == [logging.WARNING, logging.INFO]
    assert "pass" in recovered[1].getMessage()


def test_on_change_is_called_once_per_change():
    """on_change gets a Report each time the overall status changes, not on every probe."""
    switch = Switch(True)
    reports = []
    config = {"checks": {"s": switch}, "success_ttl": None, "failed_ttl": None, "on_change": reports.append}
    test_context = context(config)
    test_context()
    assert test_context.handler.engine.status_watch.wait_delivered(timeout=60)
    reports.clear()
    test_context()
    switch.answer = False
    test_context()
    test_context()
    switch.answer = True
    test_context()
    test_context()
    assert test_context.handler.engine.status_watch.wait_delivered(timeout=60)
    assert [report.status for report in reports] == ["fail", "pass"]
    assert all(isinstance(report, Report) for report in reports)
    assert [result.name for result in reports[0].failures] == ["s"]


def test_a_failing_on_change_does_not_break_the_answer(caplog):
    """An on_change callback that raises is logged; the probe is still answered."""

    def on_change(report):
        raise RuntimeError("pager down")

    test_context = context({"checks": [passing], "on_change": on_change})
    with caplog.at_level(logging.ERROR, logger="skiesish"):
        _, status, _ = test_context()
        assert test_context.handler.engine.status_watch.wait_delivered(timeout=60)
    assert status == 200
    assert "on_change" in caplog.text


def test_a_slow_on_change_does_not_delay_the_answer():
    """A probe that sees a change is answered while on_change is still running, off the request path."""
    release = threading.Event()
    started = threading.Event()

    def on_change(report):
        started.set()
        release.wait(60)

    test_context = context({"checks": [failing], "on_change": on_change})
    _, status, _ = test_context()
    assert status == 500
    assert started.wait(60)
    assert not release.is_set()  # the answer came back while the listener was still blocked
    release.set()
    assert test_context.handler.engine.status_watch.wait_delivered(timeout=60)


# -- webtest's lint -----------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMAT_NAMES)
@pytest.mark.parametrize("healthy", [True, False], ids=["healthy", "failing"])
@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("details", ["never", "always"])
def test_lint_is_quiet_for_every_format(format_name, healthy, method, details):
    """Every format, healthy or not, GET or HEAD, with or without details, passes webtest's lint."""
    config = {
        "checks": {"s": passing if healthy else failing, "soft": skiesish.Check(failing, critical=False)},
        "format": format_name,
        "details": details,
        "sections": {"version": "1"},
    }
    response = getattr(web(config), method)("/?verbose", status=200 if healthy else 500)
    assert response.headers["Cache-Control"] == "no-store"
    if method == "head":
        assert response.body == b""
        assert int(response.headers["Content-Length"]) > 0
    else:
        assert response.headers["Content-Length"] == str(len(response.body))
        if "json" in response.content_type:
            assert json.loads(response.body)


@pytest.mark.parametrize("format_name", FORMAT_NAMES)
def test_lint_is_quiet_for_a_client_error(format_name):
    """The 400 for an unknown check passes lint in every format."""
    response = web({"checks": [passing], "format": format_name}).get("/?check=nope", status=400)
    assert response.json["status"] == "client_error"


@pytest.mark.parametrize(
    "returned", [{"a": 1}, "plain", '{"b": 2}', b"bytes"], ids=["dict", "str", "json-str", "bytes"]
)
def test_lint_is_quiet_for_custom_bodies(returned):
    """Custom handler bodies of every kind pass lint, GET and HEAD."""
    application = web({"checks": [failing], "failed_handler": lambda report: returned, "failed_status": 503})
    assert application.get("/", status=503).body
    assert application.head("/", status=503).body == b""


def test_lint_is_quiet_with_extra_headers():
    """success_headers and failed_headers pass lint."""
    config = {"checks": [passing], "success_headers": {"X-Probe": "yes", "Retry-After": "1"}}
    assert web(config).get("/").headers["X-Probe"] == "yes"
