"""The Celery integration without a broker: arguments, names, the in-memory transport, the worker step."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time

import pytest
from celery import Celery
from kombu.asynchronous.timer import Timer

from skiesish.exceptions import ConfigurationError, HealthError, MissingExtraError
from skiesish.integrations import celery as celery_health
from skiesish.integrations.celery import worker as worker_module


def make_app(broker: str = "memory://") -> Celery:
    """A Celery application on ``broker`` that is nobody's current app."""
    return Celery("tests", broker=broker, set_as_current=False)


def test_the_integrations_names():
    """skiesish.integrations.celery exports these names, each documented."""
    assert sorted(celery_health.__all__) == ["DEFAULT_INTERVAL", "check", "install_worker_health"]
    assert celery_health.check.__doc__
    assert celery_health.install_worker_health.__doc__


# -- check() ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broker", "name"),
    [
        ("amqp://monitor:s3cret@mq.internal:5673/shop", "celery:mq.internal:5673/shop"),
        ("amqp://guest:guest@127.0.0.1:5672//", "celery:127.0.0.1:5672/%2F"),
        ("redis://:s3cret@cache:6379/3", "celery:cache:6379/3"),
        (None, "celery:localhost:5672/%2F"),
    ],
)
def test_the_default_name_says_where_without_credentials(broker, name):
    """The name is the broker's host, port and virtual host (or Redis database), never its password."""
    assert celery_health.check(make_app(broker)).name == name


def test_no_worker_fails_the_ping_within_ping_timeout():
    """With nobody consuming, the check fails once ping_timeout has passed, saying so."""
    check = celery_health.check(make_app(), timeout=0.4, ping_timeout=0.1)
    started = time.monotonic()
    with pytest.raises(HealthError, match=r"^no worker answered a ping within 0.1 s$"):
        check.func()
    assert time.monotonic() - started <= 0.4 + 0.5


def test_queues_on_a_broker_without_consumer_counts_ask_the_workers():
    """Off AMQP, queues are checked by asking the workers; with none, the check fails in time."""
    check = celery_health.check(make_app(), queues=["celery"], timeout=0.4)
    with pytest.raises(HealthError, match=r"^no worker answered within 0.2 s$"):
        check.func()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"queues": "celery"}, "queues must be a list of queue names, got str 'celery'"),
        ({"queues": ["celery", ""]}, "queues must be a list of queue names"),
        ({"queues": [1]}, "queues must be a list of queue names"),
        ({"timeout": 0}, r"celery.check\(\): timeout must be a number of seconds"),
        ({"timeout": 2, "ping_timeout": 2}, "ping_timeout must be less than timeout"),
        ({"ping_timeout": -1}, "ping_timeout must be a number of seconds"),
        ({"colour": "red"}, "unknown argument"),
    ],
)
def test_bad_arguments_fail_when_the_check_is_made(arguments, message):
    """Each wrong argument is a ConfigurationError at build time, naming it."""
    with pytest.raises(ConfigurationError, match=message):
        celery_health.check(make_app(), **arguments)


def test_something_else_than_an_app_is_refused():
    """A broker URL where the app goes is refused, saying what arrived."""
    with pytest.raises(ConfigurationError, match="app must be a Celery application, got str"):
        celery_health.check("amqp://127.0.0.1//")


def test_a_missing_extra_names_what_to_install(monkeypatch):
    """Without Celery installed, importing the integration says which extra to install."""
    for module in [name for name in sys.modules if name.startswith("skiesish.integrations.celery")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "celery", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'skiesish\[celery\]'"):
        importlib.import_module("skiesish.integrations.celery")


# -- install_worker_health() -------------------------------------------------------------


def test_installing_adds_one_consumer_step(tmp_path):
    """The worker's consumer blueprint gets the step; installing twice on one app is refused."""
    app = make_app()
    celery_health.install_worker_health(app, tmp_path / "alive")
    (step,) = app.steps["consumer"]
    assert step.name == "skiesish.integrations.celery.worker.WorkerHealth"
    assert step.requires == ("celery.worker.consumer.tasks:Tasks",)
    with pytest.raises(ConfigurationError, match="has it already"):
        celery_health.install_worker_health(app, tmp_path / "alive")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"interval": 0}, r"interval must be a number of seconds greater than 0"),
        ({"interval": "2"}, r"interval must be a number of seconds"),
        ({"ready_path": "ALIVE"}, "heartbeat_path and ready_path must be two files"),
        ({"heartbeat_path": ""}, "Heartbeat.path. expects a non-empty file path"),
    ],
)
def test_bad_worker_health_arguments_are_refused(tmp_path, arguments, message):
    """A wrong interval, one file for both, or an empty path fails at once."""
    given = {"heartbeat_path": str(tmp_path / "alive"), **arguments}
    if given.get("ready_path") == "ALIVE":
        given["ready_path"] = given["heartbeat_path"]
    with pytest.raises(ConfigurationError, match=message):
        celery_health.install_worker_health(make_app(), **given)


def test_install_refuses_something_else_than_an_app(tmp_path):
    """install_worker_health(None, ...) says an app was expected."""
    with pytest.raises(ConfigurationError, match="app must be a Celery application, got NoneType"):
        celery_health.install_worker_health(None, tmp_path / "alive")


# -- the step's behaviour, on a stand-in consumer ---------------------------------------------


class StandInConsumer:
    """What the step uses of Celery's consumer: a timer and call_soon, run by hand here."""

    def __init__(self) -> None:
        self.timer = Timer()
        self.soon: list = []

    def call_soon(self, callback) -> None:
        self.soon.append(callback)

    def turn(self) -> None:
        """One turn of the loop: run what was queued."""
        queued, self.soon = self.soon, []
        for callback in queued:
            callback()


@pytest.fixture
def health(tmp_path):
    """The worker health of a liveness and a readiness file, and a stand-in consumer; stopped afterwards."""
    state = worker_module._WorkerHealth(
        worker_module.Heartbeat(tmp_path / "alive"), worker_module.Heartbeat(tmp_path / "ready"), 0.2
    )
    consumer = StandInConsumer()
    yield state, consumer
    state.stop(consumer)
    consumer.timer.stop()


def test_beats_happen_in_the_loop_not_in_the_timer(health):
    """Starting queues one beat for the loop; the files appear only once the loop turns."""
    state, consumer = health
    state.start(consumer)
    assert (state.alive.age(), state.ready.age()) == (None, None)
    state.queue_beat(consumer)  # a timer tick while a beat still waits: not queued twice
    assert len(consumer.soon) == 1
    consumer.turn()
    assert state.alive.is_fresh(1)
    assert state.ready.is_fresh(1)


def test_shutting_down_removes_readiness_and_no_later_beat_brings_it_back(health):
    """worker_shutting_down removes the ready file; beats go on for liveness only."""
    state, consumer = health
    state.start(consumer)
    consumer.turn()
    state.on_shutting_down(sig="SIGTERM", how="Warm", exitcode=0)
    assert state.ready.age() is None
    state.queue_beat(consumer)
    consumer.turn()
    assert state.ready.age() is None
    assert state.alive.is_fresh(1)


def test_a_stopped_consumer_is_not_ready_and_beats_no_more(health):
    """stop() (a lost broker, a shutdown) removes the ready file, and a beat queued before does nothing."""
    state, consumer = health
    state.start(consumer)
    consumer.turn()
    state.queue_beat(consumer)
    state.stop(consumer)
    os.unlink(state.alive.path)
    consumer.turn()
    assert (state.alive.age(), state.ready.age()) == (None, None)


def test_worker_init_removes_the_files_of_an_earlier_run(health):
    """Files left by an earlier run vouch for nothing: a new worker removes them before it starts."""
    state, _ = health
    state.alive.beat()
    state.ready.beat()
    state.on_worker_init()
    assert (state.alive.age(), state.ready.age()) == (None, None)


def test_a_beat_that_cannot_write_is_logged_once_and_raises_nothing(tmp_path, caplog):
    """A file in a missing folder: one error logged, the loop undisturbed, one line once it recovers."""
    folder = tmp_path / "later"
    state = worker_module._WorkerHealth(worker_module.Heartbeat(folder / "alive"), None, 0.2)
    consumer = StandInConsumer()
    state.start(consumer)
    try:
        with caplog.at_level(logging.WARNING, logger="skiesish.integrations.celery"):
            for _ in range(3):
                state.queue_beat(consumer)
                consumer.turn()
            folder.mkdir()
            state.queue_beat(consumer)
            consumer.turn()
    finally:
        state.stop(consumer)
        consumer.timer.stop()
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("skiesish worker health: cannot write a heartbeat file: [Errno 2]")
    assert messages[1] == "skiesish worker health: heartbeat files are written again"
    assert state.alive.is_fresh(1)
