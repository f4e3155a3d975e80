"""A named health check and the settings it carries."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any

from ..durations import MAX_TIMEOUT, MAX_TTL, seconds
from ..exceptions import ConfigurationError
from ..scrubbing import scrub_text

__all__ = ["DEFAULT", "Check"]


class _Default(enum.Enum):
    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "DEFAULT"


#: "Use the handler's setting": the default of a check's timeout and TTLs.
DEFAULT = _Default.DEFAULT

Seconds = float | None


@dataclasses.dataclass(frozen=True)
class Check:
    """A callable that says whether one part of the system is healthy.

    Its parameters are injected by name from the DI container; it may be
    ``async def``. It passes by returning ``True``, ``None`` or
    ``(True, message)``, and fails by returning ``False`` or
    ``(False, message)``, or by raising (raise :class:`~skiesish.HealthError`
    to choose the message). Any other return value fails, with a message
    saying what came back.

    Args:
        func: the check itself.
        name: how reports call it; defaults to the function's ``__name__``.
        timeout: seconds before the check is reported failed (``None``: the
            handler's timeout).
        critical: when false, a failure is reported as ``warn`` and does not
            fail the whole.
        tags: labels a handler's ``tags`` key selects checks by.
        success_ttl: seconds a passing result is reused; ``None`` disables
            caching; by default the handler's setting.
        failed_ttl: seconds a failing result is reused; likewise.
        falsy_fails: when true, any falsy return (``None`` included) fails:
            the contract of the HealthCheck handler's ``callable`` key.
        failure_threshold: failed runs in a row before a passing check is
            reported failing (``None``: the handler's setting, 1 by default).
        success_threshold: passed runs in a row before a failing check is
            reported passing again (``None``: the handler's setting, 1 by default).
        slow_after: seconds beyond which a run is slow, logged once per change
            (``None``: half the check's deadline).
        warn_when_slow: report a passing but slow run as ``warn``.

    Example:
        >>> Check(lambda cursor_backend: cursor_backend.ping(), name="database", timeout=2)
    """

    func: Callable[..., Any]
    name: str | None = None
    timeout: float | None = None
    critical: bool = True
    tags: tuple[str, ...] = ()
    success_ttl: Seconds | _Default = DEFAULT
    failed_ttl: Seconds | _Default = DEFAULT
    falsy_fails: bool = False
    failure_threshold: int | None = None
    success_threshold: int | None = None
    slow_after: float | None = None
    warn_when_slow: bool = False

    def __post_init__(self) -> None:
        if not callable(self.func):
            raise ConfigurationError(
                f"a check must be callable, got {type(self.func).__name__} {self.func!r:.80}"
            )
        if self.name is None:
            object.__setattr__(self, "name", getattr(self.func, "__name__", type(self.func).__name__))
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigurationError(
                f"a check's name must be a non-empty string, got {type(self.name).__name__} {self.name!r:.80}"
            )
        if scrub_text(self.name) != self.name:
            raise ConfigurationError(
                f"the check name {scrub_text(self.name)!r} holds what looks like a secret, and names are "
                "shown to anyone who asks; choose another with name=..."
            )
        tags: Any = self.tags  # callers may pass a string, or anything, whatever the annotation says
        if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
            raise ConfigurationError(f"tags must be a list or tuple of strings, got {self.tags!r:.80}")
        object.__setattr__(self, "tags", tuple(self.tags))
        where = f"Check({self.name!r}"
        seconds(f"{where}, timeout=...)", self.timeout, maximum=MAX_TIMEOUT, allow_none=True)
        for key in ("success_ttl", "failed_ttl"):
            value = getattr(self, key)
            if value is not DEFAULT:
                seconds(f"{where}, {key}=...)", value, maximum=MAX_TTL, allow_zero=True, allow_none=True)
        for key in ("failure_threshold", "success_threshold"):
            if getattr(self, key) is not None:
                threshold(f"{where}, {key}=...)", getattr(self, key))
        seconds(f"{where}, slow_after=...)", self.slow_after, maximum=MAX_TIMEOUT, allow_none=True)
        if not isinstance(self.warn_when_slow, bool):
            raise ConfigurationError(
                f"{where}, warn_when_slow=...) must be True or False, got {self.warn_when_slow!r:.80}"
            )

    @property
    def label(self) -> str:
        """The check's name (always set once the check is built)."""
        return str(self.name)


#: The most runs in a row a threshold may ask for.
MAX_THRESHOLD = 1000


def threshold(key: str, value: Any) -> int:
    """``value`` as a count of runs in a row, 1 to :data:`MAX_THRESHOLD`.

    ``key`` is the setting's name as the user wrote it, or ``""`` where the
    caller names it already (a pydantic validator), as for :func:`~skiesish.durations.seconds`.

    Raises:
        ConfigurationError: naming ``key``, with what was expected and what arrived.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THRESHOLD:
        subject = f"{key} must" if key else "must"
        raise ConfigurationError(
            f"{subject} be a whole number of runs from 1 to {MAX_THRESHOLD}, got {value!r:.80}"
        )
    return value
