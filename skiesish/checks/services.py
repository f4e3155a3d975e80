"""Checks of the services an application talks to: SQL databases, Redis, AMQP brokers."""

from __future__ import annotations

import dataclasses
import math
import time
import urllib.parse
from typing import Any

from ..backends import ConnectionDetails, Database
from ..backends.database import import_driver, longest_connect
from ..di import DI
from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from .base import (
    DEFAULT_SOCKET_TIMEOUT,
    Lazy,
    bounded_by,
    build_check,
    check_timeout,
    counted,
    default_name,
    import_extra,
    latency,
)

__all__ = ["amqp", "redis", "sql"]


def _one_of(kind: str, service: str | None, url: str | None, default_service: str | None) -> str | None:
    """Check that at most one of ``service`` and ``url`` is given; return the service to use."""
    if service is not None and url is not None:
        raise ConfigurationError(f"{kind}(): give service= or url=, not both")
    if url is not None and not isinstance(url, str):
        raise ConfigurationError(f"{kind}(): url must be a string, got {type(url).__name__}")
    if service is None and url is None:
        if default_service is None:
            raise ConfigurationError(f"{kind}(): give url= (or service= naming a DI dependency)")
        return default_service
    if service is not None and (not isinstance(service, str) or not service.isidentifier()):
        raise ConfigurationError(f"{kind}(): service must be a DI name, got {service!r}")
    return service


def _ping_service(kind: str, service: str) -> Check:
    """A check that pings the application's own client, the DI dependency ``service``."""

    def check(di: DI) -> tuple[bool, str]:
        client = di.build_from_name(service, context=f"checks.{kind}()")
        ping = getattr(client, "ping", None)
        if not callable(ping):
            raise HealthError(f"the dependency {service!r} ({type(client).__name__}) has no ping() method")
        started = time.perf_counter()
        if ping() is False:
            raise HealthError(f"{service}.ping() returned False")
        return True, f"ping in {latency(started)}"

    return Check(check, name=service)


def sql(
    service: str | None = None,
    url: str | None = None,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """``SELECT 1`` on the application's ``cursor_backend`` (or ``service``), or on the database at ``url``.

    With ``url`` (``sqlite:///...``, ``postgresql://...``, ``mysql://...``)
    the check keeps one connection of its own, whichever thread runs it,
    reused from probe to probe and replaced when broken; ``timeout`` bounds
    connecting and each reply (on PostgreSQL, whose driver has no read
    timeout, by shutting the socket down; and connecting to PostgreSQL never
    gives up sooner than 2 s, libpq's floor for ``connect_timeout``). When
    those bounds fall within the engine's deadline and the host is an IP
    address (or the database a SQLite file), the engine may run the check on
    the thread that asks for the report (see ``runs_within`` in
    :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> sql()                                          # the app's own cursor_backend
        >>> sql(url="postgresql://monitor@db:5432/app")    # another database
    """
    service = _one_of("sql", service, url, "cursor_backend")
    seconds = check_timeout("sql", timeout)
    if service is not None:
        check = _ping_service("sql", service)
        return build_check(check.func, name or service, check_options)
    details = ConnectionDetails.from_url(str(url))
    details = dataclasses.replace(details, connect_timeout=min(details.connect_timeout, seconds))
    import_driver(details.dialect)  # a missing extra fails now, at build time
    # One connection, lent to whichever thread runs the check: runs of one check never overlap
    # (the engine's single-flight), and a connection per thread would be one per server thread.
    holder = Lazy(lambda: Database(details, read_timeout=seconds, per_thread=False))

    def database_answers() -> tuple[bool, str]:
        started = time.perf_counter()
        holder.get().ping()
        return True, f"SELECT 1 in {latency(started)}"

    database_answers.close = holder.close  # type: ignore[attr-defined]
    host = None if details.dialect == "sqlite" else details.host
    database_answers.runs_within = bounded_by(longest_connect(details), seconds, host=host)  # type: ignore[attr-defined]

    if details.dialect == "sqlite":
        where = default_name("sql:sqlite", None, None, details.database)
    else:
        where = default_name(f"sql:{details.dialect}", details.host, details.port, "/" + details.database)
    return build_check(database_answers, name or where, check_options)


def redis(
    url: str | None = None,
    service: str | None = None,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """``PING`` the Redis server at ``url``, or the application's own client ``service``.

    With ``url`` the check keeps one redis-py client (and its connection
    pool) for all probes; ``timeout`` bounds connecting and each reply, and
    a failed command is not retried (redis-py's default retries would
    multiply the time a dead server takes to fail). When ``timeout`` falls
    within the engine's deadline and the host is an IP address or a Unix
    socket, the engine may run the check on the thread that asks for the
    report (see ``runs_within`` in :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> redis(url="redis://127.0.0.1:6379/0")
        >>> redis(service="redis_client")
    """
    service = _one_of("redis", service, url, None)
    seconds = check_timeout("redis", timeout)
    if service is not None:
        return build_check(_ping_service("redis", service).func, name or service, check_options)
    redis_module = import_extra("redis", "redis", "checks.redis()")
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.netloc or parts.path):
        raise ConfigurationError(
            f"redis(): url must be redis://host:port/db (or rediss://, unix://), got {url!r}"
        )
    no_retry = import_extra("redis.retry", "redis", "checks.redis()").Retry(
        import_extra("redis.backoff", "redis", "checks.redis()").NoBackoff(), 0
    )
    holder = Lazy(
        lambda: redis_module.Redis.from_url(
            str(url), socket_connect_timeout=seconds, socket_timeout=seconds, retry=no_retry
        )
    )

    def redis_answers() -> tuple[bool, str]:
        started = time.perf_counter()
        if holder.get().ping() is not True:
            raise HealthError("PING did not answer PONG")
        return True, f"PING in {latency(started)}"

    redis_answers.close = holder.close  # type: ignore[attr-defined]
    host = None if parts.scheme == "unix" else parts.hostname or "localhost"
    # The URL's query may set timeouts of its own (?socket_timeout=...) over ours: unknown, unbounded.
    bound = seconds if set(urllib.parse.parse_qs(parts.query)) <= {"db"} else math.inf
    redis_answers.runs_within = bounded_by(bound, host=host)  # type: ignore[attr-defined]

    if parts.scheme == "unix":
        where = default_name("redis", None, None, parts.path)
    else:
        where = default_name("redis", parts.hostname, parts.port or 6379, parts.path or "/0")
    return build_check(redis_answers, name or where, check_options)


def _count(key: str, value: Any, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"amqp(): {key} must be an int >= 0{' or None' if allow_none else ''}, got {value!r}"
        )
    return value


def amqp(
    url: str,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    name: str | None = None,
    queue: str | None = None,
    min_consumers: int = 1,
    max_messages: int | None = None,
    **check_options: Any,
) -> Check:
    """Open and close a connection to the AMQP 0-9-1 broker at ``url`` (RabbitMQ), with pika.

    Each probe opens a fresh connection, which is what proves the broker
    accepts clients, and closes it; ``timeout`` bounds every step.

    With ``queue``, the probe also declares that queue passively (which
    creates nothing) to read its counts, and fails when the queue does not
    exist, has fewer than ``min_consumers`` consumers, or holds more than
    ``max_messages`` messages ready for delivery (``None``: any number);
    the output says both counts. ``min_consumers`` and ``max_messages`` need
    ``queue``.

    Example:
        >>> amqp("amqp://guest:guest@127.0.0.1:5672/%2F")
        >>> amqp("amqp://monitor:secret@mq:5672/orders", queue="invoices", min_consumers=2, max_messages=1000)
    """
    pika = import_extra("pika", "amqp", "checks.amqp()")
    seconds = check_timeout("amqp", timeout)
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ConfigurationError(f"amqp(): url must be amqp://user:password@host:5672/vhost, got {url!r}")
    if queue is not None and (not isinstance(queue, str) or not queue or len(queue.encode()) > 255):
        raise ConfigurationError(f"amqp(): queue must be a queue name of 1 to 255 bytes, got {queue!r}")
    least = _count("min_consumers", min_consumers)
    most = _count("max_messages", max_messages, allow_none=True)
    if queue is None and (min_consumers != 1 or max_messages is not None):
        raise ConfigurationError("amqp(): min_consumers= and max_messages= need queue=, the queue to look at")
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = seconds
    parameters.stack_timeout = seconds
    parameters.blocked_connection_timeout = seconds
    parameters.connection_attempts = 1
    parameters.heartbeat = 0

    def broker_accepts() -> tuple[bool, str]:
        started = time.perf_counter()
        try:
            connection = pika.BlockingConnection(parameters)
        except pika.exceptions.AMQPConnectionError as error:
            # pika's messages are often empty; say where, and what kind of refusal it was.
            detail = str(error) or repr(error)
            raise HealthError(f"cannot connect to {parts.hostname}:{parts.port or 5672}: {detail}") from None
        try:
            if not connection.is_open:
                raise HealthError("the connection did not open")
            found = "" if queue is None else _queue_counts(pika, connection, queue, least, most) + ", "
        finally:
            connection.close()
        return True, f"{found}connected in {latency(started)}"

    path = (parts.path or "/") + ("" if queue is None else "/" + urllib.parse.quote(queue, safe=""))
    where = default_name("amqp", parts.hostname, parts.port or 5672, path)
    return build_check(broker_accepts, name or where, check_options)


def _queue_counts(pika: Any, connection: Any, queue: str, least: int | None, most: int | None) -> str:
    """Declare ``queue`` passively on ``connection``; judge and describe its consumers and messages."""
    try:
        declared = connection.channel().queue_declare(queue=queue, passive=True)
    except pika.exceptions.ChannelClosedByBroker as error:
        if error.reply_code == 404:
            raise HealthError(f"the queue {queue!r} does not exist") from None
        raise HealthError(
            f"cannot look at the queue {queue!r}: {error.reply_code} {error.reply_text}"
        ) from None
    consumers, messages = declared.method.consumer_count, declared.method.message_count
    counts = f"{counted(consumers, 'consumer')}, {counted(messages, 'message')}"
    if least is not None and consumers < least:
        raise HealthError(f"the queue {queue!r} has {counts}; at least {counted(least, 'consumer')} required")
    if most is not None and messages > most:
        raise HealthError(f"the queue {queue!r} has {counts}; at most {counted(most, 'message')} allowed")
    return counts
