"""A check that raises anything, returns nonsense or outlives its engine is a failed check, never a crash."""

from __future__ import annotations

import asyncio
import http.client
import logging
import threading
import time

import pytest
from webtest.http import StopableWSGIServer

import skiesish
from skiesish import Check, ConfigurationError
from skiesish.di import DI
from skiesish.handlers import Callable, HealthCheck, SimpleRouting
from skiesish.health import HealthEngine
from skiesish.health.outcome import MAX_OUTPUT_LENGTH
from skiesish.health.pool import DaemonPool

NO_CACHE = {"success_ttl": None, "failed_ttl": None}


class Unprintable:
    """An object whose str(), repr() and truth value all raise."""

    def __str__(self):
        raise RuntimeError("no str")

    def __repr__(self):
        raise RuntimeError("no repr")

    def __bool__(self):
        raise SystemExit("no bool")


class UnprintableError(Exception):
    """An exception whose message cannot be read."""

    def __str__(self):
        raise KeyboardInterrupt


class CustomBaseError(BaseException):
    """A BaseException of the check's own, outside the Exception tree."""


BASE_EXCEPTIONS = [
    SystemExit(3),
    SystemExit(),
    KeyboardInterrupt(),
    GeneratorExit(),
    asyncio.CancelledError(),
    CustomBaseError("odd"),
]


def raising(error):
    """A synchronous check raising ``error``."""

    def check():
        raise error

    return check


def raising_async(error):
    """An ``async def`` check raising ``error``."""

    async def check():
        raise error

    return check


def evaluate_once(check, **settings):
    """The single result of an engine over ``check`` (no cache)."""
    check = check if isinstance(check, Check) else Check(check, name="check")
    engine = HealthEngine([check], DI(), **{**NO_CACHE, **settings})
    try:
        return engine.evaluate().results[0]
    finally:
        engine.close()


@pytest.mark.parametrize("make", [raising, raising_async], ids=["sync", "async"])
@pytest.mark.parametrize("error", BASE_EXCEPTIONS, ids=lambda error: type(error).__name__)
def test_any_base_exception_is_a_failed_check(make, error):
    """SystemExit, KeyboardInterrupt, GeneratorExit, CancelledError and the like fail the check, naming it."""
    result = evaluate_once(make(error))
    assert result.passed is False
    assert result.output.startswith(type(error).__name__)


def test_the_next_run_after_a_base_exception_starts_afresh():
    """A check that raised SystemExit once passes on its next run."""
    calls = []

    def check():
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit(1)
        return True

    engine = HealthEngine([check], DI(), **NO_CACHE)
    assert not engine.evaluate().passed
    assert engine.evaluate().passed
    engine.close()


@pytest.mark.parametrize(
    ("value", "falsy_fails", "output_start"),
    [
        (Unprintable(), True, "returned Unprintable, whose truth value raised SystemExit"),
        (Unprintable(), False, "returned Unprintable <Unprintable instance at"),
        ((False, Unprintable()), False, "<Unprintable whose str() raised RuntimeError>"),
        ([1, 2, 3], False, "returned list [1, 2, 3]; expected True, False, None or a (bool, message)"),
        (5, False, "returned int 5"),
        ((x for x in ()), False, "returned generator"),
        ("x" * 10_000_000, False, "returned str 'xxx"),
    ],
    ids=["bool-raises", "repr-raises", "message-str-raises", "list", "int", "generator", "huge-string"],
)
def test_nonsense_return_values_fail_with_a_short_message(value, falsy_fails, output_start):
    """Whatever a check returns, and whatever its methods raise, it fails with a bounded message."""
    result = evaluate_once(Check(lambda: value, name="check", falsy_fails=falsy_fails))
    assert result.passed is False
    assert result.output.startswith(output_start)
    assert len(result.output) < MAX_OUTPUT_LENGTH + 40


@pytest.mark.parametrize(
    "check",
    [
        raising(RuntimeError("x" * 5_000_000)),
        raising(skiesish.HealthError("y" * 5_000_000)),
        lambda: (False, "z" * 5_000_000),
    ],
    ids=["exception", "health-error", "message"],
)
def test_huge_outputs_are_cut(check):
    """An output of megabytes is kept to MAX_OUTPUT_LENGTH characters, saying how much was cut."""
    result = evaluate_once(check)
    assert len(result.output) < MAX_OUTPUT_LENGTH + 40
    assert result.output.endswith("characters cut]")


def test_an_exception_whose_message_raises_is_a_failed_check():
    """An exception whose __str__ raises KeyboardInterrupt still gives a failed result naming its type."""
    result = evaluate_once(raising(UnprintableError()))
    assert result.output == "UnprintableError: <UnprintableError whose str() raised KeyboardInterrupt>"


@pytest.mark.parametrize("error", BASE_EXCEPTIONS, ids=lambda error: type(error).__name__)
def test_a_wsgi_answer_comes_back_whatever_a_check_raises(error):
    """Through the WSGI context, a check raising a BaseException is answered 500 with the failure envelope."""
    application = skiesish.contexts.wsgi(
        skiesish.Application(HealthCheck, {"checks": [raising(error)], **NO_CACHE})
    )
    captured = {}
    body = b"".join(application(wsgi_get("/"), lambda status, headers: captured.update(status=status)))
    assert captured["status"] == "500 Internal Server Error"
    assert body.startswith(b'{"status": "failure"')
    application.close()


@pytest.mark.parametrize("error", BASE_EXCEPTIONS, ids=lambda error: type(error).__name__)
def test_a_handler_raising_a_base_exception_on_a_worker_thread_is_answered(error):
    """A Callable handler raising a BaseException off the main thread gets a 500, not a dropped request."""
    application = skiesish.contexts.wsgi(skiesish.Application(Callable, {"callable": raising(error)}))
    captured = {}

    def call():
        captured["body"] = b"".join(
            application(wsgi_get("/"), lambda status, headers: captured.update(status=status))
        )

    worker = threading.Thread(target=call)
    worker.start()
    worker.join(60)
    assert captured["status"] == "500 Internal Server Error"


def test_interpreter_stops_on_the_main_thread_still_stop_it():
    """KeyboardInterrupt raised by a handler on the main thread (Ctrl-C) is not swallowed."""
    application = skiesish.contexts.wsgi(
        skiesish.Application(Callable, {"callable": raising(KeyboardInterrupt())})
    )
    with pytest.raises(KeyboardInterrupt):
        application(wsgi_get("/"), lambda status, headers: None)


def test_a_server_keeps_answering_after_many_base_exceptions():
    """Under real waitress, 150 requests whose check raises SystemExit each get a 500; /ok still a 200."""
    application = skiesish.contexts.wsgi(
        skiesish.Application(
            SimpleRouting,
            {
                "routes": [
                    {
                        "path": "bad",
                        "handler_class": HealthCheck,
                        "handler_config": {"checks": [raising(SystemExit())], **NO_CACHE},
                    },
                    {
                        "path": "gone",
                        "handler_class": Callable,
                        "handler_config": {"callable": raising(GeneratorExit())},
                    },
                    {"path": "ok", "handler_class": HealthCheck, "handler_config": {}},
                ]
            },
        )
    )
    server = StopableWSGIServer.create(application, threads=4)
    try:
        statuses = [get(server, "/bad" if index % 2 else "/gone") for index in range(150)]
        assert statuses == [500] * 150
        assert get(server, "/ok") == 200
    finally:
        server.shutdown()
        application.close()


# -- tracebacks in the log ---------------------------------------------------------


def traceback_records(caplog):
    """The skiesish records that carry a traceback."""
    return [record for record in caplog.records if record.name == "skiesish" and record.exc_text]


def test_a_raising_check_logs_its_traceback_once_per_change_and_scrubbed(caplog):
    """The traceback is logged, scrubbed, when the check turns failing, and not again while it stays so."""
    state = {"healthy": False}

    def database():
        if not state["healthy"]:
            raise RuntimeError("cannot reach postgres://app:hunter2@db/app")
        return True

    engine = HealthEngine([database], DI(), **NO_CACHE)
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        engine.evaluate()
        engine.evaluate()
        assert len(traceback_records(caplog)) == 1
        state["healthy"] = True
        engine.evaluate()
        state["healthy"] = False
        engine.evaluate()
    records = traceback_records(caplog)
    assert len(records) == 2
    assert "RuntimeError" in records[0].exc_text
    assert "in database" in records[0].exc_text
    assert "app:********@db" in records[0].exc_text
    assert "hunter2" not in caplog.text
    engine.close()


def test_a_plain_health_error_logs_no_traceback(caplog):
    """HealthError("why") is a check saying why: no traceback is logged."""
    engine = HealthEngine([raising(skiesish.HealthError("disk full"))], DI(), **NO_CACHE)
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        engine.evaluate()
    assert traceback_records(caplog) == []
    engine.close()


def test_a_health_error_raised_from_another_logs_the_cause(caplog):
    """HealthError raised from another exception logs the traceback, cause included."""

    def check():
        try:
            {}["missing"]
        except KeyError as error:
            raise skiesish.HealthError("lookup failed") from error

    engine = HealthEngine([check], DI(), **NO_CACHE)
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        engine.evaluate()
    (record,) = traceback_records(caplog)
    assert "KeyError: 'missing'" in record.exc_text
    engine.close()


def test_the_health_check_callable_logs_its_traceback(caplog):
    """The HealthCheck handler's callable that raises has its traceback logged (scrubbed)."""

    def is_healthy():
        raise ValueError("token=abcdef123456")

    run = skiesish.contexts.test(skiesish.Application(HealthCheck, {"callable": is_healthy}))
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        run()
    (record,) = traceback_records(caplog)
    assert "ValueError" in record.exc_text
    assert "abcdef123456" not in caplog.text


# -- background refresh --------------------------------------------------------------


def wait_for(condition, seconds=60.0):
    """Poll ``condition`` until it is true; fail after ``seconds`` (a hang guard, not a timing target)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never became true"
        time.sleep(0.01)


def test_background_refresh_survives_a_check_raising_system_exit(caplog):
    """A SystemExit from a check in background mode is a failed result; the refresh goes on running."""
    calls = []

    def check():
        calls.append(1)
        raise SystemExit(1)

    engine = HealthEngine([check], DI(), background_interval=0.01)
    wait_for(lambda: len(calls) >= 5)
    report = engine.evaluate()
    assert report.status == "fail"
    assert report.results[0].output == "SystemExit: 1"
    engine.close()


def test_a_stopped_refresh_turns_the_report_unknown(caplog):
    """When refreshing stops producing results, the report turns unknown (failing) instead of frozen."""
    engine = HealthEngine([lambda: True], DI(), background_interval=0.01, timeout=0.05)
    wait_for(lambda: engine.evaluate().status == "pass")

    def broken_refresh():
        raise SystemExit("refresh broken")

    with caplog.at_level(logging.ERROR, logger="skiesish"):
        engine.refresh = broken_refresh  # every further refresh fails, as a dead refresher would
        wait_for(lambda: engine.evaluate().status == "unknown")
    report = engine.evaluate()
    assert report.passed is False
    assert report.results[0].output.startswith("stale: the latest result is")
    assert "background health refresh failed" in caplog.text
    assert "has produced nothing for" in caplog.text
    engine.close()


@pytest.mark.parametrize("interval", [float("inf"), 1e10, float("nan"), 0, -1, 0.001])
def test_absurd_intervals_are_refused_at_build_time(interval):
    """interval: inf, 1e10, nan, 0 and negative values fail when the application is built."""
    with pytest.raises(
        ConfigurationError, match=r"'interval': must be a number of seconds from 0.01 to 86400"
    ):
        skiesish.Application(HealthCheck, {"refresh": "background", "interval": interval})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timeout", float("inf")),
        ("timeout", 1e10),
        ("timeout", float("nan")),
        ("timeout", 0),
        ("success_ttl", float("inf")),
        ("success_ttl", 1e10),
        ("failed_ttl", -1),
        ("failed_ttl", float("nan")),
    ],
)
def test_absurd_durations_are_refused_at_build_time(key, value):
    """Every duration of HealthCheck is finite, in range, and checked when the application is built."""
    with pytest.raises(
        ConfigurationError, match=rf"HealthCheck configuration: '{key}': must be a number of seconds"
    ):
        skiesish.Application(HealthCheck, {key: value})


# -- threads ---------------------------------------------------------------------------


def test_closed_contexts_leave_no_threads():
    """Thirty contexts built, probed and closed leave the thread count where it was."""
    before = threading.active_count()
    checks = {"one": lambda: True, "two": lambda: True}
    for _ in range(30):
        application = skiesish.contexts.test(
            skiesish.Application(HealthCheck, {"checks": checks, "refresh": "background"})
        )
        application()
        application.close()
    wait_for(lambda: threading.active_count() <= before)


def test_idle_pool_workers_end_on_their_own():
    """A pool's workers end after their idle time, and the pool starts new ones when work comes again."""
    pool = DaemonPool(3, idle_seconds=0.05)
    futures = [pool.submit(lambda: time.sleep(0.01)) for _ in range(3)]
    for future in futures:
        future.result(60)
    wait_for(lambda: pool.thread_count == 0)
    assert pool.submit(lambda: 42).result(60) == 42


def test_a_shut_down_pool_still_runs_late_work():
    """After shutdown, a late task still runs (a stopping server's last request), and its worker then ends."""
    pool = DaemonPool(2)
    pool.submit(lambda: None).result(60)
    pool.shutdown()
    wait_for(lambda: pool.thread_count == 0)
    assert pool.submit(lambda: "late").result(60) == "late"
    wait_for(lambda: pool.thread_count == 0)


# -- helpers ---------------------------------------------------------------------------


def wsgi_get(path):
    """A minimal environ for a GET of ``path``."""
    from conftest import wsgi_environ

    return wsgi_environ(PATH_INFO=path)


def get(server, path):
    """GET ``path`` from a StopableWSGIServer; the status code (a hang fails after 30 s, not never)."""
    connection = http.client.HTTPConnection(server.adj.host, server.adj.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()
