"""Fault injection for the MQTT, NATS, SMTP and TLS checks: a FaultProxy refuses, blackholes or resets.

As in tests/test_faults.py (whose probing helpers and bounds this file
shares), every HealthCheck runs its checks on every probe, with a deadline
of DEADLINE seconds, one check reaching the server through the proxy
(``proxied``) and one healthy check beside it (``direct``, a TCP connect to
the real server). MQTT and NATS are the real Mosquitto and NATS servers;
SMTP is a local aiosmtpd server and TLS a local TLS server showing a
certificate from a test CA. The only time bounds asserted are "the
deadline plus SLACK".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from conftest import require_server
from faultproxy import FaultProxy
from test_faults import (
    DEADLINE,
    SLACK,
    after_fault,
    answer_under,
    failing,
    probe,
    probe_until,
    runs_around_a_blackhole,
    statuses_around,
    uncached_health_checks,
)
from tls_servers import Authority, TLSServer

import skiesish
from skiesish.contexts import TestContext

FAULTS = ["refuse", "blackhole", "reset"]
TARGETS = [
    pytest.param("mqtt", marks=pytest.mark.services),
    pytest.param("nats", marks=pytest.mark.services),
    "smtp",
    "tls",
]


@dataclasses.dataclass(frozen=True)
class Target:
    """A server, and how to check it through a proxy listening on a given port."""

    name: str
    port: int
    check_through: Callable[[int], skiesish.Check]


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """The test CA of the TLS server."""
    return Authority(tmp_path_factory.mktemp("faults-tls"), "faults")


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, authority: Authority, free_port: int) -> Iterator[Target]:
    """Each server in turn; the local ones are started here and stopped afterwards."""
    name = request.param
    if name == "mqtt":
        require_server("Mosquitto", "127.0.0.1", 1883)
        yield Target(name, 1883, lambda port: skiesish.checks.mqtt(f"mqtt://127.0.0.1:{port}", **OWN))
    elif name == "nats":
        require_server("NATS", "127.0.0.1", 4222)
        yield Target(name, 4222, lambda port: skiesish.checks.nats(f"nats://127.0.0.1:{port}", **OWN))
    elif name == "smtp":
        controller = Controller(Sink(), hostname="127.0.0.1", port=free_port)
        controller.start()
        yield Target(name, free_port, lambda port: skiesish.checks.smtp(f"smtp://127.0.0.1:{port}", **OWN))
        controller.stop()
    else:
        server = TLSServer(authority.issue("server"))
        ca_file = str(authority.ca_file)

        def tls_check(port: int) -> skiesish.Check:
            # critical: by default a failing certificate check only warns, and the probe would answer 200.
            check = skiesish.checks.tls_certificate
            return check("127.0.0.1", port, server_name="localhost", ca_file=ca_file, critical=True, **OWN)

        yield Target(name, server.port, tls_check)
        server.close()


#: Each check's own timeout: the engine's deadline, as in tests/test_faults.py.
OWN: dict[str, Any] = {"timeout": DEADLINE, "name": "proxied"}


@pytest.fixture
def proxy(target: Target, fault_proxy: Callable[[int], FaultProxy]) -> FaultProxy:
    """A proxy in front of ``target``, passing traffic."""
    return fault_proxy(target.port)


@pytest.fixture
def health(target: Target, proxy: FaultProxy, tmp_path: Path) -> Iterator[Callable[..., TestContext]]:
    """``health(**config)``: an uncached HealthCheck, ``proxied`` through the proxy, ``direct`` beside it."""

    def targets() -> dict[str, Any]:
        return {
            "checks": [
                target.check_through(proxy.port),
                skiesish.checks.tcp("127.0.0.1", target.port, timeout=DEADLINE, name="direct"),
            ]
        }

    yield from uncached_health_checks(proxy, tmp_path, targets, {})


def test_pass_answers_200(health: Callable[..., TestContext]) -> None:
    """Through a proxy that passes traffic, both checks pass and the probe answers 200."""
    answer = probe(health())
    assert (answer.status, failing(answer)) == (200, [])


def test_refuse_answers_500_on_the_next_probe(proxy: FaultProxy, health: Callable[..., TestContext]) -> None:
    """Once the port refuses connections, the next probe answers 500, failing only the proxied check."""
    answer = answer_under("refuse", proxy, health)
    assert (answer.status, failing(answer)) == (500, ["proxied"])


def test_blackhole_answers_500_within_the_deadline(
    proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """A server that accepts and never answers fails the probe within the deadline plus SLACK."""
    answer = answer_under("blackhole", proxy, health)
    assert answer.status == 500
    assert answer.seconds <= DEADLINE + SLACK


def test_blackhole_leaves_the_healthy_check_passing(
    proxy: FaultProxy, health: Callable[..., TestContext]
) -> None:
    """While the proxied check hangs in a blackhole, the healthy check beside it still passes."""
    answer = answer_under("blackhole", proxy, health)
    assert (answer.passed["direct"], failing(answer)) == (True, ["proxied"])


def test_reset_answers_without_hanging(proxy: FaultProxy, health: Callable[..., TestContext]) -> None:
    """After established connections are reset, the next probe fails or reconnects, within the deadline."""
    answer = answer_under("reset", proxy, health)
    assert answer.status in (200, 500)
    assert answer.seconds <= DEADLINE + SLACK


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
    """Back to pass, the very next probe and all after it pass: no check trips over a dead connection."""
    assert statuses_around(fault, proxy, health) == ([200] * 10, [200] * 10)


@pytest.mark.parametrize("connection", ["established", "new"])
def test_the_checks_own_timeout_ends_its_run_in_a_blackhole(
    proxy: FaultProxy, health: Callable[..., TestContext], connection: str
) -> None:
    """In a blackhole the check's own timeout ends its run, so a later probe runs it again."""
    before, after = runs_around_a_blackhole(health(), proxy, connection, own_timeout=DEADLINE)
    assert after > before
