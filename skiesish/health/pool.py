"""A bounded pool of daemon threads for running checks.

The standard library's ``ThreadPoolExecutor`` joins its threads when the
interpreter exits, so one hung check would keep a CLI probe or a stopping
server alive forever. These workers are daemon threads: a check that never
returns costs one thread, never the process's exit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["DaemonPool"]


class DaemonPool:
    """Run callables on at most ``max_workers`` daemon threads, started on demand.

    Args:
        max_workers: the most threads ever running at once.
        name: a prefix for the threads' names (seen in thread dumps).
    """

    def __init__(self, max_workers: int, name: str = "skiesish-check") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.max_workers = max_workers
        self._name = name
        self._tasks: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, function: Callable[[], Any]) -> Future[Any]:
        """Run ``function()`` on a worker; its result or exception lands in the returned future."""
        future: Future[Any] = Future()
        with self._lock:
            self._tasks.put((future, function))
            if self._idle:
                self._idle -= 1  # that worker will take this task
            elif self._threads < self.max_workers:
                self._threads += 1
                threading.Thread(target=self._work, name=f"{self._name}-{self._threads}", daemon=True).start()
        return future

    @property
    def thread_count(self) -> int:
        """How many worker threads exist now."""
        return self._threads

    def _work(self) -> None:
        while True:
            future, function = self._tasks.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = function()
                except BaseException as error:  # noqa: BLE001 - delivered to whoever waits on the future
                    future.set_exception(error)
                else:
                    future.set_result(result)
            with self._lock:
                self._idle += 1
