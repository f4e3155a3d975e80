"""Bounding text that came from outside: a check's output, an exception's message, a log line."""

from __future__ import annotations

__all__ = ["bounded"]


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how many were cut.

    Example:
        >>> bounded("x" * 10, 4)
        'xxxx... [6 characters cut]'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} characters cut]"
