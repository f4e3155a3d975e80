"""Noticing when the overall health changes: one log line per change, never one per probe.

Listeners (``on_change``) are told on a thread of their own, in order: a
slow or failing listener never delays or fails the probe that saw the change.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from ..log import logger
from .report import PASS, Report

__all__ = ["MAX_PENDING_CHANGES", "StatusWatch"]

#: Changes waiting for a slow listener beyond this many are dropped (and that is logged).
MAX_PENDING_CHANGES = 100


class StatusWatch:
    """Log, and report to ``on_change``, each change of a report's overall status.

    Statuses are kept per label: ``""`` for all of an engine's checks, or a
    name for a selection of them (``"ready"``), so that each probe's changes
    are told apart. Going down is a warning naming the failing checks and
    their outputs; coming back is an info line. Both go through the
    ``skiesish`` logger, which scrubs them.

    Args:
        on_change: called with the new report after each change, on the
            watch's own thread (started on the first change); whatever it
            raises is logged and the next change is still delivered.
    """

    def __init__(self, on_change: Callable[[Report], Any] | None = None) -> None:
        self.on_change = on_change
        self._statuses: dict[str, str] = {}
        self._lock = threading.Lock()
        self._delivered = threading.Condition(self._lock)
        self._changes: queue.SimpleQueue[Report | None] = queue.SimpleQueue()
        self._pending = 0
        self._notifier: threading.Thread | None = None
        self._is_closed = False

    def note(self, report: Report, label: str = "") -> None:
        """Take ``report`` as the latest for ``label``; log and call back if its status changed."""
        if self._statuses.get(label) == report.status:  # the common case, without taking the lock
            return
        with self._lock:
            previous = self._statuses.get(label)
            self._statuses[label] = report.status
        if previous == report.status:
            return
        subject = f"{label} health" if label else "health"
        if report.status == PASS:
            logger.info("%s is now %s (was %s)", subject, report.status, previous or "not yet known")
        else:
            reasons = "; ".join(f"{result.name}: {result.output}" for result in report.failures)
            logger.warning(
                "%s is now %s (was %s): %s",
                subject,
                report.status,
                previous or "not yet known",
                reasons or "no results yet",
            )
        if self.on_change is not None:
            self._tell(report)

    def close(self) -> None:
        """Stop the listeners' thread once the changes already noted are delivered."""
        with self._lock:
            self._is_closed = True
            if self._notifier is not None:
                self._changes.put(None)

    def wait_delivered(self, timeout: float | None = None) -> bool:
        """Wait until every change noted so far has been given to ``on_change``; ``False`` on timeout."""
        with self._delivered:
            return self._delivered.wait_for(lambda: self._pending == 0, timeout)

    def _tell(self, report: Report) -> None:
        with self._lock:
            if self._is_closed:
                return
            if self._pending >= MAX_PENDING_CHANGES:
                logger.warning(
                    "the on_change listener is %d changes behind; the change to %s is not delivered",
                    self._pending,
                    report.status,
                )
                return
            if self._notifier is None:
                self._notifier = threading.Thread(target=self._notify, name="skiesish-on-change", daemon=True)
                self._notifier.start()
            self._pending += 1
            self._changes.put(report)

    def _notify(self) -> None:
        assert self.on_change is not None
        while (report := self._changes.get()) is not None:
            try:
                self.on_change(report)
            except BaseException:  # noqa: BLE001 - logged; a listener must never stop the next one
                logger.exception("the on_change callback failed")
            with self._lock:
                self._pending -= 1
                self._delivered.notify_all()
