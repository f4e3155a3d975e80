"""What every backend offers: a small table API and a ``ping()`` that really talks to its store."""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["Backend", "Record", "check_identifier", "parse_sort"]

Record = dict[str, Any]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_identifier(kind: str, name: str) -> str:
    """Return ``name`` if it is a plain SQL identifier, else raise ``ValueError``.

    Table and column names cannot be query parameters, so they are held to
    letters, digits and underscores instead.
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(
            f"{kind} names must be letters, digits and underscores, not starting with a digit; "
            f"got {type(name).__name__} {name!r}"
        )
    return name


def parse_sort(sort: str | Sequence[str] | None) -> list[tuple[str, bool]]:
    """Turn ``"name"`` or ``["-created", "id"]`` into ``[(column, descending), ...]``."""
    if sort is None:
        return []
    columns: Iterable[str] = [sort] if isinstance(sort, str) else sort
    parsed = []
    for column in columns:
        descending = isinstance(column, str) and column.startswith("-")
        name = column[1:] if descending else column
        parsed.append((check_identifier("sort column", name), descending))
    return parsed


class Backend(abc.ABC):
    """A store of records in named tables, each record keyed by an ``id``.

    Filters are equality only; ``sort`` takes column names, ``-`` in front for
    descending order; ``limit`` caps the number of records.
    """

    @abc.abstractmethod
    def create(self, table: str, data: Mapping[str, Any]) -> Record:
        """Insert a record and return it, ``id`` included."""

    @abc.abstractmethod
    def update(self, table: str, id: Any, data: Mapping[str, Any]) -> Record:
        """Change the given columns of record ``id`` and return the whole record.

        Raises:
            LookupError: no record has that id.
        """

    @abc.abstractmethod
    def delete(self, table: str, id: Any) -> bool:
        """Delete record ``id``; return whether it existed."""

    @abc.abstractmethod
    def records(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Return the records whose columns equal every value in ``where``."""

    @abc.abstractmethod
    def count(self, table: str, where: Mapping[str, Any] | None = None) -> int:
        """Return how many records match ``where``."""

    @abc.abstractmethod
    def ping(self) -> bool:
        """Exercise the store; return ``True`` or raise."""


def check_limit(limit: int | None) -> int | None:
    """Return ``limit`` if it is ``None`` or a non-negative int, else raise ``ValueError``."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a non-negative int or None, got {type(limit).__name__} {limit!r}")
    return limit
