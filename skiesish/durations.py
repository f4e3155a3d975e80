"""Validating every duration skiesish is given: finite, in range, said plainly when not.

A deadline of ``inf`` overflows the waits it reaches, ``nan`` compares false
with everything, ``0`` fails every check at once, and ``1e10`` is a mistake
that looks like a number. Every duration (a check's deadline, a TTL, the
background interval, a drain, a probe's timeout) is read through
:func:`seconds`, which refuses them at build time with one sentence.
"""

from __future__ import annotations

import math
from typing import Any

from .exceptions import ConfigurationError

__all__ = ["MAX_DRAIN", "MAX_INTERVAL", "MAX_TIMEOUT", "MAX_TTL", "MIN_INTERVAL", "seconds"]

#: The longest deadline a check or a probe may have: ten minutes is already far beyond any probe's.
MAX_TIMEOUT = 600.0
#: The longest a result may be reused: one day.
MAX_TTL = 86_400.0
#: The shortest background refresh interval: shorter would only burn CPU.
MIN_INTERVAL = 0.01
#: The longest background refresh interval: one day.
MAX_INTERVAL = 86_400.0
#: The longest drain after SIGTERM: one hour (Kubernetes' grace period must exceed it).
MAX_DRAIN = 3_600.0


def seconds(
    key: str,
    value: Any,
    *,
    maximum: float,
    minimum: float = 0.0,
    allow_zero: bool = False,
    allow_none: bool = False,
) -> float | None:
    """Return ``value`` as a float number of seconds, or raise naming ``key`` and the range.

    Args:
        key: the setting's name, as the user wrote it (``"timeout"``, ``"Check(timeout=...)"``);
            ``""`` where the caller names it already (a pydantic validator).
        value: what arrived.
        maximum: the largest value accepted.
        minimum: the smallest value accepted (exclusive when it is 0 and zero is not allowed).
        allow_zero: whether exactly ``0`` is accepted.
        allow_none: whether ``None`` is accepted (and returned).

    Raises:
        ConfigurationError: ``value`` is not a finite number in range.

    Example:
        >>> seconds("timeout", 2, maximum=MAX_TIMEOUT)
        2.0
    """
    if value is None and allow_none:
        return None
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if (
        is_number
        and math.isfinite(value)
        and value <= maximum
        and (value > minimum or (value == minimum and (minimum > 0 or allow_zero)))
    ):
        return float(value)
    if minimum > 0:
        wanted = f"from {minimum:g} to {maximum:g}"
    elif allow_zero:
        wanted = f"from 0 to {maximum:g}"
    else:
        wanted = f"greater than 0 and at most {maximum:g}"
    none = " (or None)" if allow_none else ""
    subject = f"{key} must" if key else "must"
    raise ConfigurationError(
        f"{subject} be a number of seconds {wanted}{none}, got {type(value).__name__} {value!r:.40}"
    )
