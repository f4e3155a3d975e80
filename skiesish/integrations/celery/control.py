"""Celery's remote control, spoken on one connection of our own, never waiting past a deadline.

``app.control.ping()`` publishes through the application's producer pool
with kombu's retry policy, which reconnects without end while the broker
is down: a probe that calls it hangs as long as the outage lasts. Here
every command goes out on the connection the check opened (with its own
timeouts), is published once, and its replies are read into a reply queue
of the run's own until the deadline or until the caller has what it needs.
The queue is deleted afterwards (auto-delete on AMQP; deleted outright on
Redis), so replies that arrive late are dropped by the broker.

The messages are those of kombu's ``Mailbox`` (``kombu.pidbox``), which
every Celery worker answers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from ...extras import import_extra

# kombu (Celery's messaging library) is typed, but only in part: as Any, like the other extras.
kombu: Any = import_extra("kombu", "celery", "skiesish.integrations.celery")

__all__ = ["broadcast"]

#: Seconds an unused reply queue lives on at the broker, should the run end before deleting it.
REPLY_QUEUE_EXPIRES = 10.0


def broadcast(
    app: Any,
    connection: Any,
    command: str,
    seconds: float,
    is_enough: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Send the control ``command`` to every worker and return ``{hostname: answer}``.

    Replies are read for at most ``seconds``, and no longer once
    ``is_enough(replies)`` holds.

    Args:
        app: the Celery application, for its control exchange and serializer.
        connection: an open kombu connection, used and left open.
        command: the control command, like ``"ping"`` or ``"active_queues"``.
        seconds: the longest wait for replies.
        is_enough: whether the replies so far answer the question.
    """
    mailbox = app.control.mailbox
    ticket = uuid.uuid4().hex
    reply_exchange = kombu.Exchange(
        mailbox.reply_exchange.name, type="direct", durable=False, delivery_mode="transient"
    )
    reply_queue = kombu.Queue(
        f"skiesish-{ticket}.{reply_exchange.name}",
        exchange=reply_exchange,
        routing_key=ticket,
        durable=False,
        auto_delete=True,
        expires=REPLY_QUEUE_EXPIRES,
    )
    replies: dict[str, Any] = {}

    def on_reply(body: Any, message: Any) -> None:
        if message.headers.get("ticket") == ticket and isinstance(body, dict):
            replies.update(body)

    channel = connection.channel()
    try:
        # Consume first, so that not even the quickest reply finds no queue to land in.
        with kombu.Consumer(channel, [reply_queue], accept=mailbox.accept, no_ack=True, callbacks=[on_reply]):
            kombu.Producer(channel, auto_declare=False).publish(
                {
                    "method": command,
                    "arguments": {},
                    "destination": None,
                    "pattern": None,
                    "matcher": None,
                    "ticket": ticket,
                    "reply_to": {"exchange": reply_exchange.name, "routing_key": ticket},
                },
                exchange=mailbox.exchange.name,
                declare=[mailbox.exchange],
                serializer=mailbox.serializer,
                headers={"clock": app.clock.forward(), "expires": time.time() + seconds},
                retry=False,
            )
            _collect(connection, time.monotonic() + seconds, lambda: is_enough(replies))
        # Redis (any virtual transport) keeps a queue until told; AMQP deletes it when its consumer goes.
        forget = getattr(channel, "after_reply_message_received", None)
        if callable(forget):
            forget(reply_queue.name)
    finally:
        channel.close()
    return replies


def _collect(connection: Any, ends: float, is_done: Callable[[], bool]) -> None:
    """Deliver messages on ``connection`` until ``is_done()`` or the monotonic time ``ends``."""
    while not is_done():
        left = ends - time.monotonic()
        if left <= 0:
            return
        try:
            connection.drain_events(timeout=left)
        except TimeoutError:  # socket.timeout, as kombu raises it
            return
