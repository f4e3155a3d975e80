"""checks.amqp(queue=...) against the real RabbitMQ: a queue's consumers and messages, read passively."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pika
import pytest
from conftest import require_server, run_once

import skiesish
from skiesish import checks

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture
def broker() -> Iterator[Any]:
    """A channel on the local RabbitMQ (with publisher confirms), closed afterwards; skips when it is down."""
    require_server("RabbitMQ", "127.0.0.1", 5672)
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.confirm_delivery()  # a publish returns once the queue holds the message
    yield channel
    connection.close()


@pytest.fixture
def queue(broker: Any) -> Iterator[str]:
    """A queue no other test uses, deleted afterwards."""
    name = f"skiesish.test.{uuid.uuid4().int % 10**6}"  # digits: a random-looking name would be left out
    broker.queue_declare(queue=name)
    yield name
    broker.queue_delete(queue=name)


@pytest.fixture
def consumers(broker: Any) -> Iterator[Callable[[str, int], None]]:
    """``consumers(queue, count)`` adds that many consumers to ``queue``, on a connection of their own."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=1)

    def add(queue: str, count: int) -> None:
        for _ in range(count):
            channel.basic_consume(queue=queue, on_message_callback=lambda *args: None)

    yield add
    connection.close()


def publish(channel: Any, queue: str, count: int) -> None:
    """Publish ``count`` messages to ``queue`` through the default exchange, each confirmed."""
    for number in range(count):
        channel.basic_publish(exchange="", routing_key=queue, body=f"message {number}".encode())


@pytest.mark.services
def test_a_queue_with_a_consumer_passes_and_is_counted(queue, consumers):
    """A queue with one consumer passes the default min_consumers=1; the output gives both counts."""
    consumers(queue, 1)
    result = run_once(checks.amqp(AMQP_URL, queue=queue))
    assert (result.passed, result.name) == (True, f"amqp:127.0.0.1:5672/%2F/{queue}"), result.output
    assert result.output.startswith("1 consumer, 0 messages, connected in ")


@pytest.mark.services
def test_a_queue_without_consumers_fails_by_default(queue):
    """No consumer, and min_consumers=1 by default: the check fails, giving the counts."""
    result = run_once(checks.amqp(AMQP_URL, queue=queue))
    assert not result.passed
    assert f"the queue '{queue}' has 0 consumers, 0 messages; at least 1 consumer required" in result.output


@pytest.mark.services
def test_fewer_consumers_than_required_fail(queue, consumers):
    """Two consumers where three are required fail; two required pass."""
    consumers(queue, 2)
    assert not run_once(checks.amqp(AMQP_URL, queue=queue, min_consumers=3)).passed
    assert run_once(checks.amqp(AMQP_URL, queue=queue, min_consumers=2)).passed


@pytest.mark.services
def test_more_messages_than_allowed_fail(broker, queue):
    """Three waiting messages fail max_messages=2 and pass max_messages=3."""
    publish(broker, queue, 3)
    too_many = run_once(checks.amqp(AMQP_URL, queue=queue, min_consumers=0, max_messages=2))
    assert not too_many.passed
    assert "has 0 consumers, 3 messages; at most 2 messages allowed" in too_many.output
    assert run_once(checks.amqp(AMQP_URL, queue=queue, min_consumers=0, max_messages=3)).passed


@pytest.mark.services
def test_a_missing_queue_fails_and_is_not_created(broker):
    """A queue that does not exist fails the check, and the passive declare does not create it."""
    name = f"skiesish.missing.{uuid.uuid4().int % 10**6}"
    result = run_once(checks.amqp(AMQP_URL, queue=name, min_consumers=0))
    assert not result.passed
    assert f"the queue '{name}' does not exist" in result.output
    assert not run_once(checks.amqp(AMQP_URL, queue=name, min_consumers=0)).passed


@pytest.mark.services
def test_without_queue_the_check_only_connects():
    """Without queue=, amqp() keeps its name and output: it opens and closes a connection."""
    require_server("RabbitMQ", "127.0.0.1", 5672)
    result = run_once(checks.amqp(AMQP_URL))
    assert (result.passed, result.name) == (True, "amqp:127.0.0.1:5672/%2F")
    assert result.output.startswith("connected in ")


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"queue": ""}, r"amqp\(\): queue must be a queue name of 1 to 255 bytes, got ''"),
        ({"queue": "q" * 256}, r"amqp\(\): queue must be a queue name of 1 to 255 bytes"),
        ({"queue": 7}, r"amqp\(\): queue must be a queue name"),
        ({"queue": "q", "min_consumers": -1}, r"amqp\(\): min_consumers must be an int >= 0, got -1"),
        ({"queue": "q", "min_consumers": True}, r"amqp\(\): min_consumers must be an int >= 0, got True"),
        ({"queue": "q", "max_messages": 1.5}, r"amqp\(\): max_messages must be an int >= 0 or None, got 1.5"),
        ({"min_consumers": 2}, r"amqp\(\): min_consumers= and max_messages= need queue="),
        ({"max_messages": 10}, r"amqp\(\): min_consumers= and max_messages= need queue="),
    ],
)
def test_bad_queue_arguments_fail_at_build_time(arguments, match):
    """Bad queue arguments raise ConfigurationError naming amqp() and the argument."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        checks.amqp(AMQP_URL, **arguments)


def test_the_queue_name_is_quoted_in_the_default_name():
    """A queue name with a slash or a space stays one path segment of the default name."""
    assert checks.amqp("amqp://mq:5672/%2F", queue="a/b c").name == "amqp:mq:5672/%2F/a%2Fb%20c"


def test_a_queue_name_that_looks_like_a_secret_is_left_out_of_the_name():
    """A random-looking queue name (a token, perhaps) is left out of the default name, path and all."""
    assert checks.amqp("amqp://mq:5672/%2F", queue="aGVsbG8gd29ybGQgc2VjcmV0IHRva2Vu").name == "amqp:mq:5672"
