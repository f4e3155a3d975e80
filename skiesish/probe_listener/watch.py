"""Whether the application's own workers still make progress: the heartbeat behind an isolated probe.

A probe answered on its own socket and threads stays fast when the
application is saturated, but it would also stay green when the
application's workers are wedged. A :class:`WorkerWatch` closes that gap:
it looks at the workers' progress and fails when none was made for
``stall_after`` seconds while no worker was free to take new work. A busy
pool that still finishes requests passes; an idle pool passes.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..durations import seconds
from ..log import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..health import CheckResult

__all__ = ["DEFAULT_STALL_AFTER", "MAX_STALL_AFTER", "WATCH_NAME", "ThreadPoolWatch", "WorkerWatch"]

#: Seconds without progress, while no worker is free, before liveness fails. Above most requests'
#: duration and below Kubernetes' usual restart budget (three failed probes ten seconds apart).
DEFAULT_STALL_AFTER = 30.0
#: The longest ``stall_after``: an hour is beyond any request worth waiting for.
MAX_STALL_AFTER = 3_600.0
#: The name of the heartbeat in per-check outputs.
WATCH_NAME = "worker_pool"


def stall_seconds(value: Any, key: str = "stall_after") -> float:
    """``value`` as a ``stall_after`` in seconds: more than 0, at most :data:`MAX_STALL_AFTER`."""
    result = seconds(key, value, maximum=MAX_STALL_AFTER)
    assert result is not None  # None is allowed only with allow_none
    return result


class WorkerWatch:
    """The heartbeat of a server's workers, reported as the ``worker_pool`` check.

    Subclasses say how their server's workers are doing in :meth:`state`;
    :meth:`result` turns that into a check result and never raises.

    Args:
        stall_after: seconds without progress, while no worker is free, before the check fails.
    """

    name = WATCH_NAME

    def __init__(self, stall_after: float = DEFAULT_STALL_AFTER) -> None:
        self.stall_after = stall_seconds(stall_after)
        self._was_passing: bool | None = None

    def state(self) -> tuple[bool, str]:
        """Whether the workers make progress, and a sentence saying how they are."""
        raise NotImplementedError

    def result(self) -> CheckResult:
        """The ``worker_pool`` check's result, worked out now (reading a few counters)."""
        from ..health import CheckResult
        from ..health.outcome import finished_output

        started = time.perf_counter()
        try:
            passed, output = self.state()
        except Exception:  # noqa: BLE001 - a watch that cannot tell must not say "alive"
            logger.exception("the %s heartbeat could not be read", self.name)
            passed, output = False, "the heartbeat could not be read"
        output = finished_output(output)  # a subclass's sentence is scrubbed and bounded like a check's
        if passed is not self._was_passing:
            self._was_passing = passed
            # "pass (...)", not "pass: ...": the scrubber reads "pass: <word>" as a password
            if passed:
                logger.info("%s is now pass (%s)", self.name, output)
            else:
                logger.warning("%s is now fail (%s)", self.name, output)
        now = datetime.datetime.now(datetime.timezone.utc)
        return CheckResult(self.name, passed, output, time.perf_counter() - started, now)

    def close(self) -> None:
        """Stop whatever the watch runs in the background (nothing, unless a subclass says so)."""


class ThreadPoolWatch(WorkerWatch):
    """Progress of a pool of worker threads: requests started and finished, and what waits.

    Count requests with :meth:`wsgi` (any threaded WSGI server) or let
    :meth:`for_waitress` watch waitress's own task queue. The pool is
    *stalled* when no request has started or finished for ``stall_after``
    seconds while every worker is busy or work waits in the queue.

    Args:
        capacity: the number of workers, or a function returning it now.
        stall_after: seconds without progress, while no worker is free, before the check fails.
        waiting: a function returning how much work waits for a worker (none known by default).

    Example:
        >>> watch = skiesish.ThreadPoolWatch(capacity=8)
        >>> application = watch.wsgi(application)  # then serve it on an 8-thread server
    """

    def __init__(
        self,
        capacity: int | Callable[[], int],
        stall_after: float = DEFAULT_STALL_AFTER,
        waiting: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(stall_after)
        if isinstance(capacity, bool) or not (callable(capacity) or isinstance(capacity, int)):
            raise TypeError(f"capacity must be a number of workers or a function, got {capacity!r}")
        if isinstance(capacity, int) and capacity < 1:
            raise ValueError(f"capacity must be at least 1 worker, got {capacity}")
        self._capacity = capacity
        self._waiting = waiting
        self._lock = threading.Lock()
        self._busy = 0
        self._finished = 0
        self._last_progress = time.monotonic()

    @classmethod
    def for_waitress(cls, server: Any, stall_after: float = DEFAULT_STALL_AFTER) -> ThreadPoolWatch:
        """Watch a waitress server (from ``waitress.create_server``) through its task dispatcher.

        Every task waitress hands to a worker thread is counted when it
        starts and when it ends; ``waiting`` is waitress's own queue.
        """
        dispatcher = server.task_dispatcher
        watch = cls(
            capacity=lambda: len(dispatcher.threads) - dispatcher.stop_count,
            stall_after=stall_after,
            waiting=lambda: len(dispatcher.queue),
        )
        add_task = dispatcher.add_task

        def add_counted_task(task: Any) -> None:
            add_task(_CountedTask(task, watch))

        dispatcher.add_task = add_counted_task
        return watch

    def started(self) -> None:
        """A worker took a request."""
        with self._lock:
            self._busy += 1
            self._last_progress = time.monotonic()

    def finished(self) -> None:
        """A worker is done with a request (answered, failed or abandoned)."""
        with self._lock:
            self._busy -= 1
            self._finished += 1
            self._last_progress = time.monotonic()

    def wsgi(self, application: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """``application``, counting each request from its call until the server closes its body."""

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            self.started()
            try:
                body = application(environ, start_response)
            except BaseException:
                self.finished()
                raise
            return _CountedBody(body, self)

        return counted

    def state(self) -> tuple[bool, str]:
        with self._lock:
            busy, finished, last_progress = self._busy, self._finished, self._last_progress
        capacity = self._capacity() if callable(self._capacity) else self._capacity
        waiting = self._waiting() if self._waiting is not None else 0
        quiet_for = time.monotonic() - last_progress
        summary = (
            f"{busy} of {capacity} workers busy, {waiting} waiting, {finished} finished, "
            f"last start or finish {quiet_for:.1f} s ago"
        )
        if (busy >= capacity or waiting > 0) and quiet_for > self.stall_after:
            return (
                False,
                f"stalled: no worker started or finished a request for {quiet_for:.1f} s ({summary})",
            )
        return True, summary


class _CountedTask:
    """A waitress task that tells its watch when a worker starts and ends it."""

    def __init__(self, task: Any, watch: ThreadPoolWatch) -> None:
        self._task = task
        self._watch = watch

    def service(self) -> None:
        self._watch.started()
        try:
            self._task.service()
        finally:
            self._watch.finished()

    def __getattr__(self, name: str) -> Any:  # cancel(), defer() and whatever else waitress asks
        return getattr(self._task, name)

    def __repr__(self) -> str:
        return repr(self._task)


class _CountedBody:
    """A WSGI body that ends its request's count when the server closes it."""

    def __init__(self, body: Iterable[bytes], watch: ThreadPoolWatch) -> None:
        self._body = body
        self._watch: ThreadPoolWatch | None = watch

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        watch, self._watch = self._watch, None
        if watch is None:
            return  # closed before: the server may close a body more than once
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            watch.finished()
