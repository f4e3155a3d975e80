"""Noticing when the overall health changes: one log line per change, never one per probe.

Listeners (``on_change``, and any added with :meth:`StatusWatch.add_listener`)
are told on a thread of their own, in order (:mod:`skiesish.health.notifier`):
a slow or failing listener never delays or fails the probe that saw the change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..log import logger
from .notifier import Notifier
from .report import PASS, Report

__all__ = ["StatusWatch"]


class StatusWatch:
    """Log, and report to the listeners, each change of a report's overall status.

    Statuses are kept per label: ``""`` for all of an engine's checks, or a
    name for a selection of them (``"ready"``), so that each probe's changes
    are told apart. Going down is a warning naming the failing checks and
    their outputs; coming back is an info line. Both go through the
    ``skiesish`` logger, which scrubs them.

    Args:
        on_change: called with the new report after each change of any
            label, on the watch's own thread (started on the first change);
            whatever it raises is logged and the next change is still delivered.

    Listeners added with :meth:`add_listener` hear the changes of one label
    only, :attr:`listened_label`, so that a notice never mixes two
    selections' statuses: ``""`` (all checks) by default, ``"ready"`` for
    the probes, which never report on all checks at once.
    """

    def __init__(self, on_change: Callable[[Report], Any] | None = None) -> None:
        self.on_change = on_change
        #: The label whose changes the added listeners hear.
        self.listened_label = ""
        self._statuses: dict[str, str] = {}
        self._lock = threading.Lock()
        self._told: dict[Callable[[Report], Any], Callable[[tuple[str, Report]], Any]] = {}
        self._notifier = Notifier(
            "skiesish-on-change",
            [] if on_change is None else [lambda change: on_change(change[1])],
            "the on_change callback failed",
        )

    def add_listener(self, listener: Callable[[Report], Any]) -> None:
        """Tell ``listener`` too of each later change of :attr:`listened_label`'s status."""

        def told(change: tuple[str, Report]) -> None:
            label, report = change
            if label == self.listened_label:
                listener(report)

        self._told[listener] = told
        self._notifier.add(told)

    def remove_listener(self, listener: Callable[[Report], Any]) -> None:
        """Stop telling ``listener``."""
        told = self._told.pop(listener, None)
        if told is not None:
            self._notifier.remove(told)

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
        self._notifier.tell((label, report))

    def close(self) -> None:
        """Stop the listeners' thread once the changes already noted are delivered."""
        self._notifier.close()

    def wait_delivered(self, timeout: float | None = None) -> bool:
        """Wait until every change noted so far has been given to the listeners; ``False`` on timeout."""
        return self._notifier.wait_delivered(timeout)
