"""Nothing leaks: many probes hold few server connections; after a blackhole, threads and fds come back.

Each HealthCheck runs its checks on every probe (caching off) and reaches its
server through a FaultProxy. Server-side counts are narrowed to the
connections that came through the proxy (by the client ports it used), so
other clients of the same servers, such as another test run, do not count.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from servers import SERVER_CONNECTIONS, Server, server_named

import skiesish
from skiesish.contexts import TestContext
from skiesish.environment import Environment
from skiesish.handlers import HealthCheck

DEADLINE = 1.0  # the engine's deadline and each check's own socket timeout, in seconds
PROBES = 1000
SAMPLE_EVERY = 100  # probes between two looks at the server's connections
SERVER_CONNECTION_BOUND = 4  # two clients (the check's, cursor_backend's) on at most two worker threads each
SETTLE_WITHIN = 5.0  # seconds for threads and fds to come back once a blackhole ends
POLL_INTERVAL = 0.05


@pytest.fixture
def health(tmp_path: Path) -> Iterator[Callable[..., TestContext]]:
    """``health(url, **config)`` builds a HealthCheck without caching, DATABASE_URL=url; closed after."""
    contexts: list[TestContext] = []

    def build(url: str, **config: Any) -> TestContext:
        environment = Environment(environ={"DATABASE_URL": url}, env_file=tmp_path / "none")
        application = skiesish.Application(
            HealthCheck, {"timeout": DEADLINE, "success_ttl": None, "failed_ttl": None, **config}
        )
        context = skiesish.contexts.test(
            application, bindings={"environment": environment}, cursor_backend_to_memory_backend=False
        )
        contexts.append(context)
        return context

    yield build
    for context in contexts:
        context.close()


def status(context: TestContext) -> int:
    """Probe once; return the status code."""
    return context()[1]


def open_fds() -> int:
    """How many file descriptors this process holds open."""
    return len(os.listdir("/proc/self/fd"))


def resources() -> tuple[int, int]:
    """This process's live threads and open file descriptors."""
    return threading.active_count(), open_fds()


def within(left: tuple[int, ...], right: tuple[int, ...]) -> bool:
    """Whether every count in ``left`` is at most the matching one in ``right``."""
    return all(a <= b for a, b in zip(left, right, strict=True))


def statuses_in_a_blackhole(proxy: FaultProxy, context: TestContext) -> list[int]:
    """Blackhole ``proxy`` and probe for half the deadline; return the statuses, the proxy passing again."""
    proxy.set_mode("blackhole")
    blackholed = [status(context)]
    limit = time.monotonic() + DEADLINE / 2
    for _ in range(int(DEADLINE / POLL_INTERVAL)):  # probes that find the blackholed run still going
        if time.monotonic() >= limit:
            break
        blackholed.append(status(context))
        time.sleep(POLL_INTERVAL)
    proxy.set_mode("pass")
    return blackholed


# -- the server's view of our connections ----------------------------------------


def probed_through_proxy(
    name: str,
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    health: Callable[..., TestContext],
) -> tuple[Server, FaultProxy, TestContext]:
    """The server ``name``, a proxy in front of it, and a HealthCheck probing through the proxy.

    The check is the server's ready-made one; SQL servers are also checked
    through the application's own ``cursor_backend``.
    """
    target = server_named(name, request)
    proxy = fault_proxy(target.port)
    url = target.url_through(proxy)
    services = ["cursor_backend"] if name in ("postgresql", "mariadb") else []
    context = health(url, checks=[target.make_check(url=url, timeout=DEADLINE)], services=services)
    return target, proxy, context


# -- many probes ------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.parametrize("name", ["postgresql", "mariadb", "redis"])
def test_probes_hold_a_bounded_number_of_server_connections(
    name: str,
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    health: Callable[..., TestContext],
) -> None:
    """1,000 probes without caching never hold more than a few connections on the server."""
    target, proxy, context = probed_through_proxy(name, request, fault_proxy, health)
    count = SERVER_CONNECTIONS[name]
    statuses: set[int] = set()
    held = []
    for done in range(1, PROBES + 1):
        statuses.add(status(context))
        if done % SAMPLE_EVERY == 0:
            held.append(count(target.url, proxy.upstream_ports()))
    assert statuses == {200}
    assert max(held) <= SERVER_CONNECTION_BOUND, f"connections held after each {SAMPLE_EVERY} probes: {held}"


@pytest.mark.services
@pytest.mark.parametrize("name", ["postgresql", "mariadb", "redis"])
def test_closing_the_application_releases_its_server_connections(
    name: str,
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    health: Callable[..., TestContext],
) -> None:
    """Once the application is closed, the server holds none of the connections its probes opened."""
    target, proxy, context = probed_through_proxy(name, request, fault_proxy, health)
    assert {status(context) for _ in range(SAMPLE_EVERY)} == {200}
    count = SERVER_CONNECTIONS[name]
    assert count(target.url, proxy.upstream_ports()) > 0
    context.close()
    assert settled(lambda: count(target.url, proxy.upstream_ports()) == 0)


@pytest.mark.services
def test_probes_of_a_broker_leave_file_descriptors_at_their_baseline(
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    health: Callable[..., TestContext],
) -> None:
    """1,000 AMQP probes without caching leave this process's open fds where they were."""
    target = server_named("rabbitmq", request)
    proxy = fault_proxy(target.port)
    url = target.url_through(proxy)
    context = health(url, checks=[target.make_check(url=url, timeout=DEADLINE)])
    assert status(context) == 200
    baseline = open_fds()
    statuses = {status(context) for _ in range(PROBES)}
    assert statuses == {200}
    assert settled(lambda: open_fds() <= baseline), f"fds: baseline {baseline}, now {open_fds()}"


def settled(condition: Callable[[], bool]) -> bool:
    """Poll ``condition`` every POLL_INTERVAL for up to SETTLE_WITHIN seconds."""
    limit = time.monotonic() + SETTLE_WITHIN
    for _ in range(int(SETTLE_WITHIN / POLL_INTERVAL) + 1):
        if condition():
            return True
        if time.monotonic() >= limit:
            break
        time.sleep(POLL_INTERVAL)
    return condition()


# -- blackholes ---------------------------------------------------------------------

BLACKHOLED = [
    pytest.param("postgresql", "check", marks=pytest.mark.services, id="postgresql-check"),
    pytest.param("postgresql", "cursor_backend", marks=pytest.mark.services, id="postgresql-cursor_backend"),
    pytest.param("mariadb", "check", marks=pytest.mark.services, id="mariadb-check"),
    pytest.param("mariadb", "cursor_backend", marks=pytest.mark.services, id="mariadb-cursor_backend"),
    pytest.param("redis", "check", marks=pytest.mark.services, id="redis-check"),
    pytest.param("rabbitmq", "check", marks=pytest.mark.services, id="rabbitmq-check"),
]


@pytest.mark.parametrize(("name", "client"), BLACKHOLED)
def test_threads_and_fds_return_to_their_baseline_after_a_blackhole(
    name: str,
    client: str,
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    health: Callable[..., TestContext],
) -> None:
    """Once a blackhole ends and probes pass again, the process has no more threads and fds than before it."""
    target = server_named(name, request)
    proxy = fault_proxy(target.port)
    url = target.url_through(proxy)
    if client == "cursor_backend":
        context = health(url, services=["cursor_backend"])
    else:
        context = health(url, checks=[target.make_check(url=url, timeout=DEADLINE)])
    assert [status(context) for _ in range(3)] == [200] * 3
    baseline = resources()
    assert set(statuses_in_a_blackhole(proxy, context)) == {500}
    assert settled(lambda: status(context) == 200 and within(resources(), baseline)), (
        f"threads and fds: baseline {baseline}, now {resources()}"
    )
