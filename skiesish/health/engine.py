"""Running checks, with their parameters injected, into a report."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable

from ..di import DI
from .check import Check
from .outcome import interpret_exception, interpret_return
from .report import CheckResult, Report

__all__ = ["HealthEngine"]


class HealthEngine:
    """Runs a fixed set of checks through a DI container.

    The engine knows nothing of HTTP: handlers, the CLI and framework
    integrations all ask it for a :class:`Report`.

    Args:
        checks: the checks, with unique names.
        di: the container that injects the checks' parameters.
    """

    def __init__(self, checks: Iterable[Check], di: DI) -> None:
        self.checks = tuple(checks)
        self.di = di

    def evaluate(self) -> Report:
        """Run every check and report on all of them."""
        return Report(tuple(self.run(check) for check in self.checks))

    def run(self, check: Check) -> CheckResult:
        """Run one check; anything it raises becomes a failed result."""
        started = time.perf_counter()
        try:
            passed, output = interpret_return(self.di.call_function(check.func), check.falsy_fails)
        except Exception as error:  # noqa: BLE001 - a user's check may raise anything
            passed, output = interpret_exception(error)
        return CheckResult(
            name=check.name,
            passed=passed,
            output=output,
            response_time=time.perf_counter() - started,
            timestamp=datetime.datetime.now(datetime.timezone.utc),
        )
