"""checks.dns() against a local UDP nameserver this file builds with dnspython's message API.

The nameserver answers ``a.test`` (two A records), ``mail.test`` (an MX
record and no A record), NXDOMAIN for other names under ``test``,
SERVFAIL for ``broken.test``, and never answers ``silent.test``. The only
time bound asserted is the deadline plus SLACK.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from conftest import run_once

import skiesish
from skiesish import checks
from skiesish.di import DI
from skiesish.health import HealthEngine

DEADLINE = 1.0  # the check's timeout, in seconds
SLACK = 0.5  # what the requirement allows past it, in seconds

RECORDS = {
    ("a.test.", dns.rdatatype.A): ["192.0.2.1", "192.0.2.2"],
    ("mail.test.", dns.rdatatype.MX): ["10 a.test."],
}
KNOWN = {"a.test.", "mail.test."}


class Nameserver:
    """A UDP nameserver on 127.0.0.1 answering from RECORDS, on a daemon thread; counts the queries."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self.queries = 0
        threading.Thread(target=self._serve, name="test-nameserver", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                wire, client = self.socket.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            answer = self._answer(dns.message.from_wire(wire))
            if answer is not None:
                self.socket.sendto(answer.to_wire(), client)

    @staticmethod
    def _answer(query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        name = question.name.to_text()
        if name == "silent.test.":
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name == "broken.test.":
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in KNOWN:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif (name, question.rdtype) in RECORDS:
            rdtype = dns.rdatatype.to_text(question.rdtype)
            rrset = dns.rrset.from_text_list(name, 300, "IN", rdtype, RECORDS[name, question.rdtype])
            response.answer.append(rrset)
        return response

    def close(self) -> None:
        """Stop answering."""
        self.socket.close()


@pytest.fixture
def nameserver() -> Iterator[Nameserver]:
    """A local nameserver, closed afterwards."""
    server = Nameserver()
    yield server
    server.close()


def test_a_name_with_records_passes_and_quotes_them(nameserver):
    """a.test has two A records: the check passes, counting and quoting them."""
    result = run_once(checks.dns("a.test", nameserver=nameserver.address, timeout=DEADLINE))
    assert (result.passed, result.name) == (True, f"dns:a.test/A via {nameserver.address}")
    assert result.output.startswith("2 A records (192.0.2.1, 192.0.2.2) in ")


def test_another_record_type_is_asked_for(nameserver):
    """record_type='MX' asks for MX records."""
    result = run_once(checks.dns("mail.test", "MX", nameserver=nameserver.address, timeout=DEADLINE))
    assert result.passed, result.output
    assert result.output.startswith("1 MX record (10 a.test.) in ")


def test_each_probe_asks_the_nameserver(nameserver):
    """No answer is cached: three probes are three queries."""
    check = checks.dns("a.test", nameserver=nameserver.address, timeout=DEADLINE)
    engine = HealthEngine([check], DI(), success_ttl=None, failed_ttl=None)
    try:
        assert [engine.evaluate().passed for _ in range(3)] == [True] * 3
    finally:
        engine.close()
    assert nameserver.queries == 3


@pytest.mark.parametrize(
    ("name", "record_type", "message"),
    [
        ("nowhere.test", "A", "nowhere.test does not exist (NXDOMAIN)"),
        ("mail.test", "A", "mail.test has no A records"),
        ("broken.test", "A", "no nameserver answered usefully for broken.test"),
    ],
    ids=["nxdomain", "no-answer", "servfail"],
)
def test_an_unanswered_question_fails_naming_why(nameserver, name, record_type, message):
    """NXDOMAIN, no records of the type, and SERVFAIL each fail with a sentence saying which."""
    result = run_once(checks.dns(name, record_type, nameserver=nameserver.address, timeout=DEADLINE))
    assert not result.passed
    assert message in result.output


def test_a_nameserver_that_never_answers_fails_within_the_timeout(nameserver):
    """silent.test gets no answer: the check fails within its timeout plus SLACK, saying so."""
    check = checks.dns("silent.test", nameserver=nameserver.address, timeout=DEADLINE)
    started = time.monotonic()
    result = run_once(check)
    elapsed = time.monotonic() - started
    assert not result.passed
    assert f"no nameserver answered for silent.test within {DEADLINE:g} s" in result.output
    assert elapsed <= DEADLINE + SLACK


def test_a_port_with_no_nameserver_fails_within_the_timeout(free_port):
    """Nothing listens on the nameserver's UDP port: the check fails within its timeout plus SLACK."""
    started = time.monotonic()
    result = run_once(checks.dns("a.test", nameserver=f"127.0.0.1:{free_port}", timeout=DEADLINE))
    assert not result.passed
    assert time.monotonic() - started <= DEADLINE + SLACK


def test_the_engine_may_run_it_inline():
    """The whole resolution is bounded by timeout, so the check may run on the asking thread."""
    check = checks.dns("a.test", nameserver="127.0.0.1", timeout=DEADLINE)
    assert (check.func.runs_within(DEADLINE * 2), check.func.runs_within(DEADLINE)) == (True, False)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"name": "example.com"}, "dns:example.com/A"),
        ({"name": "example.com.", "record_type": "aaaa"}, "dns:example.com/AAAA"),
        (
            {"name": "example.com", "nameserver": "[2001:db8::53]:5353"},
            "dns:example.com/A via [2001:db8::53]:5353",
        ),
        ({"name": "example.com", "check_name": "resolver"}, "resolver"),
    ],
)
def test_default_names(arguments, expected):
    """The default name is dns:<name>/<type>, plus "via <nameserver>" if one is given; check_name wins."""
    assert checks.dns(**arguments).name == expected


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"name": ""}, r"dns\(\): name must be a valid DNS name, got ''"),
        ({"name": "a" * 64 + ".test"}, r"dns\(\): name must be a valid DNS name"),
        ({"name": 7}, r"dns\(\): name must be a valid DNS name, got 7"),
        ({"name": "a.test", "record_type": "NOPE"}, r"dns\(\): record_type must be a DNS record type"),
        ({"name": "a.test", "record_type": "ANY"}, r"dns\(\): record_type must be a DNS record type"),
        ({"name": "a.test", "nameserver": "dns.example"}, r"dns\(\): nameserver must be an IP address"),
        ({"name": "a.test", "nameserver": "127.0.0.1:0"}, r"dns\(\): nameserver must be an IP address"),
        ({"name": "a.test", "nameserver": "127.0.0.1:x"}, r"dns\(\): nameserver must be an IP address"),
        ({"name": "a.test", "timeout": -1}, r"dns\(\): timeout must be a number of seconds"),
        ({"name": "a.test", "colour": "red"}, r"dns:a.test/A: unknown argument\(s\) colour"),
    ],
)
def test_bad_arguments_fail_at_build_time(arguments, match):
    """Bad arguments raise ConfigurationError naming dns() and the argument."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        checks.dns(**arguments)


def test_a_missing_dnspython_names_the_extra(monkeypatch):
    """Without dnspython, the error says which extra to install."""
    import sys

    monkeypatch.setitem(sys.modules, "dns.resolver", None)
    with pytest.raises(skiesish.exceptions.MissingExtraError, match=r"pip install 'skiesish\[dns\]'"):
        checks.dns("a.test")
