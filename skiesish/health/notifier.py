"""Telling listeners what the engine saw, on a thread of their own, in order, never blocking a probe.

A probe that notices something (a check's run finished, the overall status
changed) only puts it on a queue; one daemon thread per :class:`Notifier`
hands each item to the listeners in order. A slow listener delays only the
listeners after it; one that raises is logged and the next item is still
delivered; more than :data:`MAX_PENDING` items waiting are dropped (logged
once per backlog), so that a stuck listener costs bounded memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..log import logger

__all__ = ["MAX_PENDING", "Notifier"]

#: Items waiting for slow listeners beyond this many are dropped (and that is logged).
MAX_PENDING = 1000


class Notifier:
    """Deliver items to listeners on a daemon thread, started on the first item.

    Args:
        name: the thread's name and what the log calls it.
        listeners: callables each item is given to, in order.
        failed: what the log says when a listener raises (its traceback follows).
    """

    def __init__(
        self,
        name: str,
        listeners: Sequence[Callable[[Any], Any]] = (),
        failed: str = "a health listener failed",
    ) -> None:
        self.name = name
        self.failed = failed
        self._listeners: tuple[Callable[[Any], Any], ...] = tuple(listeners)
        self._lock = threading.Lock()
        self._delivered = threading.Condition(self._lock)
        self._items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending = 0
        self._is_behind_logged = False
        self._thread: threading.Thread | None = None
        self._is_closed = False

    @property
    def has_listeners(self) -> bool:
        """Whether anyone listens (a probe skips making items nobody gets)."""
        return bool(self._listeners)

    def add(self, listener: Callable[[Any], Any]) -> None:
        """Give later items to ``listener`` too."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def remove(self, listener: Callable[[Any], Any]) -> None:
        """Stop giving items to ``listener`` (equal ones are all removed)."""
        with self._lock:
            self._listeners = tuple(known for known in self._listeners if known != listener)

    def tell(self, item: Any) -> None:
        """Queue ``item`` for the listeners; never blocks (a backlog past the limit drops it)."""
        with self._lock:
            if self._is_closed or not self._listeners:
                return
            if self._pending >= MAX_PENDING:
                if not self._is_behind_logged:
                    self._is_behind_logged = True
                    logger.warning(
                        "the %s listeners are %d items behind; newer items are dropped",
                        self.name,
                        self._pending,
                    )
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._deliver, name=self.name, daemon=True)
                self._thread.start()
            self._pending += 1
            self._items.put(item)

    def wait_delivered(self, timeout: float | None = None) -> bool:
        """Wait until every item told so far has been delivered; ``False`` on timeout."""
        with self._delivered:
            return self._delivered.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        """Stop the thread once the items already told are delivered."""
        with self._lock:
            self._is_closed = True
            if self._thread is not None:
                self._items.put(_STOP)

    def _deliver(self) -> None:
        while (item := self._items.get()) is not _STOP:
            for listener in self._listeners:
                try:
                    listener(item)
                except BaseException:  # noqa: BLE001 - logged; a listener must never stop the next one
                    logger.exception(self.failed)
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._is_behind_logged = False
                self._delivered.notify_all()


_STOP = object()
