"""Noticing when the overall health changes: one log line per change, never one per probe."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..scrubbing import scrub
from .report import PASS, Report

__all__ = ["StatusWatch"]

logger = logging.getLogger("skiesish")


class StatusWatch:
    """Log, and report to ``on_change``, each change of a report's overall status.

    Statuses are kept per label: ``""`` for all of an engine's checks, or a
    name for a selection of them (``"ready"``), so that each probe's changes
    are told apart. Going down is a warning naming the failing checks and
    their outputs; coming back is an info line.

    Args:
        on_change: called with the new report after each change; if it
            raises, the error is logged and the evaluation goes on.
    """

    def __init__(self, on_change: Callable[[Report], Any] | None = None) -> None:
        self.on_change = on_change
        self._statuses: dict[str, str] = {}
        self._lock = threading.Lock()

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
            # Outputs can quote connection strings: the log gets them scrubbed, like any answer.
            reasons = "; ".join(f"{result.name}: {scrub(result.output)}" for result in report.failures)
            logger.warning(
                "%s is now %s (was %s): %s",
                subject,
                report.status,
                previous or "not yet known",
                reasons or "no results yet",
            )
        if self.on_change is not None:
            try:
                self.on_change(report)
            except Exception:
                logger.exception("the on_change callback failed")
