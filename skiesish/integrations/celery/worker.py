"""Liveness and readiness of a Celery worker, beaten from inside its consumer loop, as heartbeat files."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

from ...durations import MAX_INTERVAL, seconds
from ...exceptions import ConfigurationError
from ...extras import import_extra
from ...heartbeat import Heartbeat

__all__ = ["DEFAULT_INTERVAL", "install_worker_health"]

#: Seconds between two beats of a worker's heartbeat, unless told otherwise.
DEFAULT_INTERVAL = 2.0

_logger = logging.getLogger("skiesish.integrations.celery")


def install_worker_health(
    app: Any,
    heartbeat_path: str | os.PathLike[str],
    ready_path: str | os.PathLike[str] | None = None,
    interval: float = DEFAULT_INTERVAL,
) -> None:
    """Have ``app``'s workers beat a heartbeat file (and keep a ready file) from their consumer loop.

    Call it where the Celery application is made, before a worker starts
    (the web side imports the same module and is not affected). It adds a
    step to the worker's consumer, which:

    - beats ``heartbeat_path`` (a :class:`~skiesish.Heartbeat`) every
      ``interval`` seconds from the consumer's own event loop, the loop that
      receives tasks and control commands. A loop that is stuck (or a worker
      stopped, or reconnecting to a lost broker) stops beating; an idle one
      goes on. ``skiesish check --heartbeat PATH`` then answers liveness.
    - beats ``ready_path`` likewise while the worker consumes, and removes it
      as soon as the worker is told to shut down (``worker_shutting_down``,
      sent on the first SIGTERM or SIGINT) or loses its broker, so that
      readiness, ``skiesish check --heartbeat READY_PATH``, fails then.

    Both files are removed when the worker starts (``worker_init``), so a file
    left by an earlier run never vouches for this one. A beat that cannot
    write its file is logged as an error (once, until it works again) and
    never disturbs the worker.

    Args:
        app: the ``celery.Celery`` application.
        heartbeat_path: the liveness file, such as ``/tmp/celery-alive``.
        ready_path: the readiness file, such as ``/tmp/celery-ready`` (default: none).
        interval: seconds between beats; the probes' max age should be several times more.

    Raises:
        ConfigurationError: a path or the interval is wrong, or ``app`` already has it.

    Example:
        >>> app = Celery("shop", broker="amqp://guest:guest@rabbitmq:5672//")
        >>> install_worker_health(app, "/tmp/celery-alive", "/tmp/celery-ready", interval=2)
    """
    celery = import_extra("celery", "celery", "skiesish.integrations.celery")
    steps = getattr(app, "steps", None)
    if not isinstance(steps, dict):  # Celery's is a defaultdict(set) of each blueprint's extra steps
        raise ConfigurationError(
            f"install_worker_health(): app must be a Celery application, got {type(app).__name__}"
        )
    if any(getattr(step, "is_skiesish_worker_health", False) for step in steps["consumer"]):
        raise ConfigurationError("install_worker_health(): this Celery application has it already")
    every = seconds("install_worker_health(): interval", interval, maximum=MAX_INTERVAL)
    assert every is not None  # None is allowed only with allow_none
    ready = None if ready_path is None else Heartbeat(ready_path)
    health = _WorkerHealth(Heartbeat(heartbeat_path), ready, every)
    if health.ready is not None and os.path.abspath(health.ready.path) == os.path.abspath(health.alive.path):
        raise ConfigurationError("install_worker_health(): heartbeat_path and ready_path must be two files")
    steps["consumer"].add(_step_class(celery.bootsteps.StartStopStep, health))
    celery.signals.worker_init.connect(health.on_worker_init, weak=False)
    celery.signals.worker_shutting_down.connect(health.on_shutting_down, weak=False)


class _WorkerHealth:
    """The files of one worker, and whether its consumer runs.

    Beats happen on the consumer's loop; ``on_shutting_down`` runs in a
    signal handler on the same thread, between two of its Python steps.
    """

    def __init__(self, alive: Heartbeat, ready: Heartbeat | None, interval: float) -> None:
        self.alive = alive
        self.ready = ready
        self.interval = interval
        self.is_consuming = False
        self.is_shutting_down = False
        self.is_queued = False  # a beat waits in the loop: no need to queue another
        self.failure: str | None = None
        self.timer_entry: Any = None

    # -- worker signals ------------------------------------------------------

    def on_worker_init(self, **_: Any) -> None:
        self.is_shutting_down = False
        for heartbeat in (self.alive, self.ready):
            if heartbeat is not None:
                self.remove(heartbeat)

    def on_shutting_down(self, **_: Any) -> None:
        self.is_shutting_down = True
        if self.ready is not None:
            self.remove(self.ready)

    # -- the consumer step ---------------------------------------------------

    def start(self, consumer: Any) -> None:
        """The consumer is connected and about to enter its loop: beat from that loop from now on."""
        self.is_consuming = True
        self.is_queued = False
        self.queue_beat(consumer)
        self.timer_entry = consumer.timer.call_repeatedly(self.interval, self.queue_beat, (consumer,))

    def stop(self, consumer: Any) -> None:
        """The consumer stops (shutting down, or reconnecting to its broker): not ready, no more beats."""
        self.is_consuming = False
        if self.timer_entry is not None:
            entry, self.timer_entry = self.timer_entry, None
            consumer.timer.cancel(entry)
        if self.ready is not None:
            self.remove(self.ready)

    def queue_beat(self, consumer: Any) -> None:
        """Have the consumer's loop beat at its next turn.

        The timer runs in that loop when the worker has an event loop (the
        default on RabbitMQ and Redis); otherwise it is a thread of its own,
        and going through the loop's queue is what proves the loop turns.
        """
        if not self.is_queued and self.is_consuming:
            self.is_queued = True
            consumer.call_soon(self.beat)

    def beat(self) -> None:
        self.is_queued = False
        if not self.is_consuming:
            return
        try:
            self.alive.beat()
            if self.ready is not None and not self.is_shutting_down:
                self.ready.beat()
                self.unready_if_stopping()
        except OSError as error:
            self.report(f"cannot write a heartbeat file: {error}")
        else:
            self.report(None)

    def unready_if_stopping(self) -> None:
        """Remove the ready file again if the worker was told to stop during the beat that touched it.

        The signal handler may run between the beat's look at the flag and its touch, and its removal
        of the file would then be undone.
        """
        if self.is_shutting_down and self.ready is not None:
            self.remove(self.ready)

    # -- files and errors ----------------------------------------------------

    def remove(self, heartbeat: Heartbeat) -> None:
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(heartbeat.path)
        except OSError as error:
            self.report(f"cannot remove a heartbeat file: {error}")

    def report(self, failure: str | None) -> None:
        """Log a failure once, and its end."""
        if failure != self.failure:
            if failure is not None:
                _logger.error("skiesish worker health: %s", failure)
            elif self.failure is not None:
                _logger.warning("skiesish worker health: heartbeat files are written again")
        self.failure = failure


def _step_class(base: type, health: _WorkerHealth) -> type:
    """A consumer bootstep that starts and stops ``health`` with the consumer's connection."""

    def start(step: Any, consumer: Any) -> None:
        health.start(consumer)

    def stop(step: Any, consumer: Any) -> None:
        health.stop(consumer)

    return type(base)(  # the class of Celery's steps (StepType) names and registers the step
        "WorkerHealth",
        (base,),
        {
            "__module__": __name__,
            "__doc__": "skiesish: beat the worker's heartbeat files from the consumer's loop.",
            "label": "skiesish worker health",
            # After Tasks, so that it starts once the task consumer exists; the event loop starts last.
            "requires": ("celery.worker.consumer.tasks:Tasks",),
            "is_skiesish_worker_health": True,
            "start": start,
            "stop": stop,
            "shutdown": stop,
        },
    )
