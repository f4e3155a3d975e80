"""Health over time: flap damping, slow runs, listeners, and checks changed on a running engine."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import skiesish
from skiesish import Check, ConfigurationError
from skiesish.di import DI
from skiesish.health import CheckRun, HealthEngine, Report
from skiesish.health import engine as engine_module
from skiesish.input_outputs import InputOutput
from skiesish.integrations.healthcheck import HealthCheck as PyHealthCheck

NO_CACHE = {"success_ttl": None, "failed_ttl": None}


class Scripted:
    """A check that passes or fails as ``outcomes`` says, one per run, and then as the last one."""

    def __init__(self, *outcomes: bool, sleep: float = 0.0) -> None:
        self.outcomes = list(outcomes)
        self.sleep = sleep
        self.runs = 0

    def __call__(self) -> tuple[bool, str]:
        outcome = self.outcomes[min(self.runs, len(self.outcomes) - 1)]
        self.runs += 1
        if self.sleep:
            time.sleep(self.sleep)
        return outcome, "up" if outcome else "down"


class Recorder:
    """A listener keeping every run and every change it is told of."""

    def __init__(self) -> None:
        self.runs: list[CheckRun] = []
        self.changes: list[str] = []

    def on_run(self, run: CheckRun) -> None:
        self.runs.append(run)

    def on_change(self, report: Report) -> None:
        self.changes.append(report.status)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The engine's clock, which the test moves by hand: ``clock[0] += seconds``."""
    now = [1_000.0]
    monkeypatch.setattr(engine_module, "_clock", lambda: now[0])
    return now


def engine(*checks: Any, **settings: Any) -> HealthEngine:
    return HealthEngine(list(checks), DI(), **{**NO_CACHE, **settings})


def statuses(health: HealthEngine, runs: int) -> list[str]:
    """The overall status after each of ``runs`` evaluations."""
    return [health.evaluate().status for _ in range(runs)]


# -- flap damping -----------------------------------------------------------------------


def test_a_passing_check_is_reported_failing_only_after_failure_threshold_failures_in_a_row() -> None:
    """With failure_threshold=3, two failures keep "pass"; the third turns it "fail"."""
    health = engine(Check(Scripted(True, False, False, False), name="db"), failure_threshold=3)
    assert statuses(health, 4) == ["pass", "pass", "pass", "fail"]


def test_a_failure_between_passes_never_shows() -> None:
    """A single failed run amid passes (a flap) is not reported with failure_threshold=2."""
    health = engine(Check(Scripted(True, False, True, False, True), name="db"), failure_threshold=2)
    assert statuses(health, 5) == ["pass"] * 5


def test_a_failing_check_recovers_only_after_success_threshold_passes_in_a_row() -> None:
    """With success_threshold=2, a failing check needs two passes in a row to be reported passing."""
    health = engine(Check(Scripted(False, True, False, True, True), name="db"), success_threshold=2)
    assert statuses(health, 5) == ["fail", "fail", "fail", "fail", "pass"]


def test_a_held_result_shows_the_last_run_and_its_own_outcome() -> None:
    """While damping holds "pass", the result says why and carries the run's own failure (raw_passed)."""
    health = engine(Check(Scripted(True, False), name="db"), failure_threshold=3)
    health.evaluate()
    result = health.evaluate().results[0]
    assert (result.passed, result.raw_passed) == (True, False)
    assert result.output == "passing until 3 failures in a row (1 so far); the last run failed: down"


def test_the_first_result_is_reported_as_it_is() -> None:
    """A check's first run has no past to damp against: a first failure is reported at once."""
    health = engine(Check(Scripted(False), name="db"), failure_threshold=5)
    assert health.evaluate().status == "fail"


def test_a_checks_own_thresholds_win_over_the_engines() -> None:
    """Check(failure_threshold=1) is not damped although the engine damps the others."""
    damped = Check(Scripted(True, False), name="damped")
    undamped = Check(Scripted(True, False), name="undamped", failure_threshold=1)
    health = engine(damped, undamped, failure_threshold=3)
    health.evaluate()
    results = {result.name: result.status for result in health.evaluate().results}
    assert results == {"damped": "pass", "undamped": "fail"}


def test_the_status_change_log_and_listeners_follow_the_damped_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Runs held by damping log nothing and tell on_change nothing: one change down, one back up."""
    recorder = Recorder()
    health = engine(
        Check(Scripted(True, False, False, True, True), name="db"),
        failure_threshold=2,
        success_threshold=2,
        listeners=[recorder],
    )
    with caplog.at_level(logging.INFO, logger="skiesish"):
        assert statuses(health, 5) == ["pass", "pass", "fail", "fail", "pass"]
    assert health.wait_notified(10)
    assert recorder.changes == ["pass", "fail", "pass"]
    assert caplog.text.count("health is now fail") == 1
    assert health.status_changes("db") == 2


def test_a_damped_failure_is_retried_at_the_failed_ttl(clock: list[float]) -> None:
    """A run that failed while "pass" is held is cached for failed_ttl (1 s), not success_ttl (60 s)."""
    check = Scripted(True, False, False)
    health = engine(Check(check, name="db"), failure_threshold=2, success_ttl=60, failed_ttl=1)
    health.evaluate()
    clock[0] += 61  # the passing result expires
    assert health.evaluate().results[0].raw_passed is False  # failed, "pass" held
    clock[0] += 2  # past failed_ttl, well within success_ttl
    assert health.evaluate().status == "fail"
    assert check.runs == 3


@pytest.mark.parametrize("value", [0, -1, 1001, "3", True, 2.5, None])
def test_a_wrong_threshold_on_the_handler_is_refused_at_build_time(value: Any) -> None:
    """failure_threshold and success_threshold must be whole numbers from 1 to 1000, naming the key."""
    for key in ("failure_threshold", "success_threshold"):
        with pytest.raises(ConfigurationError, match=key):
            skiesish.contexts.TestContext(
                skiesish.Application(skiesish.handlers.HealthCheck, {"checks": [Scripted(True)], key: value})
            )


@pytest.mark.parametrize("value", [0, -1, 1001, "3", True, 2.5])
def test_a_wrong_threshold_on_a_check_is_refused(value: Any) -> None:
    """Check(failure_threshold=...) is held to the same range, naming the check and the key."""
    with pytest.raises(
        ConfigurationError, match=r"Check\('db', failure_threshold=\.\.\.\) must be a whole number"
    ):
        Check(Scripted(True), name="db", failure_threshold=value)


# -- slow runs -----------------------------------------------------------------------------


def test_slowness_is_logged_when_it_starts_and_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    """Three slow runs log one warning; the next fast run logs that the check is fast again."""
    check = Scripted(True)
    health = engine(Check(check, name="db", slow_after=0.02))
    with caplog.at_level(logging.INFO, logger="skiesish"):
        check.sleep = 0.05
        statuses(health, 3)
        check.sleep = 0.0
        statuses(health, 2)
    assert caplog.text.count("health check 'db' took") == 1
    assert "more than its slow_after of 0.02 s" in caplog.text
    assert caplog.text.count("health check 'db' is no longer slow") == 1


def test_warn_when_slow_reports_a_passing_but_slow_check_as_warn() -> None:
    """With warn_when_slow, a slow pass is "warn" (still healthy over HTTP: 200); a fast one is "pass"."""
    check = Scripted(True, sleep=0.05)
    context = skiesish.contexts.TestContext(
        skiesish.Application(
            skiesish.handlers.HealthCheck,
            {
                "checks": [Check(check, name="db", slow_after=0.01, warn_when_slow=True)],
                "format": "health+json",
                "details": "always",
                **NO_CACHE,
            },
        )
    )
    response = context.respond(InputOutput("GET", "/"))
    body = json.loads(response.body)
    assert (response.status_code, body["status"]) == (200, "warn")
    (entry,) = body["checks"].values()
    assert entry[0]["output"].startswith("slow: 0.0")
    check.sleep = 0.0
    assert json.loads(context.respond(InputOutput("GET", "/")).body)["status"] == "pass"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"slow_after": 0}, r"slow_after=\.\.\.\)"),
        ({"slow_after": -1}, r"slow_after=\.\.\.\)"),
        ({"slow_after": "fast"}, r"slow_after=\.\.\.\)"),
        ({"warn_when_slow": "yes"}, r"warn_when_slow=\.\.\.\) must be True or False"),
    ],
)
def test_wrong_slowness_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    """slow_after must be seconds above 0 and warn_when_slow a bool, naming the check."""
    with pytest.raises(ConfigurationError, match=message):
        Check(Scripted(True), name="db", **settings)


# -- listeners -------------------------------------------------------------------------------


def test_on_run_is_told_of_every_run_and_not_of_cached_results(clock: list[float]) -> None:
    """on_run gets each run with the result before it; a cached answer is no run."""
    recorder = Recorder()
    health = HealthEngine([Check(Scripted(True, False), name="db")], DI(), success_ttl=60, failed_ttl=60)
    health.add_listener(recorder)
    health.evaluate()
    health.evaluate()  # cached
    clock[0] += 61
    health.evaluate()
    assert health.wait_notified(10)
    assert [
        (run.result.passed, run.previous and run.previous.passed, run.is_change) for run in recorder.runs
    ] == [
        (True, None, True),
        (False, True, True),
    ]


def test_a_failing_listener_is_logged_and_the_next_one_still_told(caplog: pytest.LogCaptureFixture) -> None:
    """A listener that raises never stops the listeners after it, nor the probe."""

    class Broken:
        def on_run(self, run: CheckRun) -> None:
            raise RuntimeError("listener broke")

    recorder = Recorder()
    health = engine(Check(Scripted(True), name="db"), listeners=[Broken(), recorder])
    assert health.evaluate().passed
    assert health.wait_notified(10)
    assert len(recorder.runs) == 1
    assert "an on_run listener failed" in caplog.text


def test_a_listener_without_either_method_is_refused_at_build_time() -> None:
    """The listeners key names the item that has neither on_run nor on_change."""
    with pytest.raises(ConfigurationError, match=r"listeners.*item 1 \(object\) has neither an on_run"):
        skiesish.contexts.TestContext(
            skiesish.Application(
                skiesish.handlers.HealthCheck,
                {"checks": [Scripted(True)], "listeners": [Recorder(), object()]},
            )
        )


# -- checks changed at run time ---------------------------------------------------------------


def test_a_check_added_while_running_joins_the_next_report_and_the_others_keep_their_cache() -> None:
    """add_check: the next report holds the new check; the existing one is not run again."""
    first = Scripted(True)
    health = HealthEngine([Check(first, name="first")], DI(), success_ttl=60, failed_ttl=60)
    assert [result.name for result in health.evaluate().results] == ["first"]
    health.add_check(Check(Scripted(False), name="second"))
    report = health.evaluate()
    assert [(result.name, result.passed) for result in report.results] == [("first", True), ("second", False)]
    assert first.runs == 1


def test_replacing_and_removing_checks_while_running() -> None:
    """replace=True swaps a check of the same name; remove_check drops one; a duplicate is refused."""
    closed = []
    old = Scripted(False)
    old.close = lambda: closed.append("old")  # type: ignore[attr-defined]
    health = engine(Check(old, name="db"), Check(Scripted(True), name="cache"))
    with pytest.raises(ConfigurationError, match="a check named 'db' exists already"):
        health.add_check(Check(Scripted(True), name="db"))
    health.add_check(Check(Scripted(True), name="db"), replace=True)
    assert closed == ["old"]
    assert health.evaluate().passed
    health.remove_check("cache")
    assert health.names == ["db"]
    with pytest.raises(KeyError):
        health.remove_check("cache")


def test_an_answer_kept_before_a_change_is_not_sent_after_it() -> None:
    """The WSGI context's kept answer is dropped when the handler's checks change."""
    context = skiesish.contexts.TestContext(
        skiesish.Application(
            skiesish.handlers.HealthCheck,
            {"checks": [Check(Scripted(True), name="db")], "format": "health+json", "details": "always"},
        )
    )
    before = json.loads(context.respond(InputOutput("GET", "/")).body)
    context.handler.add_check(Check(Scripted(False), name="queue"))
    response = context.respond(InputOutput("GET", "/"))
    after = json.loads(response.body)
    assert {key.split(":")[0] for key in before["checks"]} == {"db"}
    assert {key.split(":")[0] for key in after["checks"]} == {"db", "queue"}
    assert response.status_code == 500
    assert context.respond(InputOutput("GET", "/", {"check": ["queue"]})).status_code == 500
    context.handler.remove_check("queue")
    assert context.respond(InputOutput("GET", "/", {"check": ["queue"]})).status_code == 400


@pytest.fixture
def hammering() -> Iterator[tuple[HealthEngine, list[BaseException], list[frozenset[str]]]]:
    """An engine probed by 64 threads until the test ends; yields it, their errors and each report's names."""
    health = engine(Check(Scripted(True), name="base"))
    errors: list[BaseException] = []
    seen: list[frozenset[str]] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            try:
                report = health.evaluate()
                seen.append(frozenset(result.name for result in report.results))
                assert all(result.passed for result in report.results)
            except BaseException as error:  # noqa: BLE001 - collected for the test to show
                errors.append(error)
                return

    threads = [threading.Thread(target=probe, daemon=True) for _ in range(64)]
    for thread in threads:
        thread.start()
    yield health, errors, seen
    stop.set()
    for thread in threads:
        thread.join(30)


def test_adding_and_removing_checks_under_64_concurrent_probes(
    hammering: tuple[HealthEngine, list[BaseException], list[frozenset[str]]],
) -> None:
    """64 threads probe while checks come and go: no exception, every report a set that existed."""
    health, errors, seen = hammering
    valid = {frozenset({"base"}), frozenset({"base", "extra"})}
    for _ in range(100):
        health.add_check(Check(Scripted(True), name="extra"))
        health.remove_check("extra")
    health.add_check(Check(Scripted(True), name="extra"))
    count = len(seen)
    while len(seen) < count + 64 and not errors:
        time.sleep(0.01)
    assert errors == []
    assert set(seen) <= valid
    assert seen[-1] == frozenset({"base", "extra"})


def test_py_healthcheck_add_check_after_the_first_request_keeps_the_others_cached() -> None:
    """py-healthcheck's add_check after a request joins the running engine; the first check is not rerun."""
    first = Scripted(True)
    health = PyHealthCheck(success_ttl=60)
    health.add_check(Check(first, name="first"))
    assert health.run()[1] == 200
    health.add_check(Check(Scripted(False), name="second"))
    body, status, _ = health.run()
    assert status == 500
    assert [result["checker"] for result in json.loads(body)["results"]] == ["first", "second"]
    assert first.runs == 1


def test_probes_listeners_hear_readiness_changes_only() -> None:
    """With skiesish.probes, on_change listeners hear readiness, never liveness mixed in."""
    recorder = Recorder()
    ready = Scripted(True, False)
    live = Scripted(False)
    context = skiesish.contexts.TestContext(
        skiesish.probes(
            live=[Check(live, name="loop")],
            ready=[Check(ready, name="database")],
            listeners=[recorder],
            **NO_CACHE,
        )
    )
    for path in ("/livez", "/readyz", "/livez", "/readyz"):
        context.respond(InputOutput("GET", path))
    assert context.handler.health.engine.wait_notified(10)
    assert recorder.changes == ["pass", "fail"]
