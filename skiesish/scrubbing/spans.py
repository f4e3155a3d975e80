"""Regions of one text to mask, and the limits every scrub keeps to."""

from __future__ import annotations

import bisect
import re

#: What a masked value reads, as in py-healthcheck.
MASK = "********"

#: The longest string scrubbed, in characters (a mask counts as one); the rest is cut.
TEXT_LIMIT = 64 * 1024

#: The most items (values, keys' values, list elements) one :func:`scrub` call visits.
ITEM_LIMIT = 10_000

#: The most characters of text one :func:`scrub` call reads, all strings together.
TOTAL_TEXT_LIMIT = 1024 * 1024


_MAX_DEPTH = 64
# Passes over a text, until masking changes nothing; each pass that changes it masks more of it.
_MAX_PASSES = 4
# json.dumps refuses integers of more than 4300 digits (sys.int_info.default_max_str_digits).
_MAX_INT_BITS = 14_000
_CUT_MARKER = re.compile(r"\.\.\.\[(\d{1,19}) characters cut\]\Z")
_ITEMS_CUT_MARKER = re.compile(r"\.\.\.\[\d{1,19} items cut\]\Z")
_WHITESPACE = " \t\n\r\f\v"


class _Spans:
    """Regions of one text to mask, and regions that later rules must leave alone."""

    def __init__(self) -> None:
        self.masked: list[tuple[int, int]] = []
        self.claimed: list[tuple[int, int]] = []
        self.public: list[tuple[int, int]] = []  # public material: no rule masks inside it
        self._starts: list[int] = []
        self._ends: list[int] = []

    def mask(self, start: int, end: int) -> None:
        if start < end:
            self.masked.append((start, end))

    def claim(self, start: int, end: int) -> None:
        if start < end:
            self.claimed.append((start, end))

    def keep(self, start: int, end: int) -> None:
        """Claim a region of public material (a certificate) that the token rule must not mask."""
        if start < end:
            self.claimed.append((start, end))
            self.public.append((start, end))

    def freeze_claims(self) -> None:
        """Make :meth:`is_claimed` answer from the claims made so far."""
        merged = _merged(self.claimed)
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def is_claimed(self, position: int) -> bool:
        index = bisect.bisect_right(self._starts, position) - 1
        return index >= 0 and position < self._ends[index]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
