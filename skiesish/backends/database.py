"""Connections to a SQL database through DB-API 2.0, shared safely between threads.

Each thread gets a connection of its own (DB-API connections are not
generally safe to share). A connection that failed with the driver's
``OperationalError`` or ``InterfaceError`` is dropped, so the next use opens a
fresh one: a database that restarted is reached again without restarting the
application. Connections of threads that have ended are closed the next
time a thread connects, and :meth:`Database.close` closes them all.

An in-memory SQLite database is the exception: it is one connection, used by
one thread at a time, because SQLite's shared-cache mode fails concurrent
writers at once ("database table is locked") instead of waiting.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import select
import socket
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from ..exceptions import MissingExtraError
from .connection_details import ConnectionDetails
from .watchdog import WATCHDOG

__all__ = ["Database"]

_DRIVERS = {
    "sqlite": ("sqlite3", None),
    "postgresql": ("psycopg", "postgres"),
    "mysql": ("pymysql", "mysql"),
}


def import_driver(dialect: str) -> ModuleType:
    """Import the DB-API driver of ``dialect``, or raise ``MissingExtraError`` naming the extra."""
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
        read_timeout: seconds to wait for each reply (MySQL/MariaDB only;
            PyMySQL is the one driver with a client-side read timeout).

    Example:
        >>> database = Database(ConnectionDetails.from_url("sqlite:///:memory:"))
        >>> with database.cursor() as cursor:
        ...     cursor.execute("SELECT 1")
    """

    def __init__(self, details: ConnectionDetails, read_timeout: float | None = None) -> None:
        self.details = details
        self.read_timeout = read_timeout
        self.driver = import_driver(details.dialect)
        self.placeholder = "?" if details.dialect == "sqlite" else "%s"
        self.identifier_quote = "`" if details.dialect == "mysql" else '"'
        # SQLite connections do not break (its OperationalError also means "no such table").
        self._broken_errors: tuple[type[BaseException], ...] = (
            () if details.dialect == "sqlite" else (self.driver.OperationalError, self.driver.InterfaceError)
        )
        self._connections: dict[threading.Thread, Any] = {}
        self._lock = threading.Lock()
        self._shared: Any = None
        self._shared_lock = threading.RLock()
        if details.dialect == "sqlite" and details.database == ":memory:":
            self._shared = self._connect()

    def connection(self) -> Any:
        """Return this thread's connection, opening a new one if it is missing or broken."""
        if self._shared is not None:
            return self._shared
        thread = threading.current_thread()
        connection = self._connections.get(thread)
        if connection is not None and self._is_usable(connection):
            return connection
        new_connection = self._connect()
        with self._lock:
            self._connections[thread] = new_connection
            ended = [other for other in self._connections if not other.is_alive()]
            stale = [self._connections.pop(other) for other in ended]
        for old in [connection, *stale]:
            if old is not None:
                self._close_quietly(old)
        return new_connection

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        """Yield a cursor on this thread's connection, closed afterwards.

        If the driver reports the connection broken, the connection is
        dropped (and replaced on the next use) before the error propagates.
        """
        with self._shared_lock if self._shared is not None else contextlib.nullcontext():
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
        """Run ``SELECT 1`` on a real connection; raise if the database does not answer.

        With a ``read_timeout`` on PostgreSQL, whose driver has no read
        timeout of its own, the connection's socket is shut down when the
        timeout passes, which ends the wait with an error.
        """
        with self.cursor() as cursor:
            ticket = None
            if self.read_timeout and self.details.dialect == "postgresql":
                ticket = WATCHDOG.schedule(
                    self.read_timeout, functools.partial(_shut_down, self.connection())
                )
            try:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            finally:
                if ticket is not None:
                    WATCHDOG.cancel(ticket)
        return True

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for connection in connections:
            self._close_quietly(connection)
        if self._shared is not None:
            self._close_quietly(self._shared)

    def __del__(self) -> None:
        # A Database dropped without close() still ends its connections cleanly.
        with contextlib.suppress(Exception):
            self.close()

    def open_connection_count(self) -> int:
        """How many connections are currently held (one per thread that used the database)."""
        if self._shared is not None:
            return 1
        with self._lock:
            return len(self._connections)

    def _connect(self) -> Any:
        details = self.details
        if details.dialect == "sqlite":
            return self.driver.connect(
                details.database,
                timeout=details.connect_timeout,
                isolation_level=None,
                check_same_thread=False,
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
            read_timeout=self.read_timeout,
            write_timeout=self.read_timeout,
            autocommit=True,
            cursorclass=self.driver.cursors.Cursor,
        )

    def _is_usable(self, connection: Any) -> bool:
        """Whether an idle connection can be used: open, and not closed by the server meanwhile.

        A server that closed an idle connection (restart, failover, idle
        timeout) leaves its socket readable; finding that costs one
        ``select`` and saves the caller a failed query.
        """
        dialect = self.details.dialect
        if dialect == "postgresql":
            if connection.closed or connection.broken:
                return False
            descriptor = connection.fileno()
        elif dialect == "mysql":
            socket_ = getattr(connection, "_sock", None)
            if not connection.open or socket_ is None:
                return False
            descriptor = socket_.fileno()
        else:
            return True
        try:
            readable, _, _ = select.select([descriptor], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    @staticmethod
    def _close_quietly(connection: Any) -> None:
        with contextlib.suppress(Exception):
            connection.close()


def _shut_down(connection: Any) -> None:
    """Shut down the socket under a PostgreSQL connection, waking whoever waits on it."""
    with contextlib.suppress(OSError, ValueError):
        duplicate = socket.socket(fileno=os.dup(connection.fileno()))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()
