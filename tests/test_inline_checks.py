"""Checks whose own timeouts end them before the deadline run on the thread that asks, and only those.

A run handed to a worker thread costs more than a loopback round trip, so
the engine runs a check on the asking thread ("inline") when the check's
function promises, through ``runs_within(seconds)``, that its own timeouts
end it before the deadline: the ready-made checks on an IP address, a Unix
socket or a SQLite file. Whether a run was inline shows in which thread ran
it, or in the engine's pool having started no worker. No assertion here is
about time; the waits are hang guards.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REDIS_URL
from faultproxy import FaultProxy
from servers import SERVER_CONNECTIONS, server_named

from skiesish import Check, checks
from skiesish.backends import ConnectionDetails, Database
from skiesish.di import DI
from skiesish.health import HealthEngine
from skiesish.health.report import CheckResult
from skiesish.health.runner import _PLAIN_OUTPUT, kept_results, new_result, utcnow
from skiesish.health.shared_cache import RedisResultCache
from skiesish.scrubbing import scrub_text

NO_CACHE = {"success_ttl": None, "failed_ttl": None}
HANG_GUARD = 30.0  # seconds: a wait that long means something hangs
OWN_TIMEOUT = 0.5  # a ready-made check's own socket timeout in the fault tests, in seconds
DEADLINE = 3.0  # the engine's deadline there: above PostgreSQL's 2 s floor for connecting
ASKERS = 8  # request threads in the connection test
PROBES = 25  # probes each of them makes, in turn and then at once
SERVERS = [pytest.param(name, marks=pytest.mark.services) for name in ("postgresql", "mariadb", "redis")]


@pytest.fixture
def engines() -> Iterator[Callable[..., HealthEngine]]:
    """``engines(checks, **settings)`` builds a HealthEngine; all are closed afterwards."""
    built: list[HealthEngine] = []

    def build(checks_: list[Check], **settings: Any) -> HealthEngine:
        engine = HealthEngine(checks_, DI(), **settings)
        built.append(engine)
        return engine

    yield build
    for engine in built:
        engine.close()


@pytest.fixture
def released() -> Iterator[threading.Event]:
    """An event that blocked checks wait on; set at teardown so that no thread outlives the test."""
    event = threading.Event()
    yield event
    event.set()


def worker_count(engine: HealthEngine) -> int:
    """How many worker threads the engine's pool has started (none: every run was inline)."""
    return engine._pool.thread_count


def threads_of(func: Callable[[], Any], threads: list[int]) -> Callable[[], Any]:
    """``func``, recording the thread of each call in ``threads`` and keeping its ``runs_within``."""

    def recorded() -> Any:
        threads.append(threading.get_ident())
        return func()

    runs_within = getattr(func, "runs_within", None)
    if runs_within is not None:
        recorded.runs_within = runs_within  # type: ignore[attr-defined]
    return recorded


def promising(func: Callable[[], Any]) -> Callable[[], Any]:
    """``func`` as a ready-made check would be: promising that it ends within any deadline."""
    func.runs_within = lambda seconds: True  # type: ignore[attr-defined]
    return func


def wait_until(condition: Callable[[], bool]) -> bool:
    """Whether ``condition()`` holds, polled until it does or HANG_GUARD seconds have passed."""
    limit = time.monotonic() + HANG_GUARD
    while not condition() and time.monotonic() < limit:
        time.sleep(0.01)
    return condition()


def guarded(call: Callable[[], Any]) -> Any:
    """``call()`` on a thread of its own, failing the test if it has not returned within HANG_GUARD."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert outcome, f"still running after {HANG_GUARD} s"
    return outcome[0]


# -- which checks promise what ------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "deadline", "expected"),
    [
        (lambda: checks.redis(url="redis://127.0.0.1:6379/0"), 5.0, True),
        (lambda: checks.redis(url="redis://[::1]:6379/0"), 5.0, True),
        (lambda: checks.redis(url="unix:///run/redis.sock"), 5.0, True),
        (lambda: checks.redis(url="redis://localhost:6379/0"), 5.0, False),
        (lambda: checks.redis(url="redis://cache.internal:6379/0"), 5.0, False),
        (lambda: checks.redis(url="redis://127.0.0.1:6379/0?socket_timeout=60"), 5.0, False),
        (lambda: checks.redis(url="redis://127.0.0.1:6379/0", timeout=5.0), 5.0, False),
        (lambda: checks.redis(url="redis://127.0.0.1:6379/0", timeout=1.0), 1.5, True),
        (lambda: checks.sql(url="mysql://root@127.0.0.1:3306/test"), 5.0, True),
        (lambda: checks.sql(url="mysql://root@db.internal:3306/test"), 5.0, False),
        (lambda: checks.sql(url="postgresql://postgres@127.0.0.1:5432/test"), 5.0, True),
        (lambda: checks.sql(url="postgresql://postgres@localhost:5432/test"), 5.0, False),
        # libpq never gives up connecting sooner than 2 s, whatever the check's timeout.
        (lambda: checks.sql(url="postgresql://postgres@127.0.0.1:5432/test", timeout=1.0), 1.5, False),
        (lambda: checks.sql(url="mysql://root@127.0.0.1:3306/test", timeout=1.0), 1.5, True),
        (lambda: checks.sql(url="sqlite:///:memory:"), 5.0, True),
        (lambda: checks.tcp("127.0.0.1", 5432), 5.0, True),
        (lambda: checks.tcp("localhost", 5432), 5.0, False),
    ],
)
def test_runs_within_holds_for_ip_addresses_and_timeouts_inside_the_deadline(
    make: Callable[[], Check], deadline: float, expected: bool
) -> None:
    """A ready-made check promises to end in time only with no name to look up and every timeout shorter."""
    assert make().func.runs_within(deadline) is expected


@pytest.mark.parametrize(
    "make",
    [
        lambda: checks.sql(service="cursor_backend"),
        lambda: checks.redis(service="redis_client"),
        lambda: checks.http("http://127.0.0.1:8080/healthz"),
        lambda: Check(lambda: True, name="yours"),
    ],
)
def test_checks_running_code_they_do_not_control_promise_nothing(make: Callable[[], Check]) -> None:
    """Checks of the application's own clients, HTTP checks and user callables have no runs_within."""
    assert not hasattr(make().func, "runs_within")


# -- where runs happen --------------------------------------------------------------


@pytest.mark.parametrize("name", SERVERS)
def test_a_ready_made_check_on_an_ip_address_runs_on_the_asking_thread(
    name: str, request: pytest.FixtureRequest, engines: Callable[..., HealthEngine]
) -> None:
    """sql() and redis() on 127.0.0.1 run on the thread that asks: the pool never starts a worker."""
    server = server_named(name, request)
    engine = engines([server.make_check(url=server.url)], **NO_CACHE)
    results = [engine.evaluate().results[0] for _ in range(5)]
    assert ([result.passed for result in results], engine.run_count(results[0].name)) == ([True] * 5, 5)
    assert worker_count(engine) == 0


def test_the_asking_thread_is_the_one_that_runs_the_check(
    tmp_path: Path, engines: Callable[..., HealthEngine]
) -> None:
    """A ready-made check's function is called on the thread that called evaluate(), each time."""
    threads: list[int] = []
    ready_made = checks.sql(url=f"sqlite:///{tmp_path / 'app.db'}")
    engine = engines([Check(threads_of(ready_made.func, threads), name="database")], **NO_CACHE)
    askers = [threading.get_ident()]
    engine.evaluate()
    other = threading.Thread(target=lambda: (askers.append(threading.get_ident()), engine.evaluate()))
    other.start()
    other.join(HANG_GUARD)
    assert threads == askers
    ready_made.func.close()


def test_a_user_callable_never_runs_on_the_asking_thread(engines: Callable[..., HealthEngine]) -> None:
    """A check you write yourself always runs on a worker thread."""
    threads: list[int] = []
    engine = engines([Check(threads_of(lambda: True, threads), name="yours")], **NO_CACHE)
    engine.evaluate()
    engine.evaluate()
    assert len(threads) == 2
    assert threading.get_ident() not in threads


def test_a_promise_that_cannot_be_read_sends_the_check_to_a_worker(
    caplog: pytest.LogCaptureFixture, engines: Callable[..., HealthEngine]
) -> None:
    """A runs_within that raises counts as no promise: the check runs on a worker, and that is logged."""
    threads: list[int] = []

    def broken_promise(seconds: float) -> bool:
        raise RuntimeError("cannot tell")

    check = threads_of(lambda: True, threads)
    check.runs_within = broken_promise  # type: ignore[attr-defined]
    engine = engines([Check(check, name="unsure")], **NO_CACHE)
    caplog.set_level(logging.ERROR, logger="skiesish")
    assert engine.evaluate().passed
    assert (len(threads), threading.get_ident() in threads) == (1, False)
    assert any("'unsure' may run inline" in record.getMessage() for record in caplog.records)


@pytest.mark.services
def test_a_host_name_sends_a_ready_made_check_to_a_worker(
    request: pytest.FixtureRequest, engines: Callable[..., HealthEngine]
) -> None:
    """redis() on "localhost" (looked up by getaddrinfo, which has no timeout) runs on a worker."""
    server = server_named("redis", request)
    threads: list[int] = []
    ready_made = checks.redis(url=server.url.replace("127.0.0.1", "localhost"))
    engine = engines([Check(threads_of(ready_made.func, threads), name="redis")], **NO_CACHE)
    assert engine.evaluate().passed
    assert (len(threads), threading.get_ident() in threads) == (1, False)
    ready_made.func.close()


@pytest.mark.services
def test_with_a_shared_cache_nothing_runs_on_the_asking_thread(
    redis_client: Any, namespace: str, engines: Callable[..., HealthEngine], tmp_path: Path
) -> None:
    """With a shared cache, whose waits would come on top of the check's own timeouts, runs go to workers."""
    threads: list[int] = []
    ready_made = checks.sql(url=f"sqlite:///{tmp_path / 'app.db'}")
    engine = engines(
        [Check(threads_of(ready_made.func, threads), name="database")],
        shared_cache=RedisResultCache(REDIS_URL, namespace),
        **NO_CACHE,
    )
    assert engine.evaluate().passed
    assert (len(threads), threading.get_ident() in threads) == (1, False)
    ready_made.func.close()


def test_other_runs_start_on_workers_before_the_inline_one(
    released: threading.Event, engines: Callable[..., HealthEngine]
) -> None:
    """Of several checks due, the others are on their way before one runs inline, so that they overlap."""
    worker_started = threading.Event()
    threads: dict[str, int] = {}

    def on_a_worker() -> bool:
        threads["worker"] = threading.get_ident()
        worker_started.set()
        return released.wait(HANG_GUARD)

    def inline() -> bool:
        threads["inline"] = threading.get_ident()
        # Had the other run not been started first, this would wait for the hang guard and fail.
        is_overlapping = worker_started.wait(HANG_GUARD)
        released.set()
        return is_overlapping

    second_inline = promising(lambda: threads.setdefault("second", threading.get_ident()) is not None)
    engine = engines(
        [
            Check(promising(inline), name="inline"),
            Check(on_a_worker, name="worker"),
            Check(second_inline, name="second"),
        ],
        **NO_CACHE,
    )
    report = engine.evaluate()
    assert [result.passed for result in report.results] == [True, True, True]
    asker = threading.get_ident()
    # At most one check runs inline: the second that could went to a worker too.
    assert (threads["inline"], threads["worker"] == asker, threads["second"] == asker) == (
        asker,
        False,
        False,
    )


def test_a_request_arriving_during_an_inline_run_waits_for_it(
    released: threading.Event, engines: Callable[..., HealthEngine]
) -> None:
    """Single-flight holds inline: a second request gets the running run's result, not a run of its own."""
    started = threading.Event()

    def blocked() -> tuple[bool, str]:
        started.set()
        released.wait(HANG_GUARD)
        return True, "done"

    engine = engines([Check(promising(blocked), name="blocked")], **NO_CACHE)
    first: list[CheckResult] = []
    runner = threading.Thread(target=lambda: first.append(engine.evaluate().results[0]))
    runner.start()
    assert started.wait(HANG_GUARD)
    second: list[CheckResult] = []
    waiter = threading.Thread(target=lambda: second.append(engine.evaluate().results[0]))
    waiter.start()
    released.set()
    runner.join(HANG_GUARD)
    waiter.join(HANG_GUARD)
    assert (first, engine.run_count("blocked")) == (second, 1)


def test_a_waiter_on_a_hung_inline_run_gets_a_timeout_at_the_deadline(
    released: threading.Event, engines: Callable[..., HealthEngine]
) -> None:
    """A request waiting on another's inline run stops waiting at the run's deadline, as on any run."""
    started = threading.Event()

    def blocked() -> bool:
        started.set()
        return released.wait(HANG_GUARD)

    engine = engines([Check(promising(blocked), name="blocked", timeout=0.2)], **NO_CACHE)
    runner = threading.Thread(target=engine.evaluate, daemon=True)
    runner.start()
    assert started.wait(HANG_GUARD)
    result = guarded(engine.evaluate).results[0]
    released.set()
    runner.join(HANG_GUARD)
    assert (result.passed, result.output) == (False, "timed out after 0.2 s")


# -- the backstop -------------------------------------------------------------------


def test_an_inline_run_past_its_deadline_sends_the_check_to_workers(
    caplog: pytest.LogCaptureFixture, engines: Callable[..., HealthEngine]
) -> None:
    """A check that broke its promise is answered 'timed out', logged once, and runs on workers after."""
    threads: list[int] = []
    deadline = 0.1

    def overrunning() -> bool:
        threads.append(threading.get_ident())
        time.sleep(3 * deadline)
        return True

    engine = engines([Check(promising(overrunning), name="overrunning", timeout=deadline)], **NO_CACHE)
    caplog.set_level(logging.ERROR, logger="skiesish")
    first = engine.evaluate().results[0]
    later = [engine.evaluate().results[0] for _ in range(2)]
    assert wait_until(lambda: len(threads) >= 2)  # the run after the first has started, on a worker
    asker = threading.get_ident()
    assert (first.passed, first.output) == (False, "timed out after 0.1 s")
    assert [result.output for result in later] == ["timed out after 0.1 s"] * 2
    assert (threads[0] == asker, asker in threads[1:]) == (True, False)
    logged = [record.getMessage() for record in caplog.records if "past its" in record.getMessage()]
    assert len(logged) == 1
    assert "'overrunning'" in logged[0]


def test_a_keyboard_interrupt_in_an_inline_run_propagates_and_ends_the_run(
    engines: Callable[..., HealthEngine],
) -> None:
    """On the asking thread (maybe the main one) Ctrl-C stops the request; the next request runs anew."""
    calls: list[int] = []

    def interrupted() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return True

    engine = engines([Check(promising(interrupted), name="interrupted")], **NO_CACHE)
    with pytest.raises(KeyboardInterrupt):
        engine.evaluate()
    assert engine.evaluate().passed
    assert engine.run_count("interrupted") == 2


def test_a_keyboard_interrupt_raised_by_a_check_on_a_worker_is_a_failed_result(
    engines: Callable[..., HealthEngine],
) -> None:
    """On a worker thread, nothing a check raises stops anything: it is a failed check."""

    def interrupting() -> bool:
        raise KeyboardInterrupt

    engine = engines([Check(interrupting, name="interrupting")], **NO_CACHE)
    result = engine.evaluate().results[0]
    assert (result.passed, result.output) == (False, "KeyboardInterrupt")


# -- real servers that stop answering --------------------------------------------------


@pytest.mark.parametrize("name", SERVERS)
@pytest.mark.parametrize("connection", ["established", "new"])
def test_a_blackholed_server_fails_the_inline_run_at_the_checks_own_timeout(
    name: str,
    connection: str,
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    engines: Callable[..., HealthEngine],
) -> None:
    """A server that stops answering fails the inline run with the check's own error, and it stays inline."""
    server = server_named(name, request)
    proxy = fault_proxy(server.port)
    check = server.make_check(url=server.url_through(proxy), timeout=OWN_TIMEOUT, name="proxied")
    engine = engines([check], timeout=DEADLINE, **NO_CACHE)
    if connection == "established":
        assert engine.evaluate().passed
    proxy.set_mode("blackhole")
    blackholed = guarded(engine.evaluate).results[0]
    proxy.set_mode("pass")
    recovered = [guarded(engine.evaluate).results[0] for _ in range(3)]
    assert (blackholed.passed, blackholed.output.startswith("timed out")) == (False, False)
    assert recovered[-1].passed
    assert worker_count(engine) == 0  # every run, the blackholed one included, was inline


# -- connections ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVERS)
def test_many_request_threads_hold_one_server_connection_per_check(
    name: str,
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    engines: Callable[..., HealthEngine],
) -> None:
    """Uncached probes from eight live threads, in turn then at once, all inline, hold one connection."""
    server = server_named(name, request)
    proxy = fault_proxy(server.port)
    engine = engines([server.make_check(url=server.url_through(proxy), name="proxied")], **NO_CACHE)
    turns = [threading.Event() for _ in range(ASKERS)]
    together = threading.Barrier(ASKERS, timeout=HANG_GUARD)
    counted = threading.Event()
    passed: list[bool] = []

    def probe(turn: int) -> None:
        turns[turn].wait(HANG_GUARD)  # in turn: each thread runs the check itself
        passed.extend(engine.evaluate().passed for _ in range(PROBES))
        if turn + 1 < ASKERS:
            turns[turn + 1].set()
        together.wait()  # then all at once: single-flight
        passed.extend(engine.evaluate().passed for _ in range(PROBES))
        counted.wait(HANG_GUARD)  # alive while the server's connections are counted

    askers = [threading.Thread(target=probe, args=(turn,)) for turn in range(ASKERS)]
    for asker in askers:
        asker.start()
    turns[0].set()
    assert wait_until(lambda: len(passed) == 2 * ASKERS * PROBES)
    held = SERVER_CONNECTIONS[name](server.url, proxy.upstream_ports())
    counted.set()
    for asker in askers:
        asker.join(HANG_GUARD)
    assert (all(passed), worker_count(engine)) == (True, 0)
    assert (held, len(proxy.upstream_ports())) == (1, 1)  # one held, and no other ever opened


def test_a_database_not_per_thread_keeps_one_connection_for_all_threads(tmp_path: Path) -> None:
    """Database(per_thread=False) lends one connection to each use, whatever the thread."""
    database = Database(ConnectionDetails.from_url(f"sqlite:///{tmp_path / 'app.db'}"), per_thread=False)
    seen: set[int] = set()

    def use() -> None:
        with database.cursor() as cursor:
            seen.add(id(cursor.connection))
        database.ping()

    users = [threading.Thread(target=use) for _ in range(8)]
    for user in users:
        user.start()
        user.join(HANG_GUARD)
    assert (len(seen), database.open_connection_count()) == (1, 1)
    database.close()
    assert database.open_connection_count() == 0


def test_a_database_not_per_thread_lends_a_second_connection_to_a_second_use(tmp_path: Path) -> None:
    """A use that finds the connection lent out gets one of its own, closed afterwards; one is kept."""
    database = Database(ConnectionDetails.from_url(f"sqlite:///{tmp_path / 'app.db'}"), per_thread=False)
    with database.cursor() as outer, database.cursor() as inner:
        assert outer.connection is not inner.connection
        assert database.open_connection_count() == 2
    assert database.open_connection_count() == 1
    with pytest.raises(RuntimeError, match="per_thread=False"):
        database.connection()
    database.close()


# -- what an uncached run costs -------------------------------------------------------------


@pytest.mark.parametrize(
    "output", ["SELECT 1 in 0.1 ms", "PING in 12.3 ms", "connected in 3.0 ms", "204 in 1.5 ms"]
)
def test_a_ready_made_checks_passing_output_is_one_the_scrubber_leaves_alone(output: str) -> None:
    """The outputs the runner does not scrub (fixed words, a latency) are ones the scrubber leaves alone."""
    assert _PLAIN_OUTPUT.fullmatch(output) is not None
    assert scrub_text(output) == output


@pytest.mark.parametrize(
    "output",
    [
        "token=abc in 1.0 ms",
        "PING in 1.0 ms password=hunter2",
        "connected to redis://app:secret@cache in 1.0 ms",
    ],
)
def test_any_other_output_still_goes_through_the_scrubber(
    output: str, engines: Callable[..., HealthEngine]
) -> None:
    """An output that is not exactly a ready-made check's phrase is scrubbed as always."""
    engine = engines([Check(lambda: (True, output), name="says")], **NO_CACHE)
    assert _PLAIN_OUTPUT.fullmatch(output) is None
    assert engine.evaluate().results[0].output == scrub_text(output) != output


def test_results_made_cheaply_equal_what_the_dataclass_makes() -> None:
    """The runner's and the engine's quick ways to make and copy a result give the dataclass's own."""
    timestamp = utcnow()
    made = new_result("name", True, "PING in 0.1 ms", 0.0001, timestamp, False)
    assert made == CheckResult("name", True, "PING in 0.1 ms", 0.0001, timestamp, critical=False)
    since, last = utcnow(), utcnow()
    kept, cached = kept_results(made, since, 27.0, last, 3)
    assert kept == dataclasses.replace(
        made, status_since=since, ttl=27.0, last_success=last, status_changes=3
    )
    assert cached == dataclasses.replace(kept, cached=True)
    assert (hasattr(CheckResult, "__slots__"), hasattr(CheckResult, "__post_init__")) == (False, False)
