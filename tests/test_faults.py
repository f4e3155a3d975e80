"""Fault injection: each real server behind a FaultProxy that refuses, blackholes, slows or resets.

Every HealthCheck here runs its checks on every probe (caching off) unless a
test sets TTLs, with a deadline of DEADLINE seconds, one check reaching the
server through the proxy (``proxied``; SQL servers also have the
application's own ``cursor_backend``, whose DATABASE_URL points at the proxy)
and one healthy check beside it (``direct``, a TCP connect to the real
server). The only time bounds asserted are "the deadline plus SLACK", which
the requirement states.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from servers import Server, server_named

import skiesish
from skiesish.backends import ConnectionDetails, CursorBackend, Database
from skiesish.contexts import TestContext
from skiesish.environment import Environment
from skiesish.handlers import HealthCheck

DEADLINE = 1.0  # the engine's deadline and each ready-made check's own socket timeout, in seconds
SLACK = 0.5  # what the requirement allows past the deadline, in seconds
POLL_INTERVAL = 0.05  # seconds between probes while polling
SHORT_SUCCESS_TTL = 1.0  # small stand-ins for the default TTLs (27 s and 9 s)
SHORT_FAILED_TTL = 0.5


CREATE_PEOPLE = {
    "postgresql": "CREATE TABLE {table} (id SERIAL PRIMARY KEY, name VARCHAR(255))",
    "mysql": "CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255))",
}
PEOPLE = ["Ada", "Grace"]


ALL_SERVERS = [
    pytest.param(name, marks=pytest.mark.services) for name in ("postgresql", "mariadb", "redis", "rabbitmq")
]
SQL_SERVERS = [pytest.param(name, marks=pytest.mark.services) for name in ("postgresql", "mariadb")]
FAULTS = ["refuse", "blackhole", "reset"]


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(params=ALL_SERVERS)
def server(request: pytest.FixtureRequest) -> Server:
    """Each real server in turn (tests narrow it with ``indirect`` parametrization)."""
    return server_named(request.param, request)


@pytest.fixture
def proxy(server: Server, fault_proxy: Callable[[int], FaultProxy]) -> FaultProxy:
    """A proxy in front of ``server``, passing traffic."""
    return fault_proxy(server.port)


def uncached_health_checks(
    proxy: FaultProxy,
    tmp_path: Path,
    targets: Callable[[], dict[str, Any]],
    environ: dict[str, str],
    **context_options: Any,
) -> Iterator[Callable[..., TestContext]]:
    """The body of a ``health`` fixture: ``health(**config)`` builds a HealthCheck, closed afterwards.

    Each holds what ``targets()`` gives (its checks, made afresh each time),
    a deadline of DEADLINE, no caching and details always, then the keys
    given to ``health``; its environment is ``environ``, and
    ``context_options`` go to ``skiesish.contexts.test``. The proxy is
    closed before the HealthChecks.
    """
    contexts: list[TestContext] = []

    def build(**overrides: Any) -> TestContext:
        config: dict[str, Any] = {
            **targets(),
            "timeout": DEADLINE,
            "success_ttl": None,
            "failed_ttl": None,
            "details": "always",
            **overrides,
        }
        environment = Environment(environ=environ, env_file=tmp_path / "none")
        context = skiesish.contexts.test(
            skiesish.Application(HealthCheck, config),
            bindings={"environment": environment},
            **context_options,
        )
        contexts.append(context)
        return context

    yield build
    proxy.close()  # first: a check blocked on a held connection is released before its client closes
    for context in contexts:
        context.close()


@pytest.fixture
def health(server: Server, proxy: FaultProxy, tmp_path: Path) -> Iterator[Callable[..., TestContext]]:
    """Build a HealthCheck on ``server`` through ``proxy``: ``health(**config)`` overrides the defaults."""
    url = server.url_through(proxy)

    def targets() -> dict[str, Any]:
        return {
            "checks": [
                server.make_check(url=url, timeout=DEADLINE, name="proxied"),
                skiesish.checks.tcp("127.0.0.1", server.port, timeout=DEADLINE, name="direct"),
            ],
            "services": ["cursor_backend"] if server.is_sql else [],
        }

    yield from uncached_health_checks(
        proxy, tmp_path, targets, {"DATABASE_URL": url}, cursor_backend_to_memory_backend=False
    )


@pytest.fixture
def people_table(server: Server, table_name: str) -> Iterator[str]:
    """A table on the real SQL server (not through the proxy) holding PEOPLE; dropped afterwards."""
    database = Database(ConnectionDetails.from_url(server.url))
    try:
        with database.cursor() as cursor:
            cursor.execute(CREATE_PEOPLE[database.details.dialect].format(table=table_name))
        backend = CursorBackend(database)
        for name in PEOPLE:
            backend.create(table_name, {"name": name})
        yield table_name
        with database.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table_name}")
    finally:
        database.close()


# -- probing ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Probe:
    """One answer of the health endpoint."""

    status: int
    passed: dict[str, bool]
    seconds: float


def probe(context: TestContext) -> Probe:
    """GET the health endpoint once; time it and read each check's result from the details."""
    started = time.monotonic()
    body, status, _ = context()
    seconds = time.monotonic() - started
    return Probe(status, {name: check["passed"] for name, check in body["data"]["checks"].items()}, seconds)


def probe_until(context: TestContext, status: int, within: float) -> Probe | None:
    """Probe every POLL_INTERVAL until one answers ``status``; give up once ``within`` seconds have passed.

    A probe started before the limit counts even if it ends after it.
    """
    limit = time.monotonic() + within
    for _ in range(int(within / POLL_INTERVAL) + 2):
        answer = probe(context)
        if answer.status == status:
            return answer
        if time.monotonic() >= limit:
            return None
        time.sleep(POLL_INTERVAL)
    return None


def failing(answer: Probe) -> list[str]:
    """The names of the checks that failed in ``answer``."""
    return sorted(name for name, passed in answer.passed.items() if not passed)


def proxied_checks(server: Server) -> list[str]:
    """The checks that reach ``server`` through the proxy."""
    return ["cursor_backend", "proxied"] if server.is_sql else ["proxied"]


def answer_under(fault: str, proxy: FaultProxy, health: Callable[..., TestContext]) -> Probe:
    """Probe once while healthy (200), switch the proxy to ``fault``, and return the next probe's answer."""
    context = health()
    assert probe(context).status == 200
    proxy.set_mode(fault)
    return probe(context)


def after_fault(fault: str, proxy: FaultProxy, health: Callable[..., TestContext]) -> TestContext:
    """Probe once while healthy (200) and once under ``fault``, then switch the proxy back to pass."""
    context = health()
    assert probe(context).status == 200
    proxy.set_mode(fault)
    probe(context)
    proxy.set_mode("pass")
    return context


def statuses_around(
    fault: str, proxy: FaultProxy, health: Callable[..., TestContext]
) -> tuple[list[int], list[int]]:
    """The statuses of ten probes before ``fault``, and of ten after it (one probe under it, then pass)."""
    context = health()
    warm_up = [probe(context).status for _ in range(10)]
    proxy.set_mode(fault)
    probe(context)
    proxy.set_mode("pass")
    return warm_up, [probe(context).status for _ in range(10)]


def runs_around_a_blackhole(
    context: TestContext, proxy: FaultProxy, connection: str, own_timeout: float
) -> tuple[int, int]:
    """The proxied check's run count after a probe in a blackhole, and after later probes in it.

    With ``connection="established"`` one healthy probe comes first. The
    later probes go on every POLL_INTERVAL until one starts a new run of the
    check, or ``own_timeout`` plus SLACK has passed since the blackhole began.
    """
    engine = context.handler.engine
    if connection == "established":
        assert probe(context).status == 200
    proxy.set_mode("blackhole")
    started = time.monotonic()
    probe(context)
    runs = engine.run_count("proxied")
    limit = started + own_timeout + SLACK
    for _ in range(int((own_timeout + SLACK) / POLL_INTERVAL) + 2):
        if time.monotonic() >= limit:
            break
        time.sleep(POLL_INTERVAL)
        probe(context)  # starts a new run only if the blackholed one has ended
        if engine.run_count("proxied") > runs:
            break
    return runs, engine.run_count("proxied")


# -- one fault at a time ------------------------------------------------------------


def test_pass_answers_200(health: Callable[..., TestContext]) -> None:
    """Through a proxy that passes traffic, every check passes and the probe answers 200."""
    answer = probe(health())
    assert (answer.status, failing(answer)) == (200, [])


def test_refuse_answers_500_on_the_next_probe(
    server: Server, proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """Once the server's port refuses connections, the next probe answers 500, failing the proxied checks."""
    answer = answer_under("refuse", proxy, health)
    assert (answer.status, failing(answer)) == (500, proxied_checks(server))


def test_blackhole_answers_500_within_the_deadline(
    proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """A server that accepts but never answers fails the probe within the deadline plus SLACK."""
    answer = answer_under("blackhole", proxy, health)
    assert answer.status == 500
    assert answer.seconds <= DEADLINE + SLACK


def test_blackhole_leaves_the_healthy_check_passing(
    server: Server, proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """While the proxied checks hang in a blackhole, the healthy check beside them still passes."""
    answer = answer_under("blackhole", proxy, health)
    assert (answer.passed["direct"], failing(answer)) == (True, proxied_checks(server))


def test_reset_answers_500_or_recovers_without_hanging(
    proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """After every established connection is reset, the next probe fails or reconnects, in the deadline."""
    answer = answer_under("reset", proxy, health)
    assert answer.status in (200, 500)
    assert answer.seconds <= DEADLINE + SLACK


def test_slow_past_the_deadline_answers_500_within_the_deadline(
    proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """A server slower than the deadline fails the probe within the deadline plus SLACK."""
    context = health()
    assert probe(context).status == 200
    proxy.set_mode("slow", latency=3 * DEADLINE)
    answer = probe(context)
    assert answer.status == 500
    assert answer.seconds <= DEADLINE + SLACK


def test_slow_within_the_deadline_answers_200(proxy: FaultProxy, health: Callable[..., TestContext]) -> None:
    """A server slowed well below the deadline still passes."""
    context = health()
    assert probe(context).status == 200
    proxy.set_mode("slow", latency=DEADLINE / 20)
    answer = probe(context)
    assert (answer.status, failing(answer)) == (200, [])


@pytest.mark.parametrize("connection", ["established", "new"])
def test_proxied_check_gives_up_at_its_own_timeout_in_a_blackhole(
    server: Server, proxy: FaultProxy, health: Callable[..., TestContext], connection: str
) -> None:
    """In a blackhole a ready-made check's own socket timeout ends its run, so a later probe runs it again."""
    # libpq (and psycopg after it) treat a connect_timeout under 2 s as 2 s ("connect_timeout" in
    # PostgreSQL's libpq documentation, section 34.1.2), and a blackholed run may have to connect.
    own_timeout = max(DEADLINE, 2.0) if server.name == "postgresql" else DEADLINE
    before, after = runs_around_a_blackhole(health(services=[]), proxy, connection, own_timeout)
    assert after > before


# -- recovery -----------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_answers_200_again_once_the_fault_ends(
    proxy: FaultProxy, health: Callable[..., TestContext], fault: str
) -> None:
    """Back to pass, probes answer 200 again within the deadline plus SLACK."""
    assert probe_until(after_fault(fault, proxy, health), 200, within=DEADLINE + SLACK) is not None


@pytest.mark.parametrize("fault", ["refuse", "reset"])
def test_no_probe_fails_once_the_fault_ends(
    proxy: FaultProxy, health: Callable[..., TestContext], fault: str
) -> None:
    """Back to pass, no probe fails: no check trips over a connection that died while the fault lasted."""
    assert statuses_around(fault, proxy, health) == ([200] * 10, [200] * 10)


def app_through_fault(
    health: Callable[..., TestContext], proxy: FaultProxy, table: str, fault: str
) -> tuple[TestContext, CursorBackend]:
    """Query ``table`` through cursor_backend (holding a connection), inject ``fault``, probe, pass again."""
    context = health()
    backend = context.di.build("cursor_backend")
    assert backend.count(table) == len(PEOPLE)  # this thread now holds a connection through the proxy
    proxy.set_mode(fault)
    probe(context)
    proxy.set_mode("pass")
    return context, backend


@pytest.mark.parametrize("server", SQL_SERVERS, indirect=True)
@pytest.mark.parametrize("fault", FAULTS)
def test_app_queries_work_again_once_the_fault_ends(
    proxy: FaultProxy, health: Callable[..., TestContext], people_table: str, fault: str
) -> None:
    """Back to pass, the app's first query through cursor_backend works: its dead connection was replaced."""
    context, backend = app_through_fault(health, proxy, people_table, fault)
    assert probe_until(context, 200, within=DEADLINE + SLACK) is not None
    assert [person["name"] for person in backend.records(people_table, sort="name")] == PEOPLE


@pytest.mark.parametrize("server", SQL_SERVERS, indirect=True)
@pytest.mark.parametrize("fault", FAULTS)
def test_a_dead_app_connection_is_replaced_after_one_failed_query(
    proxy: FaultProxy, health: Callable[..., TestContext], people_table: str, fault: str
) -> None:
    """Back to pass, a query that finds the application's connection dead drops it, and the next one works."""
    _, backend = app_through_fault(health, proxy, people_table, fault)
    driver = backend.database.driver
    with contextlib.suppress(driver.OperationalError, driver.InterfaceError):
        backend.count(people_table)  # may meet the connection that died during the fault
    assert backend.count(people_table) == len(PEOPLE)


# -- with caching ------------------------------------------------------------------


def test_a_failure_shows_after_at_most_success_ttl(
    proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """With TTLs, a passing result is reused no longer than success_ttl: the failure shows by then."""
    context = health(success_ttl=SHORT_SUCCESS_TTL, failed_ttl=SHORT_FAILED_TTL)
    assert probe(context).status == 200
    proxy.set_mode("refuse")
    assert probe_until(context, 500, within=SHORT_SUCCESS_TTL + DEADLINE + SLACK) is not None


def test_recovery_shows_after_at_most_failed_ttl(
    proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """With TTLs, a failing result is reused no longer than failed_ttl: the recovery shows by then."""
    context = health(success_ttl=SHORT_SUCCESS_TTL, failed_ttl=SHORT_FAILED_TTL)
    assert probe(context).status == 200
    proxy.set_mode("refuse")
    assert probe_until(context, 500, within=SHORT_SUCCESS_TTL + DEADLINE + SLACK) is not None
    proxy.set_mode("pass")
    assert probe_until(context, 200, within=SHORT_FAILED_TTL + DEADLINE + SLACK) is not None


# -- the proxy itself ------------------------------------------------------------------

REDIS_ONLY = [pytest.param("redis", marks=pytest.mark.services)]


def redis_ping(sock: socket.socket) -> bytes:
    """Send a Redis inline PING on ``sock`` and return the first bytes of the answer."""
    sock.sendall(b"PING\r\n")
    return sock.recv(64)


@pytest.mark.parametrize("server", REDIS_ONLY, indirect=True)
def test_proxy_passes_traffic_both_ways(proxy: FaultProxy) -> None:
    """In pass mode the proxy forwards a request and its answer."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=DEADLINE) as sock:
        assert redis_ping(sock) == b"+PONG\r\n"


@pytest.mark.parametrize("server", REDIS_ONLY, indirect=True)
def test_proxy_refuse_closes_the_port_until_pass(proxy: FaultProxy) -> None:
    """In refuse mode connects are refused; back to pass, the same port accepts again."""
    proxy.set_mode("refuse")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=DEADLINE).close()
    proxy.set_mode("pass")
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=DEADLINE) as sock:
        assert redis_ping(sock) == b"+PONG\r\n"


@pytest.mark.parametrize("server", REDIS_ONLY, indirect=True)
def test_proxy_reset_aborts_established_connections(proxy: FaultProxy) -> None:
    """Reset mode drops an established connection with an RST."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=DEADLINE) as sock:
        assert redis_ping(sock) == b"+PONG\r\n"
        proxy.set_mode("reset")
        with pytest.raises(ConnectionResetError):
            redis_ping(sock)


@pytest.mark.parametrize("server", REDIS_ONLY, indirect=True)
def test_proxy_blackhole_accepts_but_never_answers(proxy: FaultProxy) -> None:
    """In blackhole mode a connection is accepted and its request read, but nothing comes back."""
    proxy.set_mode("blackhole")
    with (
        socket.create_connection(("127.0.0.1", proxy.port), timeout=DEADLINE / 4) as sock,
        pytest.raises(TimeoutError),
    ):
        redis_ping(sock)


@pytest.mark.parametrize("server", REDIS_ONLY, indirect=True)
def test_proxy_leaving_blackhole_closes_held_connections(proxy: FaultProxy) -> None:
    """A connection held in the blackhole is closed when the blackhole ends."""
    proxy.set_mode("blackhole")
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=DEADLINE) as sock:
        sock.sendall(b"PING\r\n")
        for _ in range(int(DEADLINE / POLL_INTERVAL)):  # until the proxy has taken the connection in
            if proxy.connection_count():
                break
            time.sleep(POLL_INTERVAL)
        proxy.set_mode("pass")
        try:
            answer = sock.recv(64)
        except ConnectionResetError:
            answer = b""
        assert answer == b""
