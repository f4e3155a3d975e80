"""Connections to a SQL database through DB-API 2.0, shared safely between threads.

Each thread gets a connection of its own (DB-API connections are not
generally safe to share). A connection that failed with the driver's
``OperationalError`` or ``InterfaceError`` is dropped, so the next use opens a
fresh one: a database that restarted is reached again without restarting the
application.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
import uuid
import weakref
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from ..exceptions import MissingExtraError
from .connection_details import ConnectionDetails

__all__ = ["Database"]

_DRIVERS = {
    "sqlite": ("sqlite3", None),
    "postgresql": ("psycopg", "postgres"),
    "mysql": ("pymysql", "mysql"),
}


def _import_driver(dialect: str) -> ModuleType:
    module_name, extra = _DRIVERS[dialect]
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise MissingExtraError(
            f"{dialect} databases need the {module_name} driver: pip install 'skiesish[{extra}]'"
        ) from error


class Database:
    """Per-thread DB-API connections to the database ``details`` describes.

    Args:
        details: where the database is.

    Example:
        >>> database = Database(ConnectionDetails.from_url("sqlite:///:memory:"))
        >>> with database.cursor() as cursor:
        ...     cursor.execute("SELECT 1")
    """

    def __init__(self, details: ConnectionDetails) -> None:
        self.details = details
        self.driver = _import_driver(details.dialect)
        self.placeholder = "?" if details.dialect == "sqlite" else "%s"
        self.identifier_quote = "`" if details.dialect == "mysql" else '"'
        self._broken_errors: tuple[type[BaseException], ...] = (
            self.driver.OperationalError,
            self.driver.InterfaceError,
        )
        self._connections: weakref.WeakKeyDictionary[threading.Thread, Any] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._memory_anchor: Any = None
        self._sqlite_target = details.database
        if details.dialect == "sqlite" and details.database == ":memory:":
            # Every thread must see the same in-memory database: name a shared-cache
            # database and keep one connection open so that it lives as long as we do.
            self._sqlite_target = f"file:skiesish-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._memory_anchor = self._connect()

    def connection(self) -> Any:
        """Return this thread's connection, opening a new one if it is missing or broken."""
        thread = threading.current_thread()
        connection = self._connections.get(thread)
        if connection is not None and self._is_usable(connection):
            return connection
        if connection is not None:
            self._close_quietly(connection)
        connection = self._connect()
        with self._lock:
            self._connections[thread] = connection
        return connection

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        """Yield a cursor on this thread's connection, closed afterwards.

        If the driver reports the connection broken, the connection is
        dropped (and replaced on the next use) before the error propagates.
        """
        connection = self.connection()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except self._broken_errors:
            self.discard(connection)
            raise

    def discard(self, connection: Any) -> None:
        """Forget and close ``connection``; its thread will open a new one."""
        with self._lock:
            for thread, known in list(self._connections.items()):
                if known is connection:
                    del self._connections[thread]
        self._close_quietly(connection)

    def ping(self) -> bool:
        """Run ``SELECT 1`` on a real connection; raise if the database does not answer."""
        with self.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for connection in connections:
            self._close_quietly(connection)
        if self._memory_anchor is not None:
            self._close_quietly(self._memory_anchor)
            self._memory_anchor = None

    def open_connection_count(self) -> int:
        """How many connections are currently held (one per thread that used the database)."""
        with self._lock:
            return len(self._connections)

    def _connect(self) -> Any:
        details = self.details
        if details.dialect == "sqlite":
            return self.driver.connect(
                self._sqlite_target,
                timeout=details.connect_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=self._sqlite_target.startswith("file:"),
            )
        if details.dialect == "postgresql":
            return self.driver.connect(
                host=details.host,
                port=details.port,
                user=details.username or None,
                password=details.password or None,
                dbname=details.database,
                connect_timeout=max(1, round(details.connect_timeout)),
                autocommit=True,
            )
        return self.driver.connect(
            host=details.host,
            port=details.port,
            user=details.username,
            password=details.password,
            database=details.database,
            connect_timeout=details.connect_timeout,
            autocommit=True,
            cursorclass=self.driver.cursors.Cursor,
        )

    def _is_usable(self, connection: Any) -> bool:
        dialect = self.details.dialect
        if dialect == "postgresql":
            return not (connection.closed or connection.broken)
        if dialect == "mysql":
            return bool(connection.open)
        return True

    @staticmethod
    def _close_quietly(connection: Any) -> None:
        with contextlib.suppress(Exception):
            connection.close()
