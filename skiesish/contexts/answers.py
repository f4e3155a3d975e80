"""Answers kept for reuse: a probe that finds every result fresh is sent the bytes it was sent before.

A handler marks an answer reusable (``input_output.reusable_while``) when
it was made from nothing but the request's method, path and ``Accept``
header and from state it can test. A context keeps such answers for
requests without a query string or an ``Authorization`` header, and sends
one again only after its test passes, at the moment of sending: an answer
whose report has expired or changed is never reused.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["MAX_KEPT_ANSWERS", "KeptAnswer", "KeptAnswers"]

#: The most answers kept at once: the keys come from requests (paths, Accept headers), so a caller
#: sending a new one each time must not grow memory; once full, the store starts again.
MAX_KEPT_ANSWERS = 64


class KeptAnswer:
    """One answer as its context sends it, and the test of whether it still holds.

    ``status``, ``headers`` and ``body`` are in the context's own terms: a
    status line, ``(str, str)`` pairs and a list of bytes for WSGI; a
    number, ``(bytes, bytes)`` pairs and bytes for ASGI.
    """

    __slots__ = ("body", "headers", "is_fresh", "status")

    def __init__(self, is_fresh: Callable[[], bool], status: Any, headers: list[Any], body: Any) -> None:
        self.is_fresh = is_fresh
        self.status = status
        self.headers = headers
        self.body = body


class KeptAnswers:
    """A bounded map of request keys to :class:`KeptAnswer`; safe to share between threads."""

    __slots__ = ("_answers",)

    def __init__(self) -> None:
        self._answers: dict[Hashable, KeptAnswer] = {}

    def fresh(self, key: Hashable) -> KeptAnswer | None:
        """The answer kept for ``key``, if there is one and its test passes now."""
        kept = self._answers.get(key)
        if kept is not None and kept.is_fresh():
            return kept
        return None

    def keep(self, key: Hashable, answer: KeptAnswer) -> None:
        """Keep ``answer`` for ``key``, replacing any earlier one."""
        answers = self._answers
        if key not in answers and len(answers) >= MAX_KEPT_ANSWERS:
            answers.clear()
        answers[key] = answer
