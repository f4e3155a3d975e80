"""checks.mqtt() and checks.nats() against the real Mosquitto and NATS (JetStream) servers on this machine.

Where a test needs to see connections, it puts a FaultProxy in front of the
server: every connection the check opens shows there as one upstream port.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import require_server, run_once, tcp_server, wait_until
from faultproxy import FaultProxy
from tls_servers import Authority, TLSForwarder

import skiesish
from skiesish import checks
from skiesish.di import DI
from skiesish.health import HealthEngine
from skiesish.health.report import CheckResult

MQTT_PORT = 1883
NATS_PORT = 4222
MQTT_URL = f"mqtt://127.0.0.1:{MQTT_PORT}"
NATS_URL = f"nats://127.0.0.1:{NATS_PORT}"


@pytest.fixture
def mosquitto() -> str:
    """The local Mosquitto's URL; skips (or fails under CI) when it is down."""
    require_server("Mosquitto", "127.0.0.1", MQTT_PORT)
    return MQTT_URL


@pytest.fixture
def nats_server() -> str:
    """The local NATS server's URL; skips (or fails under CI) when it is down."""
    require_server("NATS", "127.0.0.1", NATS_PORT)
    return NATS_URL


@pytest.fixture
def engines() -> Iterator[Callable[[skiesish.Check], HealthEngine]]:
    """``engines(check)`` builds an uncached HealthEngine of one check; all are closed afterwards."""
    built: list[HealthEngine] = []

    def build(check: skiesish.Check) -> HealthEngine:
        engine = HealthEngine([check], DI(), success_ttl=None, failed_ttl=None)
        built.append(engine)
        return engine

    yield build
    for engine in built:
        engine.close()


def result_of(engine: HealthEngine) -> CheckResult:
    """One uncached run of the engine's only check."""
    return engine.evaluate().results[0]


def through(url: str, proxy: FaultProxy) -> str:
    """``url`` with the proxy's port in place of the server's."""
    return url.rsplit(":", 1)[0] + f":{proxy.port}"


# -- MQTT and NATS: one connection, kept from probe to probe ---------------------------

#: Each server whose check keeps a connection: the fixture that finds it, its port, its check.
KEEPING = {
    "mqtt": ("mosquitto", MQTT_PORT, checks.mqtt),
    "nats": ("nats_server", NATS_PORT, checks.nats),
}


@pytest.fixture(params=[pytest.param(kind, marks=pytest.mark.services) for kind in KEEPING])
def proxied(
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    engines: Callable[[skiesish.Check], HealthEngine],
) -> tuple[FaultProxy, HealthEngine]:
    """Mosquitto, then NATS, behind a FaultProxy, and an uncached engine checking it through the proxy."""
    server, port, check = KEEPING[request.param]
    proxy = fault_proxy(port)
    return proxy, engines(check(through(request.getfixturevalue(server), proxy)))


def test_keeps_one_connection_across_probes(proxied):
    """Twenty uncached probes go over a single connection to the broker (or server)."""
    proxy, engine = proxied
    assert [result_of(engine).passed for _ in range(20)] == [True] * 20
    assert len(proxy.upstream_ports()) == 1


def test_replaces_a_connection_the_server_dropped_between_probes(proxied):
    """A connection reset between two probes is noticed and replaced: the next probe reconnects and passes."""
    proxy, engine = proxied
    assert result_of(engine).passed
    proxy.set_mode("reset")
    proxy.set_mode("pass")
    result = result_of(engine)
    assert result.passed, result.output
    assert len(proxy.upstream_ports()) == 2


# -- MQTT -----------------------------------------------------------------------------


@pytest.mark.services
def test_mqtt_round_trip_passes(mosquitto):
    """mqtt(url) publishes through the real Mosquitto and receives its message back."""
    result = run_once(checks.mqtt(mosquitto))
    assert (result.passed, result.name) == (True, "mqtt:127.0.0.1:1883")
    assert result.output.startswith("round trip in ")


@pytest.mark.services
def test_mqtt_with_a_topic_of_its_own(mosquitto):
    """topic= names the topic the check publishes to and subscribes to."""
    assert run_once(checks.mqtt(mosquitto, topic=f"health/test-{uuid.uuid4().hex[:8]}")).passed


def test_mqtt_fails_on_a_closed_port(free_port):
    """Nothing listening: the check fails, naming the address."""
    result = run_once(checks.mqtt(f"mqtt://127.0.0.1:{free_port}"))
    assert not result.passed
    assert f"cannot connect to 127.0.0.1:{free_port}" in result.output


@pytest.fixture
def not_mqtt_server() -> Iterator[int]:
    """A server that answers anything with a line of text and hangs up; yields its port."""

    def answer(connection: socket.socket) -> None:
        connection.recv(1024)
        connection.sendall(b"-ERR 'this is not MQTT'\r\n")

    with tcp_server(answer) as port:
        yield port


def test_mqtt_fails_on_a_server_that_does_not_speak_mqtt(not_mqtt_server):
    """A server answering CONNECT with something else fails the check instead of passing or hanging."""
    result = run_once(checks.mqtt(f"mqtt://127.0.0.1:{not_mqtt_server}"))
    assert not result.passed


@pytest.fixture
def refusing_broker() -> Iterator[tuple[int, list[bytes]]]:
    """A stand-in broker answering each CONNECT with CONNACK 5 (not authorized); yields (port, CONNECTs)."""
    received: list[bytes] = []

    def refuse(connection: socket.socket) -> None:
        received.append(connection.recv(1024))
        connection.sendall(bytes([0x20, 0x02, 0x00, 0x05]))

    with tcp_server(refuse) as port:
        yield port, received


def test_mqtt_sends_the_urls_credentials_and_reports_a_refusal(refusing_broker):
    """The URL's user name and password go into CONNECT; a refusing CONNACK fails the check, saying why."""
    port, received = refusing_broker
    result = run_once(checks.mqtt(f"mqtt://monitor:pa%24%24word@127.0.0.1:{port}"))
    assert not result.passed
    assert "the broker refused the connection: Not authorized" in result.output
    assert b"monitor" in received[0]
    assert b"pa$$word" in received[0]


@pytest.fixture
def mqtts(mosquitto, tmp_path) -> Iterator[tuple[int, Authority]]:
    """TLS with a test CA's certificate in front of the local Mosquitto; yields (port, CA)."""
    authority = Authority(tmp_path, "mqtt")
    forwarder = TLSForwarder(authority.issue("broker"), MQTT_PORT)
    yield forwarder.port, authority
    forwarder.close()


@pytest.mark.services
def test_mqtts_verifies_the_broker_against_ca_file(mqtts):
    """mqtts:// with the CA as ca_file passes through TLS, named after the broker's host and port."""
    port, authority = mqtts
    result = run_once(checks.mqtt(f"mqtts://localhost:{port}", ca_file=str(authority.ca_file)))
    assert (result.passed, result.name) == (True, f"mqtt:localhost:{port}"), result.output


@pytest.mark.services
def test_mqtts_fails_on_an_untrusted_certificate(mqtts):
    """mqtts:// against the system's CAs does not trust the test CA's certificate."""
    port, _ = mqtts
    result = run_once(checks.mqtt(f"mqtts://localhost:{port}"))
    assert not result.passed
    assert "CERTIFICATE_VERIFY_FAILED" in result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://monitor:S3cretPassw0rd@broker", "mqtt:broker:1883"),
        ("mqtts://broker", "mqtt:broker:8883"),
        ("mqtt://[::1]:1884", "mqtt:[::1]:1884"),
    ],
)
def test_mqtt_default_names(url, expected):
    """The default name is mqtt:host:port (1883, or 8883 for mqtts://), never with credentials."""
    assert checks.mqtt(url).name == expected


@pytest.mark.parametrize(
    ("url", "deadline", "expected"),
    [
        ("mqtt://127.0.0.1", 3.0, True),
        ("mqtt://127.0.0.1", 2.0, False),
        ("mqtt://broker", 3.0, False),
        ("mqtts://127.0.0.1", 3.0, False),
        ("mqtts://127.0.0.1", 5.0, True),
    ],
)
def test_mqtt_runs_within_only_where_its_bounds_hold(url, deadline, expected):
    """Inline only on an IP address, with timeout (twice that for mqtts://) inside the deadline."""
    assert checks.mqtt(url, timeout=2.0).func.runs_within(deadline) is expected


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (
            {"url": "http://broker"},
            r"mqtt\(\): url must be mqtt://\[user:password@\]host\[:port\] or mqtts://",
        ),
        ({"url": "mqtt://"}, r"mqtt\(\): url must be mqtt://"),
        ({"url": "mqtt://broker:70000"}, r"mqtt\(\): url must be mqtt://"),
        ({"url": b"mqtt://broker"}, r"mqtt\(\): url must be mqtt://"),
        ({"url": "mqtt://broker", "topic": "health/#"}, r"mqtt\(\): topic must be a non-empty topic name"),
        ({"url": "mqtt://broker", "topic": ""}, r"mqtt\(\): topic must be a non-empty topic name"),
        (
            {"url": "mqtt://broker", "ca_file": "/ca.pem"},
            r"mqtt\(\): ca_file must be a file name, with an mqtts",
        ),
        ({"url": "mqtts://broker", "ca_file": "/nonexistent.pem"}, r"mqtt\(\): cannot load ca_file"),
        ({"url": "mqtt://broker", "timeout": 0}, r"mqtt\(\): timeout must be a number of seconds"),
        ({"url": "mqtt://broker", "colour": "red"}, r"mqtt:broker:1883: unknown argument\(s\) colour"),
    ],
)
def test_mqtt_bad_arguments_fail_at_build_time(arguments, match):
    """Bad URLs and arguments raise ConfigurationError naming mqtt() and the argument."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        checks.mqtt(**arguments)


def test_mqtt_without_paho_names_the_extra(monkeypatch):
    """Without paho-mqtt, the error says which extra to install."""
    monkeypatch.setitem(sys.modules, "paho.mqtt.client", None)
    with pytest.raises(skiesish.exceptions.MissingExtraError, match=r"pip install 'skiesish\[mqtt\]'"):
        checks.mqtt(MQTT_URL)


# -- NATS -----------------------------------------------------------------------------


def jetstream(url: str, work: Callable[[Any], Any]) -> Any:
    """Run ``await work(jetstream_context)`` on a connection of its own, closed afterwards."""
    import nats

    async def main() -> Any:
        client = await nats.connect(url)
        try:
            return await work(client.jetstream())
        finally:
            await client.close()

    return asyncio.run(main())


@pytest.fixture
def stream(nats_server) -> Iterator[str]:
    """A JetStream stream holding 3 messages, with a durable consumer 'worker'; deleted afterwards."""
    # Digits only: a default name whose path looks random (like a token) is left without it.
    name = f"SKIESISH_TEST_{uuid.uuid4().int % 10**6}"

    async def create(js: Any) -> None:
        await js.add_stream(name=name, subjects=[f"{name.lower()}.>"])
        for _ in range(3):
            await js.publish(f"{name.lower()}.orders", b"order")
        await js.add_consumer(name, durable_name="worker")

    async def delete(js: Any) -> None:
        await js.delete_stream(name)

    jetstream(nats_server, create)
    yield name
    jetstream(nats_server, delete)


@pytest.mark.services
def test_nats_ping_passes(nats_server):
    """nats(url) gets a PONG from the real server."""
    result = run_once(checks.nats(nats_server))
    assert (result.passed, result.name) == (True, "nats:127.0.0.1:4222")
    assert result.output.startswith("PING in ")


@pytest.mark.services
def test_nats_stream_and_consumer_pass_and_are_counted(nats_server, stream):
    """An existing stream and consumer pass; the output counts the stream's messages and the pending ones."""
    result = run_once(checks.nats(nats_server, stream=stream, consumer="worker"))
    assert (result.passed, result.name) == (True, f"nats:127.0.0.1:4222/{stream}/worker"), result.output
    assert result.output.startswith(f"stream {stream} holds 3 messages, consumer worker has 3 pending in ")


@pytest.mark.services
@pytest.mark.parametrize(
    ("consumer", "message"),
    [
        (None, "stream {stream}_MISSING does not exist"),
        ("nobody", "consumer nobody of stream {stream} does not exist"),
    ],
    ids=["stream", "consumer"],
)
def test_nats_a_missing_stream_or_consumer_fails(nats_server, stream, consumer, message):
    """A stream (or a consumer of it) that does not exist fails the check, saying which."""
    name = stream if consumer else f"{stream}_MISSING"
    result = run_once(checks.nats(nats_server, stream=name, consumer=consumer))
    assert not result.passed
    assert message.format(stream=stream) in result.output


@pytest.mark.services
def test_nats_a_missing_stream_keeps_the_connection(nats_server, fault_proxy, engines):
    """A missing stream is the server's answer, not a broken connection: probes keep their one connection."""
    proxy = fault_proxy(NATS_PORT)
    engine = engines(checks.nats(through(nats_server, proxy), stream="SKIESISH_NO_SUCH_STREAM"))
    assert [result_of(engine).passed for _ in range(3)] == [False] * 3
    assert len(proxy.upstream_ports()) == 1


def nats_threads() -> list[threading.Thread]:
    """The threads running a NATS check's event loop."""
    return [thread for thread in threading.enumerate() if thread.name == "skiesish-nats"]


@pytest.mark.services
def test_nats_closing_the_engine_stops_the_checks_thread(nats_server):
    """The loop thread lives from the first probe until the engine closes the check."""
    before = len(nats_threads())
    engine = HealthEngine([checks.nats(nats_server)], DI(), success_ttl=None, failed_ttl=None)
    assert result_of(engine).passed
    assert len(nats_threads()) == before + 1
    engine.close()
    wait_until(lambda: len(nats_threads()) == before, "the NATS check's thread ending")


def test_nats_fails_at_once_on_a_closed_port(free_port):
    """A refused connection fails the check with the refusal, not with a timeout."""
    result = run_once(checks.nats(f"nats://127.0.0.1:{free_port}", timeout=30))
    assert not result.passed
    assert "cannot connect to the NATS server" in result.output
    assert "Connect call failed" in result.output


@pytest.mark.parametrize(
    ("url", "deadline", "expected"),
    [("nats://127.0.0.1", 3.0, True), ("nats://127.0.0.1", 2.0, False), ("nats://queue.internal", 3.0, True)],
)
def test_nats_runs_within_even_for_host_names(url, deadline, expected):
    """The asking thread waits at most timeout, a host look-up included: inline whenever timeout fits."""
    assert checks.nats(url, timeout=2.0).func.runs_within(deadline) is expected


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"url": "nats://s3cr3tT0ken@queue"}, "nats:queue:4222"),
        ({"url": "tls://user:S3cretPassw0rd@queue:4443", "stream": "ORDERS"}, "nats:queue:4443/ORDERS"),
        (
            {"url": "nats://queue", "stream": "ORDERS", "consumer": "shipper"},
            "nats:queue:4222/ORDERS/shipper",
        ),
    ],
)
def test_nats_default_names(arguments, expected):
    """The default name is nats:host:port with the stream and consumer, never with credentials or tokens."""
    assert checks.nats(**arguments).name == expected


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"url": "http://queue"}, r"nats\(\): url must be nats://\[user:password@\]host\[:port\] or tls://"),
        ({"url": "nats://"}, r"nats\(\): url must be nats://"),
        ({"url": "nats://queue:port"}, r"nats\(\): url must be nats://"),
        ({"url": "nats://queue", "stream": "a.b"}, r"nats\(\): stream must be a JetStream name"),
        ({"url": "nats://queue", "stream": ""}, r"nats\(\): stream must be a JetStream name"),
        (
            {"url": "nats://queue", "stream": "S", "consumer": "c d"},
            r"nats\(\): consumer must be a JetStream name",
        ),
        ({"url": "nats://queue", "consumer": "worker"}, r"nats\(\): consumer= needs stream="),
        ({"url": "nats://queue", "timeout": float("nan")}, r"nats\(\): timeout must be a number of seconds"),
        ({"url": "nats://queue", "colour": "red"}, r"nats:queue:4222: unknown argument\(s\) colour"),
    ],
)
def test_nats_bad_arguments_fail_at_build_time(arguments, match):
    """Bad URLs and arguments raise ConfigurationError naming nats() and the argument."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        checks.nats(**arguments)


def test_nats_without_nats_py_names_the_extra(monkeypatch):
    """Without nats-py, the error says which extra to install."""
    monkeypatch.setitem(sys.modules, "nats", None)
    with pytest.raises(skiesish.exceptions.MissingExtraError, match=r"pip install 'skiesish\[nats\]'"):
        checks.nats(NATS_URL)
