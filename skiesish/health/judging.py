"""Judging a run against the check's past: flap damping and slowness.

A dependency that fails one probe in a hundred should not turn a service
unready each time. As Kubernetes' probes do, a passing check is reported
failing only after ``failure_threshold`` failed runs in a row, and a failing
one passing again only after ``success_threshold`` passed runs in a row
(both 1 by default: no damping). Until then the reported status stays, and
the result says what the last run found (``raw_passed`` and its output).

A run that takes longer than ``slow_after`` (half the check's deadline by
default) is slow: the change into slowness and out of it is logged once each,
and with ``warn_when_slow`` a passing but slow check is reported ``warn``.
"""

from __future__ import annotations

from ..log import logger
from .report import CheckResult

__all__ = ["Judge"]


class Judge:
    """One check's damped status and slowness; :meth:`judge` is called with each new result, under a lock.

    Args:
        name: the check's name, for the log.
        failure_threshold: failed runs in a row before a passing check is reported failing.
        success_threshold: passed runs in a row before a failing check is reported passing.
        slow_after: seconds beyond which a run is slow (``None``: half of ``timeout``).
        timeout: the check's deadline, in seconds.
        warn_when_slow: report a passing but slow check as ``warn``.
    """

    __slots__ = (
        "failure_threshold",
        "is_slow",
        "name",
        "passed",
        "slow_after",
        "streak",
        "streak_passed",
        "success_threshold",
        "timeout",
        "warn_when_slow",
    )

    def __init__(
        self,
        name: str,
        failure_threshold: int,
        success_threshold: int,
        slow_after: float | None,
        timeout: float,
        warn_when_slow: bool = False,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.success_threshold = success_threshold
        self.slow_after = slow_after
        self.timeout = timeout
        self.warn_when_slow = warn_when_slow
        #: The status reported (``None`` before the first run).
        self.passed: bool | None = None
        #: How many runs in a row found ``streak_passed``.
        self.streak = 0
        self.streak_passed: bool | None = None
        self.is_slow = False

    def judge(self, result: CheckResult) -> CheckResult:
        """``result`` as reported: its status damped, and marked ``warn`` if slow and asked to."""
        raw = result.passed
        if raw is self.streak_passed:
            self.streak += 1
        else:
            self.streak_passed, self.streak = raw, 1
        passed = self._damped(raw)
        self.passed = passed
        is_slow = self._note_speed(result.response_time)
        is_warned = passed and is_slow and self.warn_when_slow
        if passed is raw and not is_warned:
            return result
        fields = result.__dict__.copy()
        if passed is not raw:
            fields["passed"] = passed
            fields["raw_passed"] = raw
            fields["output"] = self._held_output(raw, result.output)
        if is_warned:
            fields["warned"] = True
            slow = f"slow: {result.response_time:.3f} s, more than {self._slow_after():g} s"
            fields["output"] = f"{slow}; {fields['output']}" if fields["output"] else slow
        judged = object.__new__(CheckResult)
        judged.__dict__.update(fields)
        return judged

    def _damped(self, raw: bool) -> bool:
        """The status to report after a run that found ``raw``."""
        if self.passed is None or self.passed is raw:
            return raw
        threshold = self.failure_threshold if self.passed else self.success_threshold
        return raw if self.streak >= threshold else self.passed

    def _held_output(self, raw: bool, output: str) -> str:
        """What a result whose reported status was held says about the last run."""
        if raw:
            held = f"failing until {self.success_threshold} passes in a row ({self.streak} so far)"
            return f"{held}; the last run passed" + (f" ({output})" if output else "")
        held = f"passing until {self.failure_threshold} failures in a row ({self.streak} so far)"
        return f"{held}; the last run failed" + (f": {output}" if output else "")

    def _slow_after(self) -> float:
        return self.timeout / 2 if self.slow_after is None else self.slow_after

    def _note_speed(self, seconds: float) -> bool:
        """Whether a run of ``seconds`` is slow; the change into slowness and out of it is logged once."""
        limit = self._slow_after()
        is_slow = seconds > limit
        if is_slow is not self.is_slow:
            self.is_slow = is_slow
            if is_slow:
                beyond = (
                    f"more than half its {self.timeout:g} s deadline"
                    if self.slow_after is None
                    else f"more than its slow_after of {limit:g} s"
                )
                logger.warning(
                    "health check %r took %.3f s, %s (said once, until it is fast again)",
                    self.name,
                    seconds,
                    beyond,
                )
            else:
                logger.info("health check %r is no longer slow (%.3f s)", self.name, seconds)
        return is_slow
