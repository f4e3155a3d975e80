"""Tables kept in process memory, safe to share between threads."""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .base import Backend, Record, check_identifier, check_limit, parse_sort

__all__ = ["MemoryBackend"]


class MemoryBackend(Backend):
    """An in-process store: handy for tests and for state that need not survive a restart.

    Tables spring into being on first use; ids are increasing integers per
    table. Records handed out are copies, so callers cannot change the store
    by accident.

    Example:
        >>> backend = MemoryBackend()
        >>> backend.create("users", {"name": "Ada"})
        {'name': 'Ada', 'id': 1}
    """

    def __init__(self) -> None:
        self._tables: dict[str, dict[Any, Record]] = {}
        self._ids: dict[str, itertools.count[int]] = {}
        self._lock = threading.RLock()

    def create(self, table: str, data: Mapping[str, Any]) -> Record:
        """Insert a copy of ``data``, giving it the next ``id`` unless it has one."""
        rows = self._table(table)
        _check_columns(data)
        with self._lock:
            record = copy.deepcopy(dict(data))
            if record.get("id") is None:
                record["id"] = next(self._ids[table])
                while record["id"] in rows:  # skip ids that were given explicitly
                    record["id"] = next(self._ids[table])
            if record["id"] in rows:
                raise ValueError(f"table {table!r} already has a record with id {record['id']!r}")
            rows[record["id"]] = record
            return copy.deepcopy(record)

    def update(self, table: str, id: Any, data: Mapping[str, Any]) -> Record:
        """Change the given columns of record ``id``."""
        rows = self._table(table)
        _check_columns(data)
        with self._lock:
            if id not in rows:
                raise LookupError(f"table {table!r} has no record with id {id!r}")
            rows[id].update(copy.deepcopy({key: value for key, value in data.items() if key != "id"}))
            return copy.deepcopy(rows[id])

    def delete(self, table: str, id: Any) -> bool:
        """Delete record ``id``; return whether it existed."""
        rows = self._table(table)
        with self._lock:
            return rows.pop(id, None) is not None

    def records(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Return copies of the matching records."""
        rows = self._table(table)
        _check_columns(where)
        order = parse_sort(sort)
        limit = check_limit(limit)
        with self._lock:
            matching = [copy.deepcopy(row) for row in rows.values() if _matches(row, where)]
        # Sort by the last key first: Python's sort is stable, so earlier keys win.
        for column, descending in reversed(order):
            matching.sort(key=lambda row: _sort_key(row.get(column)), reverse=descending)
        return matching if limit is None else matching[:limit]

    def count(self, table: str, where: Mapping[str, Any] | None = None) -> int:
        """Return how many records match ``where``."""
        rows = self._table(table)
        _check_columns(where)
        with self._lock:
            return sum(1 for row in rows.values() if _matches(row, where))

    def ping(self) -> bool:
        """Memory is always there; take the lock to prove nothing holds it forever."""
        with self._lock:
            return True

    def _table(self, table: str) -> dict[Any, Record]:
        check_identifier("table", table)
        with self._lock:
            if table not in self._tables:
                self._tables[table] = {}
                self._ids[table] = itertools.count(1)
            return self._tables[table]


def _check_columns(columns: Mapping[str, Any] | None) -> None:
    # The same names CursorBackend accepts, so code tried on memory works on SQL.
    for column in columns or ():
        check_identifier("column", column)


def _matches(row: Record, where: Mapping[str, Any] | None) -> bool:
    return not where or all(column in row and row[column] == value for column, value in where.items())


def _sort_key(value: Any) -> tuple[bool, Any]:
    # None sorts first, as NULLS FIRST would; other values compare as themselves.
    return (value is not None, value)
