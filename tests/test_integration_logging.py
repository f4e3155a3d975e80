"""What the Flask and py-healthcheck integrations log: py-healthcheck's lines, scrubbed, and no tracebacks.

The traceback of an exception that fails a check is the health engine's to
log; the integrations hand it the exception and log none themselves.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask
import pytest

import skiesish.integrations
from skiesish.exceptions import HealthError
from skiesish.integrations.flask import Healthz
from skiesish.integrations.healthcheck import HealthCheck
from skiesish.scrubbing import MASK

#: Where the integrations' code is, as imported (a checkout, or an installed package).
INTEGRATIONS = Path(skiesish.integrations.__file__).resolve().parent
SECRET = "hunter2"
URL = f"postgres://app:{SECRET}@db/app"


def leaking() -> tuple[bool, str]:
    raise ConnectionError(f"cannot reach {URL}")


def passing() -> tuple[bool, str]:
    return True, "all good"


def failing() -> tuple[bool, str]:
    return False, "disk full"


@pytest.fixture
def records(caplog) -> Callable[[], list[logging.LogRecord]]:
    """Every record logged at DEBUG or above, on any logger, while the test runs."""
    caplog.set_level(logging.DEBUG)
    return lambda: list(caplog.records)


def from_integrations(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The records logged by skiesish/integrations' own code."""
    return [record for record in records if Path(record.pathname).parent == INTEGRATIONS]


def record_text(record: logging.LogRecord) -> str:
    """A record's message and any traceback it carries, as a handler would write them."""
    trace = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
    return record.getMessage() + trace + (record.exc_text or "")


def wrapped_check(health: HealthCheck, name: str) -> Callable[..., Any]:
    """The function the engine calls for ``name``: the user's check as the integration wraps it."""
    engine = health._current_engine()
    return next(check.func for check in engine.checks if check.label == name)


# -- py-healthcheck's log lines -----------------------------------------------------------------


def test_a_passing_run_is_logged_at_debug_as_py_healthcheck_does(records):
    """A check that passes logs 'Health check "name" passed' at DEBUG on healthcheck.healthcheck."""
    HealthCheck(checkers=[passing]).run()
    lines = [(r.name, r.levelname, r.getMessage()) for r in records() if r.name.startswith("healthcheck")]
    assert lines == [("healthcheck.healthcheck", "DEBUG", 'Health check "passing" passed')]


def test_a_failing_run_is_logged_at_error_with_its_output(records):
    """A check that fails logs 'Health check "name" failed with output "..."' at ERROR."""
    HealthCheck(checkers=[failing]).run()
    lines = [(r.levelname, r.getMessage()) for r in records() if r.name == "healthcheck.healthcheck"]
    assert lines == [("ERROR", 'Health check "failing" failed with output "disk full"')]


def test_a_result_reused_from_the_cache_is_not_logged_again(records):
    """Only runs are logged: a second request within the TTL adds no line."""
    health = HealthCheck(checkers=[passing, failing])
    health.run()
    health.run()
    assert len([r for r in records() if r.name == "healthcheck.healthcheck"]) == 2


def test_every_run_is_logged_when_nothing_is_cached(records):
    """With the cache off each request runs the check, and each run is logged."""
    health = HealthCheck(checkers=[failing], failed_ttl=0)
    for _ in range(3):
        health.run()
    assert len([r for r in records() if r.name == "healthcheck.healthcheck"]) == 3


def test_log_on_failure_false_leaves_failures_unlogged(records):
    """Runscope's ``log_on_failure=False`` drops the ERROR line of a failing run."""
    HealthCheck(checkers=[failing], log_on_failure=False).run()
    assert [r for r in records() if r.name == "healthcheck.healthcheck"] == []


# -- secrets in exceptions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exception_handler", "logged_line"),
    [
        (None, f'Health check "leaking" failed with output "ConnectionError: cannot reach {URL}"'),
        (
            lambda checker, error: (False, str(error)),
            f'Health check "leaking" failed with output "cannot reach {URL}"',
        ),
        (lambda checker, error: (True, f"ignored: {error}"), 'Health check "leaking" passed'),
    ],
    ids=["no handler", "handler fails it", "handler passes it"],
)
def test_a_secret_in_an_exception_never_reaches_the_integrations_log_records(
    records, exception_handler, logged_line
):
    """Whatever the exception_handler makes of it, a password in an exception message is logged masked."""
    HealthCheck(checkers=[leaking], exception_handler=exception_handler).run()
    logged = from_integrations(records())
    assert [record.getMessage() for record in logged] == [logged_line.replace(SECRET, MASK)]
    assert [record for record in logged if record.exc_info or record.exc_text] == []


def test_a_secret_in_a_healthz_check_never_reaches_the_integrations_log_records(records):
    """flask-healthz's checks log nothing of their own: the exception goes to the engine."""
    app = flask.Flask("test_integration_logging")
    Healthz(app)
    app.config["HEALTHZ"] = {"ready": leaking}
    assert app.test_client().get("/healthz/ready").status_code == 503
    assert from_integrations(records()) == []


def test_a_module_that_fails_to_import_is_logged_scrubbed(records, tmp_path, monkeypatch):
    """A HEALTHZ dotted path whose module raises on import is logged with its traceback, masked."""
    (tmp_path / "broken_health_module.py").write_text(f"raise RuntimeError('cannot reach {URL}')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_health_module", raising=False)
    app = flask.Flask("test_integration_logging")
    Healthz(app)
    app.config["HEALTHZ"] = {"ready": "broken_health_module.ready"}
    assert app.test_client().get("/healthz/ready").status_code == 500
    [logged] = from_integrations(records())
    assert ("RuntimeError: cannot reach postgres://app:" + MASK) in record_text(logged)
    assert SECRET not in record_text(logged)


# -- the exception reaches the engine ------------------------------------------------------------


def test_without_an_exception_handler_the_exception_goes_on_unchanged():
    """The engine sees the check's own exception, to log its traceback once the check turns failing."""
    error = ConnectionError("refused")

    def broken() -> bool:
        raise error

    with pytest.raises(ConnectionError) as raised:
        wrapped_check(HealthCheck(checkers=[broken]), "broken")()
    assert raised.value is error


def test_a_handler_that_fails_the_check_raises_health_error_from_the_exception():
    """exception_handler's (False, output) becomes HealthError(output) caused by the exception."""
    health = HealthCheck(checkers=[leaking], exception_handler=lambda checker, error: (False, "db down"))
    with pytest.raises(HealthError, match=r"^db down$") as raised:
        wrapped_check(health, "leaking")()
    assert isinstance(raised.value.__cause__, ConnectionError)


def test_a_handler_that_passes_the_check_returns_its_answer():
    """exception_handler's (True, output) is the check's answer: nothing is raised."""
    health = HealthCheck(checkers=[leaking], exception_handler=lambda checker, error: (True, "fine"))
    assert wrapped_check(health, "leaking")() == (True, "fine")
