"""checks.tls_certificate() against local TLS servers showing certificates this file makes.

A local CA (from tests/tls_servers.py) issues certificates that are valid,
expiring in five days, expired, not yet valid, and for another host; a
second CA stands for an untrusted one. Each is served by a TLS server on a
loopback thread.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import evaluate_once, run_once, tcp_server
from tls_servers import DAY, Authority, TLSServer

import skiesish
from skiesish import checks
from skiesish.di import DI
from skiesish.health import HealthEngine


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """The test CA whose certificate the checks are given as ca_file."""
    return Authority(tmp_path_factory.mktemp("tls"), "trusted")


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """A second CA, which no check trusts."""
    return Authority(tmp_path_factory.mktemp("tls-stranger"), "stranger")


@pytest.fixture
def serve() -> Iterator[object]:
    """``serve(certificate)`` starts a TLSServer showing it and returns its port; all closed afterwards."""
    servers: list[TLSServer] = []

    def start(certificate: tuple[Path, Path]) -> int:
        server = TLSServer(certificate)
        servers.append(server)
        return server.port

    yield start
    for server in servers:
        server.close()


def local(port: int, authority: Authority, **options: object) -> skiesish.Check:
    """tls_certificate() of 127.0.0.1:``port`` as localhost, trusting ``authority``."""
    return checks.tls_certificate(
        "127.0.0.1", port, server_name="localhost", ca_file=str(authority.ca_file), **options
    )


# -- what passes --------------------------------------------------------------------


def test_a_valid_certificate_passes_and_says_how_long_it_lasts(authority, serve):
    """A trusted certificate for the name, valid for 90 days, passes; the output counts the days left."""
    port = serve(authority.issue("valid"))
    result = run_once(local(port, authority))
    assert (result.passed, result.status, result.name) == (True, "pass", f"tls:127.0.0.1:{port}/localhost")
    assert result.output.startswith("valid for 89 days more (until ")
    assert "; handshake in " in result.output


def test_the_ip_address_itself_is_checked_without_server_name(authority, serve):
    """Without server_name, the host (here an IP address) is the name the certificate must hold."""
    port = serve(authority.issue("valid"))
    check = checks.tls_certificate("127.0.0.1", port, ca_file=str(authority.ca_file))
    assert run_once(check).passed


def test_an_expiry_beyond_a_shorter_warning_window_passes(authority, serve):
    """A certificate expiring in five days passes when warn_days is three."""
    port = serve(authority.issue("five-days", valid_until=5 * DAY + datetime.timedelta(hours=1)))
    assert run_once(local(port, authority, warn_days=3)).passed


# -- warnings -----------------------------------------------------------------------


def test_an_expiry_within_warn_days_warns_and_keeps_the_whole_up(authority, serve):
    """Expiring in five days, within 14: the check fails as 'warn', and the report stays healthy."""
    port = serve(authority.issue("five-days", valid_until=5 * DAY + datetime.timedelta(hours=1)))
    report = evaluate_once(local(port, authority))
    [result] = report.results
    assert (result.passed, result.status, report.status, report.passed) == (False, "warn", "warn", True)
    assert "expires in 5 days (on " in result.output
    assert "within the 14-day warning window" in result.output


def test_an_expiry_within_fail_days_says_so(authority, serve):
    """Expiring in five days, within fail_days=7: the output names the failure window."""
    port = serve(authority.issue("five-days", valid_until=5 * DAY + datetime.timedelta(hours=1)))
    result = run_once(local(port, authority, fail_days=7))
    assert not result.passed
    assert "within the 7-day failure window" in result.output


def test_critical_true_makes_a_failure_fail_the_whole(authority, serve):
    """With critical=True the same failure is 'fail', and so is the report."""
    port = serve(authority.issue("expired", valid_until=-DAY))
    report = evaluate_once(local(port, authority, critical=True))
    assert (report.results[0].status, report.status) == ("fail", "fail")


# -- what fails ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "message"),
    [
        ({"valid_until": -DAY}, "certificate has expired"),
        ({"valid_from": DAY, "valid_until": 30 * DAY}, "certificate is not yet valid"),
        ({"names": ("other.test",)}, "Hostname mismatch, certificate is not valid for 'localhost'"),
    ],
    ids=["expired", "not-yet-valid", "wrong-host"],
)
def test_an_invalid_certificate_fails_naming_why(authority, serve, issued, message):
    """Expired, not yet valid, or for another host: the check fails with OpenSSL's reason."""
    port = serve(authority.issue("invalid", **issued))
    result = run_once(local(port, authority))
    assert (result.passed, result.status) == (False, "warn")
    assert f"the certificate of 127.0.0.1:{port} is not valid: {message}" in result.output


def test_a_certificate_from_an_untrusted_ca_fails(authority, stranger, serve):
    """A certificate issued by a CA that is not in ca_file fails as untrusted."""
    port = serve(stranger.issue("valid"))
    result = run_once(local(port, authority))
    assert not result.passed
    assert "unable to get local issuer certificate" in result.output


def test_the_systems_cas_do_not_trust_the_test_ca(authority, serve):
    """Without ca_file the system's CAs are used, and they do not know the test CA."""
    port = serve(authority.issue("valid"))
    result = run_once(checks.tls_certificate("127.0.0.1", port, server_name="localhost"))
    assert not result.passed
    assert "unable to get local issuer certificate" in result.output


def test_a_closed_port_fails(authority, free_port):
    """Nothing listening: the check fails, naming the address."""
    result = run_once(local(free_port, authority))
    assert not result.passed
    assert f"no TLS handshake with 127.0.0.1:{free_port}" in result.output


@pytest.fixture
def plain_server() -> Iterator[int]:
    """A TCP server that answers anything with a line of text, not TLS; yields its port."""
    with tcp_server(lambda connection: connection.sendall(b"220 hello, this is not TLS\r\n")) as port:
        yield port


def test_a_server_that_does_not_speak_tls_fails(authority, plain_server):
    """An answer that is not TLS fails the handshake."""
    result = run_once(local(plain_server, authority))
    assert not result.passed
    assert f"no TLS handshake with 127.0.0.1:{plain_server}" in result.output


# -- building ------------------------------------------------------------------------


def test_it_is_not_critical_by_default():
    """tls_certificate() is non-critical unless told otherwise, so that its warnings keep the whole up."""
    assert checks.tls_certificate("example.com").critical is False
    assert checks.tls_certificate("example.com", critical=True).critical is True


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"host": "example.com"}, "tls:example.com:443"),
        ({"host": "::1", "port": 8443}, "tls:[::1]:8443"),
        ({"host": "10.0.0.7", "port": 8443, "server_name": "api.internal"}, "tls:10.0.0.7:8443/api.internal"),
    ],
)
def test_default_names(arguments, expected):
    """The default name is tls:host:port, with the server name when one is given."""
    assert checks.tls_certificate(**arguments).name == expected


@pytest.mark.parametrize(
    ("host", "deadline", "expected"),
    [("127.0.0.1", 3.0, True), ("127.0.0.1", 2.0, False), ("example.com", 3.0, False)],
)
def test_runs_within_only_for_ip_addresses_within_the_deadline(host, deadline, expected):
    """The check may run inline only on an IP address, with its timeout inside the deadline."""
    assert checks.tls_certificate(host, timeout=2.0).func.runs_within(deadline) is expected


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"host": ""}, r"tls_certificate\(\): host must be a non-empty string"),
        ({"host": "x", "port": 0}, r"tls_certificate\(\): port must be an int from 1 to 65535, got 0"),
        ({"host": "x", "port": "443"}, r"tls_certificate\(\): port must be an int"),
        ({"host": "x", "warn_days": -1}, r"tls_certificate\(\): warn_days must be a number of days"),
        ({"host": "x", "fail_days": True}, r"tls_certificate\(\): fail_days must be a number of days"),
        ({"host": "x", "warn_days": 3, "fail_days": 7}, r"fail_days \(7\) must not exceed warn_days \(3\)"),
        ({"host": "x", "server_name": ""}, r"tls_certificate\(\): server_name must be a non-empty string"),
        ({"host": "x", "ca_file": 7}, r"tls_certificate\(\): ca_file must be a file name"),
        ({"host": "x", "ca_file": "/nonexistent/ca.pem"}, r"tls_certificate\(\): cannot load ca_file"),
        ({"host": "x", "timeout": 0}, r"tls_certificate\(\): timeout must be a number of seconds"),
        ({"host": "x", "colour": "red"}, r"tls:x:443: unknown argument\(s\) colour"),
    ],
)
def test_bad_arguments_fail_at_build_time(arguments, match):
    """Bad arguments raise ConfigurationError naming tls_certificate() and the argument."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        checks.tls_certificate(**arguments)


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [(90 * DAY, "pass"), (5 * DAY + datetime.timedelta(hours=1), "warn"), (-DAY, "fail")],
    ids=["valid", "expiring", "expired"],
)
def test_the_two_check_recipe_warns_early_and_fails_late(authority, serve, valid_until, expected):
    """docs/checks.md's pair (a warning check, and a critical one with warn_days=0) warns, then fails."""
    port = serve(authority.issue("recipe", valid_until=valid_until))
    pair = [
        local(port, authority, warn_days=21),
        local(port, authority, warn_days=0, critical=True, name="certificate valid"),
    ]
    engine = HealthEngine(pair, DI(), success_ttl=None, failed_ttl=None)
    try:
        assert engine.evaluate().status == expected
    finally:
        engine.close()
