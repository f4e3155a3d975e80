"""Reading an HTTP ``Accept`` header (RFC 9110, section 12.5.1) as django-health-check's ``MediaType``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["MediaType"]

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_RANGE = re.compile(rf"({_TOKEN})/({_TOKEN})")
_PARAMETER = re.compile(rf"({_TOKEN})=({_TOKEN}|\"(?:[^\"\\]|\\.)*\")")
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


class MediaType:
    """One media range of an ``Accept`` header and its weight; sorts by weight.

    Args:
        mime_type: ``type/subtype``, either of which may be ``*``.
        weight: the ``q`` value, from 0 to 1.

    Example:
        >>> list(MediaType.parse_header("text/html; q=0.5, application/json"))
        [MediaType: application/json; q=1.0, MediaType: text/html; q=0.5]
    """

    def __init__(self, mime_type: str, weight: float = 1.0) -> None:
        self.mime_type = mime_type
        self.weight = float(weight)

    @classmethod
    def from_string(cls, value: str) -> MediaType:
        """Read one media range such as ``application/json; q=0.9``.

        Parameters other than ``q`` are allowed (quoted values too) and ignored.

        Raises:
            ValueError: ``value`` is not a media range, naming it.
        """
        media_range, *parameters = value.split(";")
        weight = 1.0
        is_valid = _MEDIA_RANGE.fullmatch(media_range.strip()) is not None
        for parameter in parameters if is_valid else ():
            match = _PARAMETER.fullmatch(parameter.strip())
            if match is None:
                is_valid = False
            elif match.group(1).lower() == "q":
                if _QVALUE.fullmatch(match.group(2)) is None:
                    is_valid = False
                else:
                    weight = float(match.group(2))
        if not is_valid:
            raise ValueError(f'"{value}" is not a valid media type')
        return cls(media_range.strip(), weight)

    @classmethod
    def parse_header(cls, value: str = "*/*") -> Iterator[MediaType]:
        """The media ranges of an ``Accept`` header, heaviest first (ties keep the header's order).

        Raises:
            ValueError: a range is not valid (raised when the iterator is first read).
        """
        ranges = [cls.from_string(part.strip()) for part in value.split(",") if part.strip()]
        yield from sorted(ranges, key=lambda media: -media.weight)

    def __str__(self) -> str:
        return f"{self.mime_type}; q={self.weight}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self}"

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, MediaType):
            return NotImplemented
        return self.mime_type == other.mime_type and self.weight == other.weight

    def __hash__(self) -> int:
        return hash((self.mime_type, self.weight))

    def __lt__(self, other: MediaType) -> bool:
        return self.weight < other.weight
