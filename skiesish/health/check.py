"""A named health check and what it may return."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = ["Check"]


@dataclasses.dataclass(frozen=True)
class Check:
    """A callable that says whether one part of the system is healthy.

    Its parameters are injected by name from the DI container. It passes by
    returning ``True``, ``None`` or ``(True, message)``, and fails by
    returning ``False`` or ``(False, message)`` or by raising (raise
    :class:`~skiesish.HealthError` to choose the message).

    Args:
        func: the check itself.
        name: how reports call it; defaults to the function's ``__name__``.
        falsy_fails: when true, any falsy return (``None`` included) fails:
            the contract of the HealthCheck handler's ``callable`` key.

    Example:
        >>> Check(lambda cursor_backend: cursor_backend.ping(), name="database")
    """

    func: Callable[..., Any]
    name: str = ""
    falsy_fails: bool = False

    def __post_init__(self) -> None:
        if not callable(self.func):
            raise TypeError(f"a check must be callable, got {type(self.func).__name__} {self.func!r:.80}")
        if not self.name:
            object.__setattr__(self, "name", getattr(self.func, "__name__", type(self.func).__name__))
