"""Closing the Django database connections a check opens on the health engine's threads.

Django keeps one connection per thread and alias, and closes a request
thread's connections when its request starts and ends (the
``request_started``/``request_finished`` signals). The engine runs checks on
threads of its own, which see no requests: a connection opened there would
stay open until the thread ends (one more server connection per thread,
never given back, until the server's limit is reached), or stay in the
thread, broken, after the database restarted, and fail the next run of a
healthy database. So whatever a check's run opens, its run closes.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.db import Error as DatabaseError  # type: ignore[import-untyped]
from django.db import connections

__all__ = ["close_opened", "closes_connections", "open_connections"]


def open_connections() -> set[int]:
    """The identities of this thread's connection wrappers that hold an open connection."""
    return {id(connection) for connection in connections.all(initialized_only=True) if connection.connection}


def close_opened(before: set[int]) -> None:
    """Close this thread's open connections that were not open in ``before`` (see :func:`open_connections`).

    A connection inside a transaction (``atomic``) is left alone: it is not
    ours to end. A failure to close leaves Django's wrapper closed anyway, and
    is not the check's verdict.
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or id(connection) in before or connection.in_atomic_block:
            continue
        with contextlib.suppress(DatabaseError):  # Django forgets the handle even when closing fails
            connection.close()


def closes_connections(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, closing after each call the database connections the call opened in its thread.

    The wrapper keeps ``func``'s signature (through ``__wrapped__``), so DI
    injects the same parameters, and its attributes (a ``close()`` method).
    An ``async def`` function is returned as it is: the ORM refuses to run on
    an event loop, so it opens nothing there.
    """
    if inspect.iscoroutinefunction(func) or getattr(func, "closes_connections", False):
        return func

    @functools.wraps(func)
    def closing(*args: Any, **kwargs: Any) -> Any:
        before = open_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_opened(before)

    closing.closes_connections = True  # type: ignore[attr-defined]
    return closing
