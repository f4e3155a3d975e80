"""checks.smtp() against local aiosmtpd servers: plain, with STARTTLS, and TLS from the start.

The servers' certificates come from the test CA of tests/tls_servers.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import run_once, tcp_server
from tls_servers import Authority, server_context

import skiesish
from skiesish import checks
from skiesish.di import DI
from skiesish.health import HealthEngine


class Recorder:
    """An aiosmtpd handler counting the NOOPs and the sessions closed with QUIT."""

    def __init__(self) -> None:
        self.noops = 0
        self.quits = 0

    async def handle_NOOP(self, server: Any, session: Any, envelope: Any, arg: str) -> str:
        self.noops += 1
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.quits += 1
        return "221 Bye"


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """The test CA whose certificate the checks are given as ca_file."""
    return Authority(tmp_path_factory.mktemp("smtp-tls"), "smtp")


@pytest.fixture
def smtp_server(free_port: int) -> Iterator[Callable[..., tuple[int, Recorder]]]:
    """``smtp_server(**controller_options)`` starts an aiosmtpd server; returns (port, recorder)."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[int, Recorder]:
        recorder = Recorder()
        controller = Controller(recorder, hostname="127.0.0.1", port=free_port, **options)
        controller.start()
        controllers.append(controller)
        return free_port, recorder

    yield start
    for controller in controllers:
        controller.stop()


def certificate_of(authority: Authority, **issued: Any) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 from ``authority``."""
    return authority.issue("smtp", **issued)


def test_ehlo_and_noop_pass_and_the_session_ends_with_quit(smtp_server):
    """A plain session: greeting, EHLO, NOOP, QUIT; the check passes and the server saw one QUIT."""
    port, recorder = smtp_server()
    result = run_once(checks.smtp(f"smtp://127.0.0.1:{port}"))
    assert (result.passed, result.name) == (True, f"smtp:127.0.0.1:{port}")
    assert result.output.startswith("EHLO, NOOP in ")
    assert (recorder.noops, recorder.quits) == (1, 1)


def test_every_probe_opens_and_closes_a_session(smtp_server):
    """Three uncached probes are three sessions, each closed with QUIT."""
    port, recorder = smtp_server()
    engine = HealthEngine([checks.smtp(f"smtp://127.0.0.1:{port}")], DI(), success_ttl=None, failed_ttl=None)
    try:
        assert [engine.evaluate().passed for _ in range(3)] == [True] * 3
    finally:
        engine.close()
    assert recorder.quits == 3


def test_starttls_upgrades_the_session(smtp_server, authority):
    """With starttls=True, the session upgrades to TLS, verified against ca_file, and passes."""
    port, recorder = smtp_server(tls_context=server_context(certificate_of(authority)))
    check = checks.smtp(f"smtp://localhost:{port}", starttls=True, ca_file=str(authority.ca_file))
    result = run_once(check)
    assert result.passed, result.output
    assert result.output.startswith("EHLO, STARTTLS, NOOP in ")
    assert recorder.quits == 1


def test_smtps_is_tls_from_the_start(smtp_server, authority):
    """smtps:// opens TLS before the greeting, and passes with a trusted certificate."""
    port, _ = smtp_server(ssl_context=server_context(certificate_of(authority)))
    result = run_once(checks.smtp(f"smtps://127.0.0.1:{port}", ca_file=str(authority.ca_file)))
    assert (result.passed, result.name) == (True, f"smtps:127.0.0.1:{port}")


def test_starttls_fails_when_the_server_does_not_offer_it(smtp_server, authority):
    """A server without STARTTLS fails a check that asks for it."""
    port, _ = smtp_server()
    result = run_once(checks.smtp(f"smtp://127.0.0.1:{port}", starttls=True, ca_file=str(authority.ca_file)))
    assert not result.passed
    assert f"127.0.0.1:{port} does not offer STARTTLS" in result.output


def test_starttls_fails_on_an_untrusted_certificate(smtp_server, authority):
    """STARTTLS against the system's CAs does not trust the test CA's certificate."""
    port, _ = smtp_server(tls_context=server_context(certificate_of(authority)))
    result = run_once(checks.smtp(f"smtp://localhost:{port}", starttls=True))
    assert not result.passed
    assert "CERTIFICATE_VERIFY_FAILED" in result.output


def test_starttls_fails_on_a_certificate_for_another_host(smtp_server, authority):
    """A certificate for another name fails the STARTTLS handshake."""
    port, _ = smtp_server(tls_context=server_context(certificate_of(authority, names=("other.test",))))
    result = run_once(checks.smtp(f"smtp://localhost:{port}", starttls=True, ca_file=str(authority.ca_file)))
    assert not result.passed
    assert "Hostname mismatch" in result.output


def test_a_closed_port_fails(free_port):
    """Nothing listening: the check fails, naming the address."""
    result = run_once(checks.smtp(f"smtp://127.0.0.1:{free_port}"))
    assert not result.passed
    assert f"cannot open an SMTP session with 127.0.0.1:{free_port}" in result.output


@pytest.fixture
def refusing_server() -> Iterator[int]:
    """A server that greets every client with 554 (no service) and hangs up; yields its port."""
    with tcp_server(lambda connection: connection.sendall(b"554 no SMTP service here\r\n")) as port:
        yield port


def test_a_greeting_other_than_220_fails(refusing_server):
    """A server that greets with 554 fails the check, quoting the code."""
    result = run_once(checks.smtp(f"smtp://127.0.0.1:{refusing_server}"))
    assert not result.passed
    assert f"127.0.0.1:{refusing_server} greeted with 554 no SMTP service here" in result.output


@pytest.mark.parametrize(
    ("url", "deadline", "expected"),
    [("smtp://127.0.0.1:25", 3.0, True), ("smtp://127.0.0.1:25", 2.0, False), ("smtp://mail:25", 3.0, False)],
)
def test_runs_within_only_for_ip_addresses_within_the_deadline(url, deadline, expected):
    """The check may run inline only on an IP address, with its timeout inside the deadline."""
    assert checks.smtp(url, timeout=2.0).func.runs_within(deadline) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [("smtp://mail.internal", "smtp:mail.internal:25"), ("smtps://mail.internal", "smtps:mail.internal:465")],
)
def test_default_names(url, expected):
    """The default name is the scheme, host and port (25 and 465 by default)."""
    assert checks.smtp(url).name == expected


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"url": "http://mail"}, r"smtp\(\): url must be smtp://host\[:port\] or smtps://"),
        ({"url": "smtp://"}, r"smtp\(\): url must be smtp://"),
        ({"url": "smtp://mail:99999"}, r"smtp\(\): url must be smtp://"),
        ({"url": None}, r"smtp\(\): url must be smtp://"),
        ({"url": "smtp://user:S3cret@mail"}, r"smtp\(\): url must not hold credentials"),
        ({"url": "smtps://mail", "starttls": True}, r"smtp\(\): starttls=True is for smtp:// URLs"),
        ({"url": "smtp://mail", "starttls": "yes"}, r"smtp\(\): starttls must be True or False"),
        (
            {"url": "smtp://mail", "ca_file": "/x.pem"},
            r"smtp\(\): ca_file must be a file name, with smtps://",
        ),
        ({"url": "smtps://mail", "ca_file": "/nonexistent.pem"}, r"smtp\(\): cannot load ca_file"),
        ({"url": "smtp://mail", "timeout": "2"}, r"smtp\(\): timeout must be a number of seconds"),
        ({"url": "smtp://mail", "colour": "red"}, r"smtp:mail:25: unknown argument\(s\) colour"),
    ],
)
def test_bad_arguments_fail_at_build_time(arguments, match):
    """Bad URLs and arguments raise ConfigurationError naming smtp() and the argument."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        checks.smtp(**arguments)


def test_the_refused_credentials_are_not_quoted():
    """The error refusing a URL with credentials does not repeat them."""
    with pytest.raises(skiesish.ConfigurationError) as raised:
        checks.smtp("smtp://user:S3cretPassw0rd@mail")
    assert "S3cretPassw0rd" not in str(raised.value)
