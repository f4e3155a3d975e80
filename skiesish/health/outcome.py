"""Turning whatever a check did into passed-or-failed and a message."""

from __future__ import annotations

from typing import Any

from ..exceptions import HealthError

__all__ = ["interpret_exception", "interpret_return"]

EXPECTED = "True, False, None or a (bool, message) tuple"


def interpret_return(value: Any, falsy_fails: bool = False) -> tuple[bool, str]:
    """Read a check's return value as ``(passed, output)``.

    ``True``/``None`` pass, ``False`` fails, ``(bool, message)`` says both;
    with ``falsy_fails`` any falsy value fails and any truthy one passes.
    Anything else fails with a message naming what came back.
    """
    if falsy_fails:
        return (bool(value), "" if value else f"returned {value!r}, which is falsy")
    if value is True or value is None:
        return True, ""
    if value is False:
        return False, "returned False"
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
        return value[0], str(value[1])
    return False, f"returned {type(value).__name__} {value!r:.80}; expected {EXPECTED}"


def interpret_exception(error: BaseException) -> tuple[bool, str]:
    """Read an exception raised by a check as a failure with a message."""
    if isinstance(error, HealthError):
        return False, str(error)
    return False, f"{type(error).__name__}: {error}"
