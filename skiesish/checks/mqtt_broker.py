"""A check of an MQTT broker: a message published on a topic of its own comes back through the broker."""

from __future__ import annotations

import select
import ssl
import time
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from .base import (
    DEFAULT_SOCKET_TIMEOUT,
    Deadline,
    Lazy,
    bounded_by,
    build_check,
    check_timeout,
    default_name,
    import_extra,
    latency,
    network_url,
)

__all__ = ["mqtt"]

_DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
#: Seconds of silence after which the broker may drop the connection (it allows one and a half times
#: this); a probe finds such a connection closed before using it, and opens another.
_KEEPALIVE = 60


class _Session:
    """One connection to the broker, driven only while a probe runs: no network thread of its own.

    paho's own loop functions (``loop_read``, ``loop_write``, ``loop_misc``)
    are called after a ``select`` bounded by the probe's :class:`Deadline`,
    so that no wait outlasts it and no socket pair or thread is made.
    """

    def __init__(self, paho: Any, host: str, port: int, options: _Options) -> None:
        self._paho = paho
        self._host, self._port, self._options = host, port, options
        self.topic = options.topic or f"skiesish/health/{uuid.uuid4().hex}"
        self.client: Any = None
        self._connack: Any = None
        self._suback: Any = None
        self._expected = b""
        self._is_echoed = False

    # -- paho's callbacks (run inside loop_read, on the probing thread) ------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connack = reason

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        self._suback = reasons

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        # Only this probe's payload counts: a late echo of an earlier probe, or another
        # client's message on a shared topic, is dropped.
        if message.payload == self._expected:
            self._is_echoed = True

    # -- the probe's side ---------------------------------------------------

    def round_trip(self, deadline: Deadline) -> None:
        """Connect and subscribe if not yet done, then publish a fresh payload and wait for it."""
        if self.client is not None:
            try:
                self._pump(0.0)  # read what came since the last probe, without waiting
            except HealthError:
                self.close()  # the broker closed the connection meanwhile (an idle timeout, a restart)
        if self.client is None:
            self._connect(deadline)
        self._expected, self._is_echoed = uuid.uuid4().hex.encode(), False
        info = self.client.publish(self.topic, self._expected, qos=0)
        if info.rc != self._paho.MQTT_ERR_SUCCESS:
            raise HealthError(f"cannot publish: {self._paho.error_string(info.rc)}")
        self._wait(deadline, lambda: self._is_echoed, "waiting for the published message")

    def _connect(self, deadline: Deadline) -> None:
        paho = self._paho
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=f"skiesish-{uuid.uuid4().hex[:12]}",
            clean_session=True,
            protocol=paho.MQTTv311,
        )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        if self._options.username is not None:
            client.username_pw_set(self._options.username, self._options.password)
        if self._options.context is not None:
            client.tls_set_context(self._options.context)
        # Connecting, and for mqtts:// the handshake after it, each wait at most this long.
        client.connect_timeout = deadline.left("connecting")
        self.client, self._connack, self._suback = client, None, None
        try:
            client.connect(self._host, self._port, keepalive=_KEEPALIVE)
        except (OSError, ValueError) as error:
            raise HealthError(f"cannot connect to {self._host}:{self._port}: {error}") from None
        try:
            self._wait(deadline, lambda: self._connack is not None, "waiting for CONNACK")
        except HealthError:
            if self._connack is None:
                raise
            # paho reads a refusing CONNACK, tells on_connect why, then reports a broken connection.
        if self._connack.is_failure:
            raise HealthError(f"the broker refused the connection: {self._connack}")
        code, _ = client.subscribe(self.topic, qos=0)
        if code != paho.MQTT_ERR_SUCCESS:
            raise HealthError(f"cannot subscribe: {paho.error_string(code)}")
        self._wait(deadline, lambda: self._suback is not None, "waiting for SUBACK")
        if any(reason.is_failure for reason in self._suback):
            raise HealthError(f"the broker refused the subscription to {self.topic}")

    def _wait(self, deadline: Deadline, condition: Callable[[], bool], step: str) -> None:
        while not condition():
            self._pump(deadline.left(step))

    def _pump(self, wait: float) -> None:
        """Wait up to ``wait`` seconds for the socket, then let paho read, write and keep alive."""
        client, paho = self.client, self._paho
        sock = client.socket()
        if sock is None:
            raise HealthError("the broker closed the connection")
        has_pending = getattr(sock, "pending", lambda: 0)() > 0  # TLS: bytes already decrypted
        writers = [sock] if client.want_write() else []
        readable, writable, _ = select.select([sock], writers, [], 0.0 if has_pending else wait)
        for is_ready, step in ((readable or has_pending, client.loop_read), (writable, client.loop_write)):
            if is_ready:
                code = step()
                if code != paho.MQTT_ERR_SUCCESS:
                    raise HealthError(f"the connection broke: {paho.error_string(code)}")
        code = client.loop_misc()
        if code != paho.MQTT_ERR_SUCCESS:
            raise HealthError(f"the connection broke: {paho.error_string(code)}")

    def close(self) -> None:
        """Say DISCONNECT if the socket takes it at once, and close the socket."""
        client, self.client = self.client, None
        if client is None:
            return
        sock = client.socket()
        if sock is None:
            return
        try:
            client.disconnect()
            client.loop_write()  # non-blocking: a DISCONNECT that does not fit is not waited for
        except (OSError, ValueError):
            pass
        finally:
            sock.close()


class _Options:
    """What every connection of one check uses: credentials, TLS context, topic."""

    def __init__(
        self, username: str | None, password: str | None, context: ssl.SSLContext | None, topic: str | None
    ) -> None:
        self.username, self.password, self.context, self.topic = username, password, context, topic


def mqtt(
    url: str,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    name: str | None = None,
    topic: str | None = None,
    ca_file: str | None = None,
    **check_options: Any,
) -> Check:
    """Publish a message through the MQTT broker at ``url`` and receive it back, with paho-mqtt.

    ``url`` is ``mqtt://[user:password@]host[:port]`` (port 1883) or
    ``mqtts://...`` (TLS, port 8883; the certificate is verified against the
    system's CAs, or ``ca_file``). The check keeps one MQTT 3.1.1 connection
    (clean session) subscribed to ``topic`` (by default a new
    ``skiesish/health/<random>`` per connection), reused from probe to probe;
    each probe publishes a fresh payload at QoS 0 and passes once the broker
    delivers it back, which proves the broker accepts, routes and delivers.
    A connection the broker closed in between (after 90 s of silence, say) is
    replaced before use; one that breaks or times out during a probe fails
    that probe and is replaced on the next.

    The whole probe (connecting, CONNACK, SUBACK, the round trip) shares one
    budget of ``timeout`` seconds; for ``mqtts://`` the TLS handshake may add
    as much again. No network thread is started: paho's loop runs only
    while the probe does. When the host is an IP address and those bounds fall
    within the engine's deadline, the engine may run the check on the thread
    that asks for the report (see ``runs_within`` in
    :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> mqtt("mqtt://127.0.0.1:1883")
        >>> mqtt("mqtts://monitor:secret@broker.internal", topic="health/api-7f3c")
    """
    paho = import_extra("paho.mqtt.client", "mqtt", "checks.mqtt()")
    seconds = check_timeout("mqtt", timeout)
    parts = network_url(url, _DEFAULT_PORTS)
    if parts is None:
        raise ConfigurationError(
            f"mqtt(): url must be mqtt://[user:password@]host[:port] or mqtts://..., got {url!r}"
        )
    if topic is not None and (not isinstance(topic, str) or not topic or set(topic) & {"+", "#", "\0"}):
        raise ConfigurationError(
            f"mqtt(): topic must be a non-empty topic name without wildcards (+, #), got {topic!r}"
        )
    if ca_file is not None and (not isinstance(ca_file, str) or parts.scheme != "mqtts"):
        raise ConfigurationError(
            f"mqtt(): ca_file must be a file name, with an mqtts:// url, got {ca_file!r}"
        )
    host, port = str(parts.hostname), parts.port or _DEFAULT_PORTS[parts.scheme]
    context = _tls_context(ca_file) if parts.scheme == "mqtts" else None
    username = urllib.parse.unquote(parts.username) if parts.username is not None else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    options = _Options(username, password, context, topic)
    holder = Lazy(lambda: _Session(paho, host, port, options))

    def broker_echoes() -> tuple[bool, str]:
        started = time.perf_counter()
        deadline = Deadline(seconds)
        session = holder.get()
        try:
            session.round_trip(deadline)
        except BaseException:
            holder.close()  # whatever state the connection is in, the next probe starts afresh
            raise
        return True, f"round trip in {latency(started)}"

    broker_echoes.close = holder.close  # type: ignore[attr-defined]
    handshake = seconds if context is not None else 0.0
    broker_echoes.runs_within = bounded_by(seconds + handshake, host=host)  # type: ignore[attr-defined]
    return build_check(broker_echoes, name or default_name("mqtt", host, port), check_options)


class _ClosingSSLSocket(ssl.SSLSocket):
    """A TLS socket that closes itself when its handshake fails, which paho-mqtt leaves open."""

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except BaseException:
            self.close()
            raise


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A client context verifying the broker's chain and name, against ``ca_file`` or the system's CAs."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ValueError) as error:  # a missing or unreadable file, or one holding no certificate
        raise ConfigurationError(f"mqtt(): cannot load ca_file {ca_file!r}: {error}") from None
    context.sslsocket_class = _ClosingSSLSocket
    return context
