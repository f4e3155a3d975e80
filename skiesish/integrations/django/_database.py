"""The database check's own connection: kept as Django keeps a request's, never leaked, never stale.

Django keeps a connection per thread and alias, and its request signals
close it when it is past ``CONN_MAX_AGE`` or broken. The health engine runs
checks on threads of its own, which see no request: a check using
``connections[alias]`` there would leave a connection behind in every
engine thread, never closed (django-health-check's "connection limit
exceeded"), or keep one that broke when the database restarted and fail the
next run of a healthy database.

So each database check owns one connection wrapper of its alias (same
settings, ``connections.create_connection(alias)``) and treats each run as
Django treats a request: ``close_if_unusable_or_obsolete()`` before and
after, so that ``CONN_MAX_AGE`` 0 closes it at the end of every run and a
positive age keeps it, for that long, for the next run on whichever engine
thread. A kept connection that fails (the server restarted, and
``CONN_HEALTH_CHECKS`` is off) is replaced and the query tried once more on
a new one: only a database that refuses a new connection fails the check.
Runs of one check never overlap (the engine runs each check once at a time;
a lock covers a check shared by two engines), so the wrapper is shared
between threads but never used by two at once. A forked process (a gunicorn
worker forked from a master whose probe listener ran the checks) starts
with no connection, and leaves the one it inherited to the parent.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from typing import Any

from django.db import Error as DatabaseError  # type: ignore[import-untyped]
from django.db import connections

__all__ = ["CheckConnection"]


class CheckConnection:
    """One check's connection to the database ``alias``, made on first use.

    Args:
        alias: a ``DATABASES`` alias.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self._wrapper: Any = None
        self._lock = threading.Lock()
        _EVERY.add(self)

    def select_one(self) -> Any:
        """Run ``SELECT 1`` and return the row; a kept connection that failed is replaced once.

        Raises:
            django.db.Error: the database refused a new connection, or the query on it.
        """
        with self._lock:
            wrapper = self._wrapper_for_run()
            wrapper.close_if_unusable_or_obsolete()  # as request_started does
            is_kept = wrapper.connection is not None
            try:
                return _select_one(wrapper)
            except DatabaseError:
                _close(wrapper)
                if not is_kept:
                    raise
                return _select_one(wrapper)  # the kept connection broke: once more, on a new one
            finally:
                # As request_finished does: with CONN_MAX_AGE 0 the connection closes here.
                wrapper.close_if_unusable_or_obsolete()

    def close(self) -> None:
        """Close the connection, if one is open (the engine calls this when it closes)."""
        wrapper = self._wrapper
        if wrapper is not None:
            _close(wrapper)

    @property
    def is_open(self) -> bool:
        """Whether a connection is open between runs now (``CONN_MAX_AGE`` above 0 keeps it)."""
        return self._wrapper is not None and self._wrapper.connection is not None

    def _wrapper_for_run(self) -> Any:
        if self._wrapper is None:
            self._wrapper = connections.create_connection(self.alias)
            # Each run may come on another engine thread; the lock keeps them from overlapping.
            self._wrapper.inc_thread_sharing()
        return self._wrapper


def _select_one(wrapper: Any) -> Any:
    with wrapper.cursor() as cursor:
        cursor.execute(f"SELECT 1{wrapper.features.bare_select_suffix}")
        return cursor.fetchone()


def _close(wrapper: Any) -> None:
    """Close ``wrapper``'s connection; Django forgets the handle even when closing it fails."""
    with contextlib.suppress(DatabaseError):
        wrapper.close()


#: Every check connection of this process, for :func:`_forget_after_fork`.
_EVERY: weakref.WeakSet[CheckConnection] = weakref.WeakSet()
#: Connections a forked child inherited: kept, so that it neither uses nor closes them (closing
#: would end them for the parent too, say a gunicorn master whose probe listener runs the checks).
_INHERITED: list[Any] = []


def _forget_after_fork() -> None:
    """In a forked child, start every check connection afresh; the parent keeps its own."""
    for connection in list(_EVERY):
        if connection._wrapper is not None:
            _INHERITED.append(connection._wrapper)
            connection._wrapper = None
        connection._lock = threading.Lock()  # a parent's thread may have held it at the fork


os.register_at_fork(after_in_child=_forget_after_fork)
