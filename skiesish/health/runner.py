"""Running one check once: injecting its parameters, awaiting it if async, reading what it did."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import time
from collections.abc import Callable
from typing import Any

from ..di import DI
from ..log import logger
from .check import Check
from .outcome import finished_output, interpret_exception, interpret_return, is_unexpected
from .report import CheckResult

__all__ = ["run_check", "timed_out"]


def utcnow() -> datetime.datetime:
    """Now, in UTC, as results are stamped."""
    return datetime.datetime.now(datetime.timezone.utc)


def timed_out(check: Check, timeout: float) -> CheckResult:
    """The result of a run of ``check`` still going at its ``timeout``."""
    return CheckResult(
        check.label, False, f"timed out after {timeout:g} s", timeout, utcnow(), critical=check.critical
    )


def run_check(
    check: Check,
    di: DI,
    timeout: float,
    deadline: float,
    on_error: Callable[[BaseException], object] | None = None,
) -> CheckResult:
    """Run ``check`` with its parameters injected by ``di`` and say how it went.

    An ``async def`` check is awaited on an event loop of its own and
    cancelled at ``deadline`` (a ``time.monotonic()`` value). Whatever the
    check raises, ``SystemExit``, ``KeyboardInterrupt`` and
    ``asyncio.CancelledError`` included, becomes a failed result: this runs
    on a check's thread, where no exception can mean that the process is
    stopping. The output is bounded and scrubbed of secrets here, once, so
    that every answer, log line and shared cache gets it safe. A check
    taking more than half its ``timeout`` is logged.

    Args:
        on_error: called with the exception when the check raised one that
            is worth a traceback (see :func:`~.outcome.is_unexpected`).
    """
    started = time.perf_counter()
    try:
        value = di.call_function(check.func)
        if inspect.isawaitable(value):
            value = _await_until(value, deadline)
            if value is _TIMED_OUT:
                return timed_out(check, timeout)
        passed, output = interpret_return(value, check.falsy_fails)
    except BaseException as error:  # noqa: BLE001 - a check's failure of any kind is a failed check
        passed, output = interpret_exception(error)
        if on_error is not None and is_unexpected(error):
            on_error(error)
    elapsed = time.perf_counter() - started
    if elapsed > timeout / 2:
        logger.warning(
            "health check %r took %.3f s, more than half its %g s deadline", check.label, elapsed, timeout
        )
    return CheckResult(
        check.label, passed, finished_output(output), elapsed, utcnow(), critical=check.critical
    )


_TIMED_OUT = object()


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
