"""Turning whatever a check did into passed-or-failed and a short, safe message.

A check is user code: it may return anything, raise anything (``SystemExit``
and ``asyncio.CancelledError`` included), and hand back objects whose
``__str__``, ``__repr__`` or ``__bool__`` themselves raise or return
megabytes. Nothing here trusts it: every call into the check's objects is guarded,
and every message is read to at most :data:`MAX_RAW_OUTPUT_LENGTH`
characters, then scrubbed and cut to :data:`MAX_OUTPUT_LENGTH`
(:func:`finished_output`).
"""

from __future__ import annotations

import reprlib
from typing import Any

from ..exceptions import HealthError
from ..scrubbing import scrub_text
from ..text import bounded

__all__ = [
    "EXPECTED",
    "MAX_OUTPUT_LENGTH",
    "bounded",
    "interpret_exception",
    "interpret_return",
    "is_unexpected",
]

EXPECTED = "True, False, None or a (bool, message) tuple"

#: The most characters of a check's output that are kept; the rest is cut, and the cut said.
MAX_OUTPUT_LENGTH = 1024
#: The most characters read from a check before scrubbing: well beyond what is kept, so that a
#: secret straddling :data:`MAX_OUTPUT_LENGTH` is still whole when the scrubber sees it.
MAX_RAW_OUTPUT_LENGTH = 16 * MAX_OUTPUT_LENGTH

_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80


def _text(value: Any) -> str:
    """``str(value)``, bounded, or a description of why it could not be had."""
    try:
        text = str.__str__(value) if isinstance(value, str) else str(value)
    except BaseException as error:  # noqa: BLE001 - a check's object may raise anything
        return f"<{type(value).__name__} whose str() raised {type(error).__name__}>"
    return bounded(text, MAX_RAW_OUTPUT_LENGTH)


def _repr(value: Any) -> str:
    """A short ``repr`` of ``value``, or a description of why it could not be had."""
    try:
        return bounded(_REPR.repr(value), 120)
    except BaseException as error:  # noqa: BLE001 - a check's object may raise anything
        return f"<{type(value).__name__} whose repr() raised {type(error).__name__}>"


def finished_output(output: str) -> str:
    """A check's output as it is kept: scrubbed of secrets, then cut to :data:`MAX_OUTPUT_LENGTH`."""
    return bounded(scrub_text(output), MAX_OUTPUT_LENGTH)


def interpret_return(value: Any, falsy_fails: bool = False) -> tuple[bool, str]:
    """Read a check's return value as ``(passed, output)``.

    ``True``/``None`` pass, ``False`` fails, ``(bool, message)`` says both;
    with ``falsy_fails`` any falsy value fails and any truthy one passes.
    Anything else fails with a message naming what came back. Whatever the
    value's own methods raise becomes a failure too.
    """
    if falsy_fails:
        try:
            is_truthy = bool(value)
        except BaseException as error:  # noqa: BLE001 - __bool__ is the check's code
            return False, f"returned {type(value).__name__}, whose truth value raised {type(error).__name__}"
        return (is_truthy, "" if is_truthy else f"returned {_repr(value)}, which is falsy")
    if value is True or value is None:
        return True, ""
    if value is False:
        return False, "returned False"
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
        return value[0], _text(value[1])
    return False, f"returned {type(value).__name__} {_repr(value)}; expected {EXPECTED}"


def interpret_exception(error: BaseException) -> tuple[bool, str]:
    """Read an exception raised by a check as a failure with a message."""
    if isinstance(error, HealthError):
        return False, _text(error)
    message = _text(error)
    return False, f"{type(error).__name__}: {message}" if message else type(error).__name__


def is_unexpected(error: BaseException) -> bool:
    """Whether ``error`` is worth a traceback in the log.

    A plain :class:`~skiesish.HealthError` is a check saying why it fails;
    one raised ``from`` another exception, and every other exception, is
    something going wrong inside the check.
    """
    return not isinstance(error, HealthError) or error.__cause__ is not None
