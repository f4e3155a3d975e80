"""What an evaluation found: one result per check and the overall status."""

from __future__ import annotations

import dataclasses
import datetime

__all__ = ["CheckResult", "Report"]


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one run of one check.

    Attributes:
        name: the check's name.
        passed: whether it passed.
        output: why it failed (or what it said), ``""`` if nothing.
        response_time: seconds the check took.
        timestamp: when the run finished (UTC).
    """

    name: str
    passed: bool
    output: str
    response_time: float
    timestamp: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Report:
    """Every check's result; the whole passes when every check passed."""

    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        """Whether every check passed (no checks at all is a pass)."""
        return all(result.passed for result in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The results that failed."""
        return tuple(result for result in self.results if not result.passed)
