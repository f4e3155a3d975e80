"""Reading option values: whole numbers and seconds, in range, or one sentence saying what was expected."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    from typing import Any

__all__ = ["seconds_option", "whole_number"]


def seconds_option(option: str, text: str, maximum: float, allow_zero: bool = False) -> float:
    """``text`` read through :func:`skiesish.durations.seconds`.

    Raises:
        ValueError: (a ConfigurationError) it is not a number of seconds in range.
    """
    from ..durations import seconds

    value: Any
    try:
        value = float(text)
    except ValueError:
        value = text
    result = seconds(option, value, maximum=maximum, allow_zero=allow_zero)
    assert result is not None  # None is allowed only with allow_none
    return result


def whole_number(option: str, text: str, minimum: int, maximum: int) -> int:
    """``text`` as an int from ``minimum`` to ``maximum``, or ValueError saying so."""
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        raise ValueError(f"{option} must be a whole number from {minimum} to {maximum}, got {text!r}")
    return value
