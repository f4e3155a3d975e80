"""Connections to a SQL database through DB-API 2.0, shared safely between threads.

Each thread gets a connection of its own (DB-API connections are not
generally safe to share). A connection that failed with the driver's
``OperationalError`` or ``InterfaceError`` is dropped, so the next use opens a
fresh one: a database that restarted is reached again without restarting the
application. Connections of threads that have ended are closed the next
time a thread connects, and :meth:`Database.close` closes them all.

A user that touches the database from many threads but one at a time (a
health check, run on whichever thread asks) opts out of that with
``per_thread=False``: the database then keeps one connection and lends it to
one use at a time, so that it holds one connection, not one per thread.

An in-memory SQLite database is the exception: it is one connection, used by
one thread at a time, because SQLite's shared-cache mode fails concurrent
writers at once ("database table is locked") instead of waiting.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from ..exceptions import MissingExtraError
from .connection_details import ConnectionDetails
from .watchdog import WATCHDOG

__all__ = ["Database", "longest_connect"]

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


def longest_connect(details: ConnectionDetails) -> float:
    """The longest that opening a connection to ``details`` can wait, in seconds.

    That is its ``connect_timeout``, except on PostgreSQL, where libpq (and
    psycopg after it) rounds it to whole seconds and never gives up sooner
    than 2 s ("connect_timeout" in libpq's documentation).
    """
    if details.dialect == "postgresql":
        return float(max(2, _whole_seconds(details.connect_timeout)))
    return details.connect_timeout


def _whole_seconds(seconds: float) -> int:
    """``seconds`` as the whole number of seconds psycopg is given."""
    return max(1, round(seconds))


class Database:
    """DB-API connections to the database ``details`` describes: one per thread, or one lent out.

    Args:
        details: where the database is.
        read_timeout: seconds to wait for each reply (MySQL/MariaDB only;
            PyMySQL is the one driver with a client-side read timeout).
        per_thread: when false, keep one connection, lent to one use at a
            time (through :meth:`cursor` and :meth:`ping`, on any thread); a
            use that finds it lent out opens one of its own, closed afterwards.

    Example:
        >>> database = Database(ConnectionDetails.from_url("sqlite:///:memory:"))
        >>> with database.cursor() as cursor:
        ...     cursor.execute("SELECT 1")
    """

    def __init__(
        self, details: ConnectionDetails, read_timeout: float | None = None, per_thread: bool = True
    ) -> None:
        self.details = details
        self.read_timeout = read_timeout
        self.per_thread = per_thread
        self.driver = import_driver(details.dialect)
        self.placeholder = "?" if details.dialect == "sqlite" else "%s"
        self.identifier_quote = "`" if details.dialect == "mysql" else '"'
        # SQLite connections do not break (its OperationalError also means "no such table").
        self._broken_errors: tuple[type[BaseException], ...] = (
            () if details.dialect == "sqlite" else (self.driver.OperationalError, self.driver.InterfaceError)
        )
        self._connections: dict[threading.Thread, Any] = {}
        self._lock = threading.Lock()
        #: per_thread=False: the kept connection while no use holds it, and how many uses hold one.
        self._idle: list[Any] = []
        self._lent = 0
        self._is_closed = False
        self._guard = _QueryGuard(read_timeout) if read_timeout and details.dialect == "postgresql" else None
        self._shared: Any = None
        self._shared_lock = threading.RLock()
        if details.dialect == "sqlite" and details.database == ":memory:":
            self._shared = self._connect()

    def connection(self) -> Any:
        """Return this thread's connection, opening a new one if it is missing or broken.

        Raises:
            RuntimeError: the database was made with ``per_thread=False``, whose
                connection is only lent through :meth:`cursor` and :meth:`ping`.
        """
        if self._shared is not None:
            return self._shared
        if not self.per_thread:
            raise RuntimeError(
                "this Database keeps one connection (per_thread=False) and lends it only through "
                "cursor() and ping(), never for keeps"
            )
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
        """Yield a cursor on this thread's connection (or the lent one), closed afterwards.

        If the driver reports the connection broken, the connection is
        dropped (and replaced on the next use) before the error propagates.
        """
        connection = self._take()
        failure: BaseException | None = None
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except BaseException as error:
            failure = error
            raise
        finally:
            self._give_back(connection, failure)

    def discard(self, connection: Any) -> None:
        """Forget and close ``connection``; its thread will open a new one."""
        with self._lock:
            for thread, known in list(self._connections.items()):
                if known is connection:
                    del self._connections[thread]
            if connection in self._idle:
                self._idle.remove(connection)
        self._close_quietly(connection)

    def ping(self) -> bool:
        """Run ``SELECT 1`` on a real connection; raise if the database does not answer.

        With a ``read_timeout`` on PostgreSQL, whose driver has no read
        timeout of its own, the connection's socket is shut down when the
        timeout passes, which ends the wait with an error.
        """
        # No context managers here: this is every uncached probe's path, and each costs microseconds.
        connection = self._take()
        failure: BaseException | None = None
        try:
            cursor = connection.cursor()
            guard = self._guard
            try:
                if guard is not None:
                    guard.start(connection)
                try:
                    cursor.execute("SELECT 1")
                    cursor.fetchone()
                finally:
                    if guard is not None:
                        guard.end(connection)
            finally:
                cursor.close()
        except BaseException as error:
            failure = error
            raise
        finally:
            self._give_back(connection, failure)
        return True

    def _take(self) -> Any:
        """A connection for one use: the in-memory one (locked), this thread's, or the lent one."""
        if self._shared is not None:
            self._shared_lock.acquire()
            return self._shared
        if self.per_thread:
            return self.connection()
        with self._lock:
            connection = self._idle.pop() if self._idle else None
            self._lent += 1
        try:
            if connection is not None and self._is_usable(connection):
                return connection
            if connection is not None:
                self._close_quietly(connection)
            return self._connect()
        except BaseException:
            with self._lock:
                self._lent -= 1
            raise

    def _give_back(self, connection: Any, failure: BaseException | None) -> None:
        """End a use of ``connection`` that raised ``failure`` (``None``: it went well)."""
        if self._shared is not None:
            self._shared_lock.release()
            return
        is_broken = isinstance(failure, self._broken_errors)
        if self.per_thread:
            if is_broken:
                self.discard(connection)
            return
        # A connection interrupted mid-query (KeyboardInterrupt, say) may be out of step: not kept.
        is_kept = not is_broken and (failure is None or isinstance(failure, Exception))
        with self._lock:
            self._lent -= 1
            is_kept = is_kept and not self._idle and not self._is_closed
            if is_kept:
                self._idle.append(connection)
        if not is_kept:
            self._close_quietly(connection)

    def close(self) -> None:
        """Close every connection this object opened (a lent one when its use ends)."""
        with self._lock:
            connections = [*self._connections.values(), *self._idle]
            self._connections.clear()
            self._idle.clear()
            self._is_closed = not self.per_thread
        for connection in connections:
            self._close_quietly(connection)
        if self._shared is not None:
            self._close_quietly(self._shared)

    def __del__(self) -> None:
        # A Database dropped without close() still ends its connections cleanly.
        with contextlib.suppress(Exception):
            self.close()

    def open_connection_count(self) -> int:
        """How many connections are currently held (one per thread that used the database, or lent)."""
        if self._shared is not None:
            return 1
        with self._lock:
            return len(self._connections) + len(self._idle) + self._lent

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
                connect_timeout=_whole_seconds(details.connect_timeout),
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


class _QueryGuard:
    """Shuts down the socket of a PostgreSQL query still running ``timeout`` seconds after it started.

    A watchdog callback scheduled for every query, and cancelled when it
    ends, would still wake the watchdog's thread once per query, when its
    deadline came by: a thread switch, and a GIL hand-over, per probe. The
    guard keeps the deadlines of the queries running now and one callback in
    the watchdog, which shuts down the queries past their deadline and comes
    back at the earliest remaining one: a wake-up per ``timeout`` at most.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._deadlines: dict[Any, float] = {}
        self._is_scheduled = False

    def start(self, connection: Any) -> None:
        """Note that a query starts on ``connection``."""
        deadline = time.monotonic() + self.timeout
        with self._lock:
            self._deadlines[connection] = deadline
            if self._is_scheduled:
                return
            self._is_scheduled = True
        WATCHDOG.schedule(self.timeout, self._patrol)

    def end(self, connection: Any) -> None:
        """Note that the query on ``connection`` has ended."""
        with self._lock:
            self._deadlines.pop(connection, None)

    def _patrol(self) -> None:
        now = time.monotonic()
        with self._lock:
            for connection, deadline in list(self._deadlines.items()):
                if deadline <= now:
                    del self._deadlines[connection]
                    _shut_down(connection)  # under the lock: the query cannot end and another start
            earliest = min(self._deadlines.values(), default=None)
            self._is_scheduled = earliest is not None
        if earliest is not None:
            WATCHDOG.schedule(max(0.0, earliest - now), self._patrol)


def _shut_down(connection: Any) -> None:
    """Shut down the socket under a PostgreSQL connection, waking whoever waits on it."""
    with contextlib.suppress(OSError, ValueError):
        duplicate = socket.socket(fileno=os.dup(connection.fileno()))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()
