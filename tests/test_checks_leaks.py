"""The MQTT and NATS checks leak nothing: many uncached probes, one connection; fds and threads come back.

As in tests/test_leaks.py, each HealthCheck runs its check on every probe
(caching off) and reaches the real server (Mosquitto, NATS) through a
FaultProxy, whose upstream connections are the ones the server sees from
the check: the server-side count is the proxy's, so other clients of the
same servers do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import require_server
from faultproxy import FaultProxy
from test_leaks import (
    DEADLINE,
    PROBES,
    SAMPLE_EVERY,
    open_fds,
    resources,
    settled,
    status,
    statuses_in_a_blackhole,
    within,
)

import skiesish
from skiesish.contexts import TestContext
from skiesish.environment import Environment
from skiesish.handlers import HealthCheck

SERVERS = {
    "mqtt": (
        "Mosquitto",
        1883,
        lambda port: skiesish.checks.mqtt(f"mqtt://127.0.0.1:{port}", timeout=DEADLINE),
    ),
    "nats": ("NATS", 4222, lambda port: skiesish.checks.nats(f"nats://127.0.0.1:{port}", timeout=DEADLINE)),
}
NAMES = [pytest.param(name, marks=pytest.mark.services) for name in SERVERS]


@pytest.fixture(params=NAMES)
def probed(
    request: pytest.FixtureRequest, fault_proxy: Callable[[int], FaultProxy], tmp_path: Path
) -> Iterator[tuple[FaultProxy, TestContext]]:
    """Each server behind a proxy, and an uncached HealthCheck of it through the proxy; closed afterwards."""
    label, port, make_check = SERVERS[request.param]
    require_server(label, "127.0.0.1", port)
    proxy = fault_proxy(port)
    config: dict[str, Any] = {
        "checks": [make_check(proxy.port)],
        "timeout": DEADLINE,
        "success_ttl": None,
        "failed_ttl": None,
    }
    environment = Environment(environ={}, env_file=tmp_path / "none")
    context = skiesish.contexts.test(
        skiesish.Application(HealthCheck, config), bindings={"environment": environment}
    )
    yield proxy, context
    context.close()


def test_probes_reuse_one_server_connection(probed: tuple[FaultProxy, TestContext]) -> None:
    """1,000 probes without caching all pass over one connection: the server never holds more than one."""
    proxy, context = probed
    statuses: set[int] = set()
    held = []
    for done in range(1, PROBES + 1):
        statuses.add(status(context))
        if done % SAMPLE_EVERY == 0:
            held.append(proxy.connection_count())
    assert statuses == {200}
    assert (max(held), len(proxy.upstream_ports())) == (1, 1), f"held after each {SAMPLE_EVERY}: {held}"


def test_probes_leave_fds_and_threads_at_their_baseline(probed: tuple[FaultProxy, TestContext]) -> None:
    """After a warm-up probe, 1,000 more leave this process's threads and open fds where they were."""
    _, context = probed
    assert status(context) == 200
    baseline = resources()
    assert {status(context) for _ in range(PROBES)} == {200}
    assert settled(lambda: within(resources(), baseline)), f"baseline {baseline}, now {resources()}"


def test_closing_the_application_releases_its_connection(probed: tuple[FaultProxy, TestContext]) -> None:
    """Once the application is closed, the server holds no connection from its probes, and fds come back."""
    proxy, context = probed
    before = open_fds()
    assert status(context) == 200
    assert proxy.connection_count() == 1
    context.close()
    assert settled(lambda: proxy.connection_count() == 0 and open_fds() <= before)


def test_threads_and_fds_return_to_their_baseline_after_a_blackhole(
    probed: tuple[FaultProxy, TestContext],
) -> None:
    """Once a blackhole ends and probes pass again, the process has no more threads and fds than before it."""
    proxy, context = probed
    assert [status(context) for _ in range(3)] == [200] * 3
    baseline = resources()
    assert set(statuses_in_a_blackhole(proxy, context)) == {500}
    assert settled(lambda: status(context) == 200 and within(resources(), baseline)), (
        f"threads and fds: baseline {baseline}, now {resources()}"
    )
