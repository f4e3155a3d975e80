"""What the ready-made checks share: timing, options, and optional imports."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from ..exceptions import ConfigurationError
from ..extras import import_extra
from ..health import Check

__all__ = ["DEFAULT_SOCKET_TIMEOUT", "build_check", "check_timeout", "import_extra", "latency"]

#: Seconds a ready-made check waits on a socket (connect, and each read) by default.
DEFAULT_SOCKET_TIMEOUT = 2.0


def check_timeout(kind: str, timeout: Any) -> float:
    """Return ``timeout`` as seconds, or raise ``ConfigurationError`` naming the check."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout):
        raise ConfigurationError(
            f"{kind}(): timeout must be a number of seconds, got {type(timeout).__name__} {timeout!r}"
        )
    if timeout <= 0:
        raise ConfigurationError(f"{kind}(): timeout must be more than 0 seconds, got {timeout!r}")
    return float(timeout)


def latency(started: float) -> str:
    """The time since ``started`` (a ``perf_counter()`` value), as the checks report it."""
    return f"{(time.perf_counter() - started) * 1000:.1f} ms"


def build_check(func: Callable[..., Any], name: str, check_options: dict[str, Any]) -> Check:
    """Wrap ``func`` as a Check called ``name``; ``check_options`` are Check's own arguments."""
    unknown = sorted(set(check_options) - {"timeout", "critical", "tags", "success_ttl", "failed_ttl"})
    if unknown:
        raise ConfigurationError(
            f"{name}: unknown argument(s) {', '.join(unknown)}; a check also takes timeout, critical, tags, "
            "success_ttl and failed_ttl"
        )
    return Check(func, name=name, **check_options)
