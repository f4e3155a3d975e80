"""The table API over a real SQL database, with parameterized SQL only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import Backend, Record, check_identifier, check_limit, parse_sort
from .database import Database

__all__ = ["CursorBackend"]


class CursorBackend(Backend):
    """Records in SQL tables (SQLite, PostgreSQL, MySQL/MariaDB) through DB-API 2.0.

    Tables must exist and have an auto-generated ``id`` primary key. Values
    always travel as query parameters; table and column names are held to
    plain identifiers and quoted.

    Args:
        database: the connections to use (the ``database`` dependency).
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._mark = database.placeholder
        self._quote = database.identifier_quote

    def create(self, table: str, data: Mapping[str, Any]) -> Record:
        """Insert a record and return it as stored, ``id`` included."""
        columns = list(data)
        names = ", ".join(self._name("column", column) for column in columns)
        marks = ", ".join(self._mark for _ in columns)
        statement = (
            f"INSERT INTO {self._name('table', table)} ({names}) VALUES ({marks})"
            if columns
            else f"INSERT INTO {self._name('table', table)} DEFAULT VALUES"
        )
        if not columns and self.database.details.dialect == "mysql":
            statement = f"INSERT INTO {self._name('table', table)} () VALUES ()"
        values = [data[column] for column in columns]
        with self.database.cursor() as cursor:
            if self.database.details.dialect == "postgresql":
                cursor.execute(statement + " RETURNING *", values)
                return _rows(cursor)[0]
            cursor.execute(statement, values)
            new_id = data.get("id", cursor.lastrowid)
        return self._fetch_one(table, new_id)

    def update(self, table: str, id: Any, data: Mapping[str, Any]) -> Record:
        """Change the given columns of record ``id`` and return the whole record."""
        changes = {column: value for column, value in data.items() if column != "id"}
        if changes:
            assignments = ", ".join(f"{self._name('column', column)} = {self._mark}" for column in changes)
            condition, values = self._where({"id": id})
            with self.database.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {self._name('table', table)} SET {assignments}{condition}",
                    [*changes.values(), *values],
                )
        return self._fetch_one(table, id)

    def delete(self, table: str, id: Any) -> bool:
        """Delete record ``id``; return whether it existed."""
        condition, values = self._where({"id": id})
        with self.database.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self._name('table', table)}{condition}", values)
            return bool(cursor.rowcount)

    def records(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Return the matching records as dicts."""
        condition, values = self._where(where)
        order = ", ".join(
            f"{self._name('column', column)} {self._direction(descending)}"
            for column, descending in parse_sort(sort)
        )
        statement = f"SELECT * FROM {self._name('table', table)}{condition}"
        if order:
            statement += f" ORDER BY {order}"
        limit = check_limit(limit)
        if limit is not None:
            statement += f" LIMIT {limit:d}"
        with self.database.cursor() as cursor:
            cursor.execute(statement, values)
            return _rows(cursor)

    def count(self, table: str, where: Mapping[str, Any] | None = None) -> int:
        """Return how many records match ``where``."""
        condition, values = self._where(where)
        with self.database.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self._name('table', table)}{condition}", values)
            return int(cursor.fetchone()[0])

    def ping(self) -> bool:
        """Run ``SELECT 1`` on a real connection; raise if the database does not answer."""
        return self.database.ping()

    def _fetch_one(self, table: str, id: Any) -> Record:
        found = self.records(table, where={"id": id}, limit=1)
        if not found:
            raise LookupError(f"table {table!r} has no record with id {id!r}")
        return found[0]

    def _where(self, where: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
        if not where:
            return "", []
        # "= NULL" matches nothing in SQL; None means "is missing", as in memory_backend.
        terms = " AND ".join(
            f"{self._name('column', column)} IS NULL"
            if value is None
            else f"{self._name('column', column)} = {self._mark}"
            for column, value in where.items()
        )
        return f" WHERE {terms}", [value for value in where.values() if value is not None]

    def _direction(self, descending: bool) -> str:
        # NULLs sort first ascending, as SQLite, MySQL and memory_backend do; PostgreSQL must be told.
        if self.database.details.dialect == "postgresql":
            return "DESC NULLS LAST" if descending else "ASC NULLS FIRST"
        return "DESC" if descending else "ASC"

    def _name(self, kind: str, name: str) -> str:
        check_identifier(kind, name)
        return f"{self._quote}{name}{self._quote}"


def _rows(cursor: Any) -> list[Record]:
    columns = [description[0] for description in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
