"""The web side's check of Celery: the broker answers, a worker answers, every queue has a consumer."""

from __future__ import annotations

import contextlib
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

from ...checks.base import (
    DEFAULT_SOCKET_TIMEOUT,
    Deadline,
    build_check,
    check_timeout,
    counted,
    default_name,
    latency,
)
from ...durations import MAX_TIMEOUT, seconds
from ...exceptions import ConfigurationError, HealthError
from ...health import Check
from .control import broadcast

__all__ = ["check"]


def check(
    app: Any,
    queues: Sequence[str] | None = None,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    ping_timeout: float | None = None,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """Check that the broker of the Celery ``app`` accepts a connection and that its workers answer.

    Each run opens a connection of its own to ``app``'s broker (its URL and
    settings, with timeouts of the check's), and closes it before returning:

    1. a worker must answer a ``ping`` within ``ping_timeout`` seconds (by
       default half of ``timeout``); the run stops waiting at the first answer;
    2. each queue of ``queues`` must have a consumer. On RabbitMQ (any AMQP
       broker) a passive declare reads each queue's consumer count (it creates
       nothing, and a missing queue fails); Redis has no such count, so there
       the workers are asked for the queues they consume (``active_queues``)
       instead of the ``ping``, until every queue is seen or ``ping_timeout``.

    ``timeout`` bounds connecting, each reply and the whole run; nothing is
    retried, so a broker that is down fails the run at once, and one that
    stops answering fails it once ``timeout`` has passed.

    Args:
        app: the ``celery.Celery`` application whose workers to check.
        queues: the queues that must have a consumer (default: none checked).
        timeout: seconds for the whole run (default 2).
        ping_timeout: seconds to wait for the workers' answers; less than ``timeout``.
        name: the check's name (default ``celery:<broker host>:<port>/<virtual host or db>``).
        check_options: Check's own options (``critical``, ``tags``, ``success_ttl``, ``failed_ttl``).

    Example:
        >>> from skiesish.integrations import celery as celery_health
        >>> celery_health.check(app, queues=["celery", "emails"], timeout=3)
    """
    if not callable(getattr(app, "connection_for_write", None)) or not hasattr(app, "control"):
        raise ConfigurationError(
            f"celery.check(): app must be a Celery application, got {type(app).__name__}"
        )
    budget = check_timeout("celery.check", timeout)
    wait = budget / 2 if ping_timeout is None else _ping_seconds(ping_timeout, budget)
    names = _queue_names(queues)
    described = app.connection_for_write()  # reads the settings; connects to nothing
    transport = described.transport
    if "fanout" not in transport.implements.exchange_type:
        raise ConfigurationError(
            f"celery.check(): the broker transport {transport.driver_type!r} cannot broadcast, "
            "so Celery's workers cannot be pinged through it"
        )
    is_amqp = transport.driver_type == "amqp"
    port = described.port or getattr(transport, "default_port", None)
    host = described.hostname or ("localhost" if port else None)  # kombu's default host
    virtual_host = urllib.parse.quote(str(described.virtual_host or ""), safe="")
    where = default_name("celery", host, port, f"/{virtual_host}")

    def workers_answer() -> tuple[bool, str]:
        deadline = Deadline(budget)
        started = time.perf_counter()
        left = deadline.left("connecting")
        options = (
            {"read_timeout": left, "write_timeout": left}
            if is_amqp
            else {"socket_timeout": left, "socket_connect_timeout": left}
        )
        connection = app.connection_for_write(connect_timeout=left, heartbeat=0, transport_options=options)
        try:
            try:
                connection.ensure_connection(max_retries=0)
            except Exception as error:  # noqa: BLE001 - each transport has errors of its own
                raise HealthError(
                    f"cannot connect to the broker at {host}:{port}: {_reason(error)}"
                ) from None
            try:
                if names and not is_amqp:
                    return True, _queues_by_asking(app, connection, names, min(wait, deadline.left("asking")))
                replies = broadcast(app, connection, "ping", min(wait, deadline.left("pinging")), bool)
                if not replies:
                    raise HealthError(f"no worker answered a ping within {wait:g} s")
                found = [_consumers(connection, queue) for queue in names]
            except HealthError:
                raise
            except Exception as error:  # noqa: BLE001 - a broker lost midway fails the run, whatever it raised
                raise HealthError(f"lost the broker at {host}:{port}: {_reason(error)}") from None
        finally:
            _close(connection)
        answered = f"ping answered by {counted(len(replies), 'worker')} in {latency(started)}"
        return True, "; ".join([answered, *found])

    return build_check(workers_answer, name or where, check_options)


def _ping_seconds(value: Any, budget: float) -> float:
    wait = float(seconds("celery.check(): ping_timeout", value, maximum=MAX_TIMEOUT))  # type: ignore[arg-type]
    if wait >= budget:
        raise ConfigurationError(
            f"celery.check(): ping_timeout must be less than timeout ({budget:g} s), to leave time to "
            f"connect and to read the queues, got {wait:g}"
        )
    return wait


def _queue_names(queues: Any) -> tuple[str, ...]:
    if queues is None:
        return ()
    if isinstance(queues, str) or not all(isinstance(queue, str) and queue for queue in queues):
        raise ConfigurationError(
            "celery.check(): queues must be a list of queue names, "
            f"got {type(queues).__name__} {queues!r:.60}"
        )
    return tuple(dict.fromkeys(queues))


def _consumers(connection: Any, queue: str) -> str:
    """Declare ``queue`` passively on an AMQP ``connection``; fail unless it has a consumer."""
    channel = connection.channel()
    try:
        declared = channel.queue_declare(queue=queue, passive=True)
    except Exception as error:  # amqp's NotFound, or the broker lost: raised again unless a 404
        if getattr(error, "reply_code", None) == 404:
            raise HealthError(f"the queue {queue!r} does not exist") from None
        raise
    finally:
        _close(channel)
    consumers, messages = declared.consumer_count, declared.message_count
    counts = f"{counted(consumers, 'consumer')}, {counted(messages, 'message')}"
    if consumers < 1:
        raise HealthError(f"the queue {queue!r} has no consumer ({counts})")
    return f"queue {queue}: {counts}"


def _queues_by_asking(app: Any, connection: Any, names: tuple[str, ...], wait: float) -> str:
    """Ask the workers which queues they consume (``active_queues``); fail unless they cover ``names``."""
    started = time.perf_counter()

    def consumed(replies: dict[str, Any]) -> dict[str, int]:
        """How many of the answering workers consume each queue of ``names``."""
        workers = dict.fromkeys(names, 0)
        for answer in replies.values():
            if isinstance(answer, list):  # a worker that failed the command answers {"error": ...}
                for queue in {entry.get("name") for entry in answer if isinstance(entry, dict)}:
                    if queue in workers:
                        workers[queue] += 1
        return workers

    replies = broadcast(
        app, connection, "active_queues", wait, lambda answers: all(consumed(answers).values())
    )
    if not replies:
        raise HealthError(f"no worker answered within {wait:g} s")
    workers = consumed(replies)
    missing = [queue for queue, count in workers.items() if not count]
    answered = f"{counted(len(replies), 'worker')} answered"
    if missing:
        raise HealthError(f"no worker consumes the queue(s) {', '.join(map(repr, missing))} ({answered})")
    found = ", ".join(f"{queue}: {counted(count, 'worker')}" for queue, count in workers.items())
    return f"{answered} in {latency(started)}; queues consumed by {found}"


def _reason(error: BaseException) -> str:
    detail = str(error) or repr(error)
    return f"{type(error).__name__}: {detail}"


def _close(resource: Any) -> None:
    """Close a connection or channel whatever state the broker left it in."""
    with contextlib.suppress(Exception):  # the run's answer is known; a failed goodbye must not change it
        resource.close()
