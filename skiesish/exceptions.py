"""The exceptions skiesish raises, in one small hierarchy.

Every message says what went wrong, what was expected and what arrived, so
that the traceback alone is enough to fix the mistake.
"""

from __future__ import annotations

import threading

__all__ = [
    "BackendError",
    "CircularDependencyError",
    "ConfigurationError",
    "DatabaseNotConfiguredError",
    "DependencyError",
    "HealthError",
    "MissingExtraError",
    "SkiesishError",
    "UnknownDependencyError",
    "stops_the_interpreter",
]


class SkiesishError(Exception):
    """The base class of every error skiesish raises on purpose."""


class ConfigurationError(SkiesishError, ValueError):
    """A handler, application or context was configured wrongly.

    Raised at build time, before the first request, naming the handler, the
    offending key and what was allowed.
    """


class DependencyError(SkiesishError):
    """The DI container could not provide a dependency."""


class UnknownDependencyError(DependencyError, LookupError):
    """No binding, class, additional config or ``provide_`` method has this name."""


class CircularDependencyError(DependencyError):
    """Building a dependency needed itself, directly or through others."""


class BackendError(SkiesishError):
    """A backend could not be built or could not reach its store."""


class DatabaseNotConfiguredError(BackendError, ConfigurationError):
    """``cursor_backend`` was asked for but no database is configured."""


class MissingExtraError(SkiesishError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class HealthError(SkiesishError):
    """Raised by a health check to fail with a message of its own.

    Example:
        >>> def disk_has_room():
        ...     raise HealthError("only 2% of /var is free")
    """


def stops_the_interpreter(error: BaseException) -> bool:
    """Whether ``error`` must be let through: it stops the process, not one request or check.

    Only ``KeyboardInterrupt`` and ``SystemExit`` on the main thread, where
    Ctrl-C and signal handlers raise them, do. Raised anywhere else (a check's
    thread, a server's worker thread) they are some code's failure, to be
    answered and logged like any other.
    """
    return isinstance(error, (KeyboardInterrupt, SystemExit)) and (
        threading.current_thread() is threading.main_thread()
    )
