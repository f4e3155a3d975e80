"""The health engine: concurrency, deadlines, caching with single-flight, background refresh."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from skiesish import Check, ConfigurationError
from skiesish.di import DI
from skiesish.health import HealthEngine

NO_CACHE = {"success_ttl": None, "failed_ttl": None}


@pytest.fixture
def released():
    """An event that hung checks wait on; set at teardown so no thread outlives the test for long."""
    event = threading.Event()
    yield event
    event.set()


def engine(checks, **settings) -> HealthEngine:
    """An engine over ``checks`` with a plain container."""
    return HealthEngine(checks, DI(), **settings)


def counted(result=True):
    """A check that counts its runs in ``check.runs``."""

    def check():
        check.runs += 1
        return result

    check.runs = 0
    return check


def test_checks_run_concurrently():
    """Five checks that can only finish together (a barrier of five) all pass."""
    barrier = threading.Barrier(5, timeout=10)

    def make(index):
        def check():
            barrier.wait()
            return True

        return Check(check, name=f"check{index}")

    report = engine([make(index) for index in range(5)], **NO_CACHE).evaluate()
    assert [result.status for result in report.results] == ["pass"] * 5


def test_a_check_past_its_deadline_fails_and_is_not_waited_for(released):
    """A hung check is reported 'timed out after N s' while it is still running; its neighbour passes."""
    finished = threading.Event()

    def hung():
        released.wait(30)
        finished.set()

    report = engine([Check(hung, timeout=0.2), Check(lambda: True, name="healthy")], **NO_CACHE).evaluate()
    results = {result.name: result for result in report.results}
    assert not finished.is_set()
    assert (results["hung"].passed, results["hung"].output) == (False, "timed out after 0.2 s")
    assert results["healthy"].passed
    assert report.status == "fail"


def test_a_hung_check_is_never_started_twice(released):
    """While one run of a check is in flight, later evaluations do not start another."""
    runs = []

    def hung():
        runs.append(1)
        released.wait(30)

    health = engine([Check(hung, timeout=0.05)], **NO_CACHE)
    for _ in range(5):
        assert health.evaluate().status == "fail"
    assert runs == [1]
    assert health.run_count("hung") == 1


def test_a_hung_check_costs_at_most_one_thread(released):
    """However many evaluations meet a hung check, the pool holds at most one thread per check."""

    def hung():
        released.wait(30)

    health = engine([Check(hung, timeout=0.02), Check(lambda: True, name="healthy")], **NO_CACHE)
    for _ in range(10):
        health.evaluate()
    assert health._pool.thread_count <= 2


def test_an_async_check_is_awaited():
    """An async def check runs and its (bool, message) return is read."""

    async def database():
        await asyncio.sleep(0)
        return True, "connected"

    result = engine([database]).evaluate().results[0]
    assert (result.passed, result.output) == (True, "connected")


def test_an_async_check_is_cancelled_at_its_deadline():
    """An async check still running at its deadline is cancelled, not left running."""
    cancelled = threading.Event()

    async def slow():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    result = engine([Check(slow, timeout=0.1)], **NO_CACHE).evaluate().results[0]
    assert (result.passed, result.output) == (False, "timed out after 0.1 s")
    assert cancelled.wait(10)


def test_concurrent_evaluations_share_one_run():
    """32 evaluations that need the same expired result wait for one run instead of starting 32."""
    gate = threading.Event()
    check = counted()

    def slow():
        gate.wait(10)
        return check()

    health = engine([Check(slow, name="slow")], success_ttl=60)
    barrier = threading.Barrier(33, timeout=10)
    statuses = []

    def probe():
        barrier.wait()
        statuses.append(health.evaluate().status)

    threads = [threading.Thread(target=probe) for _ in range(32)]
    for thread in threads:
        thread.start()
    barrier.wait()
    time.sleep(0.2)  # let every probe reach the in-flight run before it ends
    gate.set()
    for thread in threads:
        thread.join(10)
    assert statuses == ["pass"] * 32
    assert check.runs == 1


def test_a_passing_result_is_reused_within_success_ttl():
    """Within success_ttl the check does not run again and the result says it was cached."""
    check = counted()
    health = engine([check], success_ttl=60)
    first, second = health.evaluate(), health.evaluate()
    assert check.runs == 1
    assert (first.results[0].cached, second.results[0].cached) == (False, True)


def test_a_failing_result_is_reused_within_failed_ttl():
    """Within failed_ttl a failing check does not run again."""
    check = counted(False)
    health = engine([check], success_ttl=None, failed_ttl=60)
    health.evaluate()
    health.evaluate()
    assert check.runs == 1


def test_ttl_none_runs_every_time():
    """With both TTLs None every evaluation runs the check."""
    check = counted()
    health = engine([check], **NO_CACHE)
    for _ in range(3):
        health.evaluate()
    assert check.runs == 3


def test_a_result_expires_after_its_ttl():
    """Once success_ttl has passed, the next evaluation runs the check again."""
    check = counted()
    health = engine([check], success_ttl=0.05)
    health.evaluate()
    time.sleep(0.2)
    health.evaluate()
    assert check.runs == 2


def test_a_check_overrides_the_handler_ttls():
    """Check(success_ttl=None) runs every time even when the engine caches."""
    check = counted()
    health = engine([Check(check, name="uncached", success_ttl=None)], success_ttl=60)
    health.evaluate()
    health.evaluate()
    assert check.runs == 2


def test_a_failure_is_visible_once_the_success_ttl_ends():
    """A dependency that dies is reported after at most success_ttl."""
    state = {"healthy": True}
    health = engine([Check(lambda: state["healthy"], name="dependency")], success_ttl=0.05, failed_ttl=60)
    assert health.evaluate().passed
    state["healthy"] = False
    time.sleep(0.2)
    assert not health.evaluate().passed


def test_non_critical_failures_warn():
    """A failing non-critical check makes the whole 'warn', which still passes."""
    report = engine(
        [Check(lambda: False, name="optional", critical=False), Check(lambda: True, name="core")]
    ).evaluate()
    assert (report.status, report.passed) == ("warn", True)
    assert report.results[0].status == "warn"


def test_every_failure_is_reported():
    """All checks run and every failure is in the report, not only the first."""
    report = engine([Check(lambda: False, name="a"), Check(lambda: False, name="b")]).evaluate()
    assert [result.name for result in report.failures] == ["a", "b"]


def test_evaluate_selected_names_only():
    """evaluate(names) runs only the named checks, in the order given."""
    first, second = counted(), counted()
    health = engine([Check(first, name="first"), Check(second, name="second")], **NO_CACHE)
    report = health.evaluate(["second"])
    assert [result.name for result in report.results] == ["second"]
    assert (first.runs, second.runs) == (0, 1)


def test_unknown_selected_name_raises_key_error():
    """Asking for a check the engine does not have raises KeyError naming it."""
    with pytest.raises(KeyError, match="nope"):
        engine([counted()]).evaluate(["nope"])


def test_duplicate_names_are_refused():
    """Two checks with one name are a ValueError naming it."""
    with pytest.raises(ValueError, match="'same'"):
        engine([Check(lambda: True, name="same"), Check(lambda: True, name="same")])


def test_background_refresh_reports_unknown_before_the_first_result(released):
    """In background mode, before any result, the status is 'unknown', which fails."""

    def waiting():
        released.wait(30)
        return True

    health = engine([Check(waiting, timeout=30)], background_interval=60)
    try:
        report = health.evaluate()
        assert (report.status, report.passed) == ("unknown", False)
    finally:
        health.close()


def test_background_refresh_runs_checks_and_requests_only_read():
    """The refresher runs the check on schedule; evaluations read its latest result without running it."""
    check = counted()
    health = engine([check], background_interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while health.evaluate().status != "pass" and time.monotonic() < deadline:
            time.sleep(0.01)
        runs_before = check.runs
        report = health.evaluate()
        assert report.status == "pass"
        assert report.results[0].cached
        assert check.runs >= runs_before >= 1
        time.sleep(0.3)
        assert check.runs > runs_before
    finally:
        health.close()


def test_status_changes_are_logged_once_each(caplog):
    """One warning going down (with the failing check and its output), one info line coming back."""
    state = {"healthy": True}

    def dependency():
        return (True, "") if state["healthy"] else (False, "connection refused")

    health = engine([dependency], **NO_CACHE)
    with caplog.at_level(logging.INFO, logger="skiesish"):
        health.evaluate()
        state["healthy"] = False
        health.evaluate()
        health.evaluate()
        state["healthy"] = True
        health.evaluate()
    messages = [
        (record.levelname, record.getMessage()) for record in caplog.records if record.name == "skiesish"
    ]
    assert messages == [
        ("INFO", "health is now pass (was not yet known)"),
        ("WARNING", "health is now fail (was pass): dependency: connection refused"),
        ("INFO", "health is now pass (was fail)"),
    ]


def test_on_change_is_called_with_each_new_report():
    """on_change receives the report each time the overall status changes, and only then."""
    state = {"healthy": True}
    seen = []
    health = engine([Check(lambda: state["healthy"], name="dependency")], on_change=seen.append, **NO_CACHE)
    health.evaluate()
    health.evaluate()
    state["healthy"] = False
    health.evaluate()
    assert health.status_watch.wait_delivered(timeout=60)
    assert [report.status for report in seen] == ["pass", "fail"]


def test_a_failing_on_change_does_not_fail_the_evaluation(caplog):
    """An on_change callback that raises is logged; the report is still returned."""

    def explode(report):
        raise RuntimeError("boom")

    health = engine([counted()], on_change=explode)
    assert health.evaluate().passed
    assert health.status_watch.wait_delivered(timeout=60)
    assert "on_change callback failed" in caplog.text


def test_a_slow_check_is_warned_about(caplog):
    """A check taking more than half its deadline logs a warning naming it."""

    def sluggish():
        time.sleep(0.15)
        return True

    with caplog.at_level(logging.WARNING, logger="skiesish"):
        assert engine([Check(sluggish, timeout=0.25)], **NO_CACHE).evaluate().passed
    assert "'sluggish' took" in caplog.text
    assert "more than half its 0.25 s deadline" in caplog.text


def test_status_since_and_status_changes_track_flips():
    """status_changes counts flips between pass and fail; status_since moves only on a flip."""
    state = {"healthy": True}
    health = engine([Check(lambda: state["healthy"], name="dependency")], **NO_CACHE)
    first = health.evaluate().results[0]
    second = health.evaluate().results[0]
    state["healthy"] = False
    third = health.evaluate().results[0]
    assert first.status_since == second.status_since == first.timestamp
    assert third.status_since == third.timestamp
    assert health.status_changes("dependency") == 1


def test_checks_get_their_parameters_injected():
    """A check's parameters come from the container by name."""
    health = HealthEngine([Check(lambda answer: answer == 42, name="answer")], DI(bindings={"answer": 42}))
    assert health.evaluate().passed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, (True, "")),
        (None, (True, "")),
        (False, (False, "returned False")),
        ((True, "fine"), (True, "fine")),
        ((False, "disk full"), (False, "disk full")),
        (42, (False, "returned int 42; expected True, False, None or a (bool, message) tuple")),
        ("yes", (False, "returned str 'yes'; expected True, False, None or a (bool, message) tuple")),
        ((1, "x"), (False, "returned tuple (1, 'x'); expected True, False, None or a (bool, message) tuple")),
    ],
)
def test_what_a_check_may_return(value, expected):
    """Each kind of return value is read as documented."""
    result = engine([Check(lambda: value, name="check")], **NO_CACHE).evaluate().results[0]
    assert (result.passed, result.output) == expected


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        (
            {"timeout": -1},
            r"Check\('check', timeout=...\) must be a number of seconds greater than 0 .*int -1",
        ),
        (
            {"timeout": 0},
            r"timeout=...\) must be a number of seconds greater than 0 and at most 600 "
            r"\(or None\), got int 0",
        ),
        ({"timeout": float("nan")}, r"timeout=...\) must be .*, got float nan"),
        ({"timeout": float("inf")}, r"timeout=...\) must be .*, got float inf"),
        ({"timeout": 1e10}, r"timeout=...\) must be .*at most 600 \(or None\), got float 10000000000.0"),
        ({"timeout": True}, r"timeout=...\) must be .*, got bool True"),
        (
            {"success_ttl": "soon"},
            r"success_ttl=...\) must be a number of seconds from 0 to 86400 \(or None\)",
        ),
        ({"failed_ttl": float("inf")}, r"failed_ttl=...\) must be .*, got float inf"),
        ({"failed_ttl": -0.5}, r"failed_ttl=...\) must be .*, got float -0.5"),
        ({"tags": "ready"}, r"tags must be a list or tuple of strings, got 'ready'"),
        ({"tags": ["ready", 3]}, r"tags must be a list or tuple of strings, got \['ready', 3\]"),
        ({"name": ""}, r"a check's name must be a non-empty string, got str ''"),
        ({"name": "   "}, r"a check's name must be a non-empty string"),
        ({"name": 7}, r"a check's name must be a non-empty string, got int 7"),
        ({"name": "https://admin:S3cretPassw0rd@host/"}, r"looks like a secret.*name=\.\.\."),
    ],
)
def test_bad_check_settings_are_refused(settings, match):
    """Check() refuses bad settings, at build time, with a message saying what it expected."""
    settings = {"name": "check", **settings}
    with pytest.raises(ConfigurationError, match=match):
        Check(lambda: True, **settings)


def test_a_refused_secret_name_is_not_quoted():
    """The error for a check name holding a secret does not repeat the secret."""
    with pytest.raises(ConfigurationError) as error:
        Check(lambda: True, name="https://admin:S3cretPassw0rd@host/")
    assert "S3cretPassw0rd" not in str(error.value)


def test_a_check_must_be_callable():
    """Check() refuses something that cannot be called."""
    with pytest.raises(ConfigurationError, match="a check must be callable, got int 3"):
        Check(3)


def test_a_checks_own_timeout_error_is_its_own_failure():
    """A TimeoutError a check raises itself is reported as such, not as the engine's deadline."""

    def slow_client():
        raise TimeoutError("the cache took too long")

    async def slow_async_client():
        raise TimeoutError("the queue took too long")

    report = engine([slow_client, slow_async_client], **NO_CACHE).evaluate()
    assert [result.output for result in report.results] == [
        "TimeoutError: the cache took too long",
        "TimeoutError: the queue took too long",
    ]


def test_status_change_logs_are_scrubbed(caplog):
    """A failing check's output quoting a connection string reaches the log with its password masked."""

    def database():
        return False, "cannot reach postgresql://app:hunter2@db:5432/app"

    with caplog.at_level(logging.WARNING, logger="skiesish"):
        engine([database], **NO_CACHE).evaluate()
    assert "postgresql://app:********@db:5432/app" in caplog.text
    assert "hunter2" not in caplog.text
