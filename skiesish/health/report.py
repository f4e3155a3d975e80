"""What an evaluation found: one result per check and the overall status."""

from __future__ import annotations

import dataclasses
import datetime

__all__ = ["CheckResult", "CheckRun", "Report"]

PASS, WARN, FAIL, UNKNOWN = "pass", "warn", "fail", "unknown"


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one run of one check.

    Attributes:
        name: the check's name.
        passed: whether the check itself passed.
        status: ``"pass"``, ``"warn"`` (a non-critical check failed) or ``"fail"``.
        output: why it failed (or what it said); ``""`` if nothing.
        response_time: seconds the run took (for a timeout, the deadline).
        timestamp: when the run finished (UTC).
        cached: whether this result was reused rather than run for this request.
        critical: whether a failure fails the whole.
        status_since: when the check's status last changed (UTC).
        ttl: seconds this result is reused for (``None``: not reused).
        last_success: when the check last passed (UTC), if it ever did.
        status_changes: how often the check has flipped between pass and fail.
        raw_passed: whether the run itself passed, when that differs from
            ``passed`` (flap damping holds the reported status until
            ``failure_threshold`` or ``success_threshold`` runs in a row agree);
            ``None`` when the two agree.
        warned: whether a passing check is reported ``warn`` (it was slow, and
            its check asks for that with ``warn_when_slow``).
    """

    name: str
    passed: bool
    output: str
    response_time: float
    timestamp: datetime.datetime
    critical: bool = True
    cached: bool = False
    status_since: datetime.datetime | None = None
    ttl: float | None = None
    last_success: datetime.datetime | None = None
    status_changes: int = 0
    raw_passed: bool | None = None
    warned: bool = False

    @property
    def expires(self) -> datetime.datetime:
        """When this result stops being reused (its timestamp when it is not reused at all)."""
        return self.timestamp + datetime.timedelta(seconds=self.ttl or 0)

    @property
    def status(self) -> str:
        """``"pass"``, ``"warn"`` or ``"fail"``."""
        if self.passed:
            return WARN if self.warned else PASS
        return FAIL if self.critical else WARN


@dataclasses.dataclass(frozen=True)
class Report:
    """Every selected check's result and the overall status.

    The whole is ``"fail"`` when a critical check failed, ``"warn"`` when only
    non-critical ones did, ``"pass"`` otherwise, and ``"unknown"`` (which
    fails) when some check has no result yet (background refresh, first run).
    """

    results: tuple[CheckResult, ...]
    is_complete: bool = True
    timestamp: datetime.datetime = dataclasses.field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )
    #: ``"pass"``, ``"warn"``, ``"fail"`` or ``"unknown"``, worked out once.
    status: str = dataclasses.field(init=False)
    #: Whether the whole is healthy (``pass`` or ``warn``).
    passed: bool = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        if not self.is_complete:
            status = UNKNOWN
        else:
            statuses = {result.status for result in self.results}
            status = FAIL if FAIL in statuses else WARN if WARN in statuses else PASS
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "passed", status in (PASS, WARN))

    def without_outputs(self) -> Report:
        """This report with every check's output withheld (``""``), for a caller who may not see details."""
        results = tuple(dataclasses.replace(result, output="") for result in self.results)
        return dataclasses.replace(self, results=results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The results whose check failed, critical or not."""
        return tuple(result for result in self.results if not result.passed)


@dataclasses.dataclass(frozen=True)
class CheckRun:
    """One finished run of one check, as the engine's listeners are told of it (``on_run``).

    Attributes:
        result: the result as reported (its status damped, see ``raw_passed``).
        previous: the check's result before this run (``None`` for its first).
    """

    result: CheckResult
    previous: CheckResult | None

    @property
    def is_change(self) -> bool:
        """Whether the reported status changed with this run (the first run counts as a change)."""
        return self.previous is None or self.previous.status != self.result.status
