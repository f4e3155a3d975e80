"""A bounded pool of daemon threads for running checks, which gives its threads back.

The standard library's ``ThreadPoolExecutor`` joins its threads when the
interpreter exits, so one hung check would keep a CLI probe or a stopping
server alive forever. These workers are daemon threads: a check that never
returns costs one thread, never the process's exit. A worker left idle for
:data:`IDLE_SECONDS` ends, and :meth:`DaemonPool.shutdown` ends every idle
worker at once and each busy one as soon as its task is done, so closed
engines and contexts leave no threads behind.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..log import logger

__all__ = ["IDLE_SECONDS", "DaemonPool"]

#: Seconds an idle worker waits for a task before it ends (above the default TTLs, so that a
#: steadily probed engine keeps its workers).
IDLE_SECONDS = 60.0

#: A function and where its outcome goes (``None``: nowhere); ``None``: end the worker that takes it.
_Task = tuple[Future[Any] | None, Callable[[], Any]] | None


class DaemonPool:
    """Run callables on at most ``max_workers`` daemon threads, started on demand.

    Every item put on the queue is matched by one worker set aside for it:
    an idle one (``_idle`` goes down) or a new one. A worker therefore only
    ends on its own when an idle, unclaimed place exists, and never strands
    a task.

    Args:
        max_workers: the most threads ever running at once.
        name: a prefix for the threads' names (seen in thread dumps).
        idle_seconds: how long an idle worker waits for a task before ending.
    """

    def __init__(
        self, max_workers: int, name: str = "skiesish-check", idle_seconds: float = IDLE_SECONDS
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.max_workers = max_workers
        self._name = name
        self._idle_seconds = idle_seconds
        self._tasks: queue.SimpleQueue[_Task] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._is_shut_down = False
        self._started = 0

    def submit(self, function: Callable[[], Any]) -> Future[Any]:
        """Run ``function()`` on a worker; its result or exception lands in the returned future.

        After :meth:`shutdown` this still works (a late request of a stopping
        server gets its answer); the worker it takes ends when the task is done.
        """
        future: Future[Any] = Future()
        self._put((future, function))
        return future

    def start(self, function: Callable[[], Any]) -> None:
        """Run ``function()`` on a worker, for its effects: what it returns or raises is dropped.

        Cheaper than :meth:`submit` for a function that hands its outcome
        over itself: the worker, once done, has no future to settle before it
        waits again, which is time the GIL is not free for whoever was woken.
        """
        self._put((None, function))

    def _put(self, task: _Task) -> None:
        with self._lock:
            self._tasks.put(task)
            if self._idle:
                self._idle -= 1  # that worker will take this task
            elif self._threads < self.max_workers:
                self._threads += 1
                self._started += 1
                name = f"{self._name}-{self._started}"
                threading.Thread(target=self._work, name=name, daemon=True).start()

    def shutdown(self) -> None:
        """End every idle worker now, and each busy one when its task is done."""
        with self._lock:
            self._is_shut_down = True
            while self._idle:
                self._idle -= 1
                self._tasks.put(None)

    @property
    def thread_count(self) -> int:
        """How many worker threads exist now."""
        return self._threads

    def _work(self) -> None:
        while True:
            try:
                task = self._tasks.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._idle:  # an unclaimed place: this worker may go
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue  # every waiting worker is claimed: a task is on its way
            if task is None:
                with self._lock:
                    self._threads -= 1
                return
            future, function = task
            if future is None:
                try:
                    function()
                except BaseException:  # noqa: BLE001 - logged: start() has nobody to hand it to
                    logger.exception("a task on a worker thread of %s failed", self._name)
            elif future.set_running_or_notify_cancel():
                try:
                    result = function()
                except BaseException as error:  # noqa: BLE001 - delivered to whoever waits on the future
                    future.set_exception(error)
                else:
                    future.set_result(result)
            del task, future, function  # hold nothing of a finished task while idle
            with self._lock:
                if self._is_shut_down:
                    self._threads -= 1
                    return
                self._idle += 1
