"""One daemon thread that runs a callback when a deadline passes, unless cancelled first.

PostgreSQL's driver has no client-side read timeout: a query sent to a
server that stopped answering waits forever. The watchdog shuts the
connection's socket down at the deadline instead, which ends the wait with
an error. One thread serves every deadline, so a probe costs a heap push,
not a thread.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable

__all__ = ["Watchdog"]


class Watchdog:
    """Call ``callback()`` at ``deadline`` unless :meth:`cancel` came first."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], object]]] = []
        self._cancelled: set[int] = set()
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, seconds: float, callback: Callable[[], object]) -> int:
        """Run ``callback`` in ``seconds`` unless cancelled; return a ticket for :meth:`cancel`."""
        ticket = next(self._counter)
        deadline = time.monotonic() + seconds
        with self._condition:
            # The thread sleeps until the earliest deadline: only an earlier one needs to wake it,
            # which spares a thread switch on nearly every call (the timeouts are all alike).
            is_earliest = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, ticket, callback))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="skiesish-watchdog", daemon=True)
                self._thread.start()
            if is_earliest:
                self._condition.notify()
        return ticket

    def cancel(self, ticket: int) -> None:
        """Forget the callback of ``ticket`` (harmless if it already ran)."""
        with self._condition:
            self._cancelled.add(ticket)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._heap:
                    self._condition.wait()
                deadline, ticket, callback = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._condition.wait(delay)
                    continue
                heapq.heappop(self._heap)
                if ticket in self._cancelled:
                    self._cancelled.discard(ticket)
                    continue
            with contextlib.suppress(Exception):  # a failed interruption must not stop the watchdog
                callback()


#: The watchdog shared by every Database in the process.
WATCHDOG = Watchdog()
