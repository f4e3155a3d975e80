"""Running one check once: injecting its parameters, awaiting it if async, reading what it did."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import inspect
import re
import time
from collections.abc import Callable
from typing import Any

from ..di import DI
from .check import Check
from .outcome import finished_output, interpret_exception, interpret_return, is_unexpected
from .report import CheckResult

__all__ = ["kept_results", "new_result", "run_check", "timed_out"]

#: The fields of a CheckResult that have a default, with it.
_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(CheckResult)
    if field.default is not dataclasses.MISSING
}


def utcnow() -> datetime.datetime:
    """Now, in UTC, as results are stamped."""
    return _now(_UTC)


_now = datetime.datetime.now
_UTC = datetime.timezone.utc


def new_result(
    name: str, passed: bool, output: str, response_time: float, timestamp: datetime.datetime, critical: bool
) -> CheckResult:
    """``CheckResult(name, passed, output, response_time, timestamp, critical=critical)``, cheaper.

    A frozen dataclass's ``__init__`` sets each of its eleven fields through
    ``object.__setattr__``: a third of what the runner costs an uncached run
    besides the check. A :class:`CheckResult` has neither ``__slots__`` nor
    ``__post_init__``, so filling its ``__dict__`` makes the same object
    (tests/test_inline_checks.py holds the two equal).
    """
    result = object.__new__(CheckResult)
    fields = result.__dict__
    fields.update(_DEFAULTS)
    fields["name"] = name
    fields["passed"] = passed
    fields["output"] = output
    fields["response_time"] = response_time
    fields["timestamp"] = timestamp
    fields["critical"] = critical
    return result


def kept_results(
    result: CheckResult,
    status_since: datetime.datetime | None,
    ttl: float | None,
    last_success: datetime.datetime | None,
    status_changes: int,
) -> tuple[CheckResult, CheckResult]:
    """``result`` with what the engine knows of its check, and the same marked ``cached``.

    That is ``dataclasses.replace(result, status_since=..., ttl=...,
    last_success=..., status_changes=...)`` and a replace of that with
    ``cached=True``, made as :func:`new_result` makes a result.
    """
    fields = result.__dict__.copy()
    fields["status_since"] = status_since
    fields["ttl"] = ttl
    fields["last_success"] = last_success
    fields["status_changes"] = status_changes
    kept = object.__new__(CheckResult)
    kept.__dict__.update(fields)
    fields["cached"] = True
    cached = object.__new__(CheckResult)
    cached.__dict__.update(fields)
    return kept, cached


def timed_out(check: Check, timeout: float) -> CheckResult:
    """The result of a run of ``check`` still going at its ``timeout``."""
    return CheckResult(
        check.label, False, f"timed out after {timeout:g} s", timeout, utcnow(), critical=check.critical
    )


#: What a ready-made check says when it passes: fixed words and a latency, nothing to scrub
#: (tests/test_inline_checks.py holds these to what the scrubber leaves as they are).
_PLAIN_OUTPUT = re.compile(r"(?:SELECT 1|PING|connected|[1-5][0-9][0-9]) in [0-9]{1,9}\.[0-9] ms")


def run_check(
    check: Check,
    di: DI,
    timeout: float,
    deadline: float,
    on_error: Callable[[BaseException], object] | None = None,
    *,
    is_interruptible: bool = False,
) -> CheckResult:
    """Run ``check`` with its parameters injected by ``di`` and say how it went.

    An ``async def`` check is awaited on an event loop of its own and
    cancelled at ``deadline`` (a ``time.monotonic()`` value). Whatever the
    check raises, ``SystemExit``, ``KeyboardInterrupt`` and
    ``asyncio.CancelledError`` included, becomes a failed result: on a
    check's thread no exception can mean that the process is stopping. The
    output is bounded and scrubbed of secrets here, once, so that every
    answer, log line and shared cache gets it safe. (A slow run is noted by
    the engine: :mod:`~skiesish.health.judging`.)

    Args:
        on_error: called with the exception when the check raised one that
            is worth a traceback (see :func:`~.outcome.is_unexpected`).
        is_interruptible: the run is on the thread that asked for it, which
            may be the main thread, where ``KeyboardInterrupt`` and
            ``SystemExit`` come from signals and mean that the process is
            stopping: those two propagate instead.
    """
    started = time.perf_counter()
    try:
        value = di.call_function(check.func)
        if not isinstance(value, _NEVER_AWAITABLE) and inspect.isawaitable(value):
            value = _await_until(value, deadline)
            if value is _TIMED_OUT:
                return timed_out(check, timeout)
        passed, output = interpret_return(value, check.falsy_fails)
    except BaseException as error:  # a check's failure of any kind is a failed check
        if is_interruptible and isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        passed, output = interpret_exception(error)
        if on_error is not None and is_unexpected(error):
            on_error(error)
    elapsed = time.perf_counter() - started
    if output and _PLAIN_OUTPUT.fullmatch(output) is None:
        output = finished_output(output)  # the scrubber costs more than a loopback round trip
    return new_result(check.label, passed, output, elapsed, utcnow(), check.critical)


_TIMED_OUT = object()
#: What checks mostly return, which no one awaits (checked first: isawaitable costs more).
_NEVER_AWAITABLE = (tuple, bool, type(None))


def _await_until(awaitable: Any, deadline: float) -> Any:
    """Await ``awaitable`` on a new event loop; cancel it at ``deadline`` and return ``_TIMED_OUT``.

    A ``TimeoutError`` the check raises itself, before the deadline, is the
    check's own failure and propagates as such.
    """

    async def until_deadline() -> Any:
        task = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # let it see the cancellation
            return _TIMED_OUT
        return task.result()

    return asyncio.run(until_deadline())
