"""Running django-health-check style checks on a :class:`~skiesish.health.HealthEngine`.

Each check instance becomes one :class:`~skiesish.health.Check` whose
function calls ``run()``. What the engine keeps of a failure is text
(scrubbed and bounded); the exception's class and timestamp, which the
formats also read, are kept beside it by :class:`CheckCall` and put back
together with that text when results are shown.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import inspect
import threading
from collections.abc import Sequence
from typing import Any

from ....di import DI
from ....durations import MAX_TIMEOUT
from ....exceptions import ConfigurationError, HealthError
from ....health import Check, CheckResult, HealthEngine
from ....health.outcome import MAX_RAW_OUTPUT_LENGTH, finished_output
from ....health.runner import timed_out
from ....scrubbing import scrub_text
from ....text import bounded
from ..._support import read_ttl, unique_name
from .._connections import close_opened, open_connections
from ._building import build_checks
from .base import HealthCheck, HealthCheckResult
from .exceptions import HealthCheckException, ServiceUnavailable

__all__ = ["UNKNOWN_ERROR", "CheckCall", "CheckRunner", "ViewRunners", "is_reported", "label_of"]

#: What a check that raised anything but a ``HealthCheckException`` shows, as django-health-check does.
UNKNOWN_ERROR = f"{HealthCheckException.message_type}: unknown error"

#: The most characters of a check's ``repr`` shown as its label.
MAX_LABEL_LENGTH = 200

#: The grace django-health-check gives a check beyond its ``timeout``, so that its own client's
#: timeout reports first.
GRACE_SECONDS = 1.0


def label_of(check: Any) -> str:
    """How the formats name ``check``: its ``repr``, scrubbed and bounded; its class name if that fails."""
    fallback = f"{type(check).__name__}()"
    try:
        text = repr(check)
    except Exception:  # noqa: BLE001 - a check's own __repr__ may raise anything
        return fallback
    if not isinstance(text, str) or not text.strip():
        return fallback
    label = bounded(scrub_text(text), MAX_LABEL_LENGTH)
    return label if scrub_text(label) == label else fallback


def is_reported(error: BaseException) -> bool:
    """Whether ``error`` is a check saying why it fails: a HealthCheckException, or one shaped like it.

    "Shaped like it" (a ``message_type`` string and a ``message``) takes in
    django-health-check's own exceptions, raised by its checks when they run here.
    """
    if isinstance(error, HealthCheckException):
        return True
    return isinstance(getattr(type(error), "message_type", None), str) and hasattr(error, "message")


def timeout_seconds(check: Any) -> float:
    """``check.timeout`` (a ``timedelta``, or a number of seconds) in seconds.

    Raises:
        ConfigurationError: it is neither, or not from 0 to :data:`MAX_TIMEOUT` less the grace.
    """
    timeout = getattr(check, "timeout", HealthCheck.timeout)
    if isinstance(timeout, datetime.timedelta):
        seconds = timeout.total_seconds()
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        seconds = float(timeout)
    else:
        seconds = float("nan")
    if not 0 <= seconds <= MAX_TIMEOUT - GRACE_SECONDS:  # also false for nan
        raise ConfigurationError(
            f"{type(check).__name__}.timeout must be a datetime.timedelta from 0 to "
            f"{MAX_TIMEOUT - GRACE_SECONDS:g} seconds, got {type(timeout).__name__} {timeout!r:.60}"
        )
    return seconds


@dataclasses.dataclass
class _Failure:
    """What a check raised on its latest failing run, and the output the engine kept for it."""

    error: BaseException
    output: str


class CheckCall:
    """One check instance as the engine runs it: calls ``run()`` and turns what it raised into text.

    Sync checks run on the engine's thread, and the Django database
    connections a run opened there are closed when it ends (the thread is
    reused, and a connection kept in it would leak or go stale); async ones
    run on an event loop of that thread, cancelled at the deadline.
    """

    def __init__(self, check: Any, label: str) -> None:
        self.check = check
        self.label = label
        self.timeout = timeout_seconds(check)
        self.is_async = inspect.iscoroutinefunction(check.run)
        self.engine_check = Check(self, name=label, timeout=self.timeout + GRACE_SECONDS)
        self.timed_out_output = timed_out(self.engine_check, self.timeout + GRACE_SECONDS).output
        self._failure: _Failure | None = None

    def __call__(self) -> Any:
        if self.is_async:
            return self._run_async()
        before = open_connections()
        try:
            self.check.run()
        except BaseException as error:  # noqa: BLE001 - on a check's thread: any failure is the check's
            self._fail(error)
        finally:
            close_opened(before)
        return None

    def close(self) -> None:
        """Close what the check keeps open, if it is one of this package's (the engine calls this)."""
        close = getattr(self.check, "_close_native", None)
        if callable(close):
            close()

    async def _run_async(self) -> None:
        try:
            await self.check.run()
        except asyncio.CancelledError:
            raise  # the deadline passed: the engine reports the timeout
        except BaseException as error:  # noqa: BLE001 - on a check's thread: any failure is the check's
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        """Keep ``error`` and raise the HealthError the engine reads as this failure's text."""
        if is_reported(error):
            text = _text_of(error)
            self._failure = _Failure(error, finished_output(text))
            raise HealthError(text) from None  # the check said why: no traceback is logged
        self._failure = _Failure(error, finished_output(UNKNOWN_ERROR))
        # Its text was never meant to be shown; the engine logs the traceback (scrubbed) once per change.
        raise HealthError(UNKNOWN_ERROR) from error

    def result(self, outcome: CheckResult) -> HealthCheckResult:
        """The view's result for the engine's ``outcome`` of this check."""
        result = HealthCheckResult(self.check, self.shown_error(outcome), outcome.response_time)
        result.__dict__["_label"] = self.label  # the engine's label, unique among the view's checks
        return result

    def shown_error(self, outcome: CheckResult) -> HealthCheckException | None:
        """The exception shown for ``outcome``: class and timestamp as raised, text as the engine kept it."""
        if outcome.passed:
            return None
        failure = self._failure
        if failure is not None and failure.output == outcome.output:
            if is_reported(failure.error):
                return _reported_copy(failure.error, outcome)
            return HealthCheckException("unknown error", timestamp=outcome.timestamp)
        if outcome.output == self.timed_out_output:
            return ServiceUnavailable(
                f"Timed out after {self.timeout:g} seconds", timestamp=outcome.timestamp
            )
        return _ShownText(outcome.output, timestamp=outcome.timestamp)


class _ShownText(HealthCheckException):
    """A failure shown as the engine's text alone (its own class could not show that text)."""

    def __str__(self) -> str:
        return str(self.message)


def _text_of(error: BaseException) -> str:
    """``str(error)``, bounded, or a description of why it could not be had."""
    try:
        text = str(error)
    except Exception as failure:  # noqa: BLE001 - a check's exception may raise anything
        kind = getattr(error, "message_type", type(error).__name__)
        return f"{kind}: <message whose str() raised {type(failure).__name__}>"
    return bounded(text, MAX_RAW_OUTPUT_LENGTH)


def _reported_copy(error: BaseException, outcome: CheckResult) -> HealthCheckException:
    """An exception of ``error``'s class and timestamp whose text is the engine's (scrubbed) output."""
    prefix = f"{getattr(error, 'message_type', '')}: "
    message = outcome.output.removeprefix(prefix)
    timestamp = getattr(error, "timestamp", None)
    if not isinstance(timestamp, datetime.datetime):
        timestamp = outcome.timestamp
    cls = type(error)
    try:
        shown: Any = cls.__new__(cls)  # not cls(...): a check's exception may take other arguments
        BaseException.__init__(shown, message)
        shown.message = message
        shown.timestamp = timestamp
        if str(shown) == outcome.output:
            return shown  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a check's exception class may refuse this; show the text alone
        pass
    return _ShownText(outcome.output, timestamp=timestamp)


class CheckRunner:
    """A health engine for a fixed list of check instances, giving the view's results.

    Args:
        checks: check instances (anything with a ``run()`` method).
        success_ttl: seconds a passing result is reused (``None``: never).
        failed_ttl: seconds a failing result is reused (``None``: never).
        labels: the checks' labels (by default, from each one's ``repr``).

    Raises:
        ConfigurationError: a check's ``timeout`` is not a duration in range.
    """

    def __init__(
        self,
        checks: Sequence[Any],
        *,
        success_ttl: float | None,
        failed_ttl: float | None,
        labels: Sequence[str] | None = None,
    ) -> None:
        taken: set[str] = set()
        calls = []
        for index, check in enumerate(checks):
            label = unique_name(label_of(check) if labels is None else labels[index], taken)
            taken.add(label)
            calls.append(CheckCall(check, label))
        self.calls = tuple(calls)
        self.engine = HealthEngine(
            [call.engine_check for call in self.calls], DI(), success_ttl=success_ttl, failed_ttl=failed_ttl
        )

    @property
    def checks(self) -> list[Any]:
        """The check instances, in order."""
        return [call.check for call in self.calls]

    def results(self) -> list[HealthCheckResult]:
        """Every check's result: cached while fresh, else from a run (which concurrent callers share)."""
        report = self.engine.evaluate()
        return [call.result(outcome) for call, outcome in zip(self.calls, report.results, strict=True)]

    def close(self) -> None:
        """Give back the engine's threads."""
        self.engine.close()


class ViewRunners:
    """The engines of one ``HealthCheckView.as_view()``: one for its ``checks``, built now.

    A view whose ``get_checks()`` yields other instances gets an engine for
    those too, found again by the checks' classes and labels; at most
    :attr:`MAX_OTHERS` are kept, the oldest closed first.

    Raises:
        ConfigurationError: an entry of ``checks``, a check's timeout or a TTL is wrong.
    """

    MAX_OTHERS = 8

    def __init__(self, checks: Any, *, success_ttl: Any, failed_ttl: Any, owner: str) -> None:

        self.success_ttl = read_ttl(f"{owner}(success_ttl=...)", success_ttl)
        self.failed_ttl = read_ttl(f"{owner}(failed_ttl=...)", failed_ttl)
        self.configured = CheckRunner(
            build_checks(checks, owner), success_ttl=self.success_ttl, failed_ttl=self.failed_ttl
        )
        self._others: dict[tuple[tuple[type, str], ...], CheckRunner] = {}
        self._lock = threading.Lock()

    def runner_for(self, checks: list[Any]) -> CheckRunner:
        """The engine for these check instances: the configured one when they are its own."""
        configured = self.configured.checks
        if len(checks) == len(configured) and all(a is b for a, b in zip(checks, configured, strict=True)):
            return self.configured
        key = tuple((type(check), label_of(check)) for check in checks)
        closed = None
        with self._lock:
            runner = self._others.pop(key, None)
            if runner is None:
                runner = CheckRunner(checks, success_ttl=self.success_ttl, failed_ttl=self.failed_ttl)
                if len(self._others) >= self.MAX_OTHERS:
                    closed = self._others.pop(next(iter(self._others)))
            self._others[key] = runner  # the most recently used last
        if closed is not None:
            closed.close()
        return runner
