"""The exceptions skiesish raises, in one small hierarchy.

Every message says what went wrong, what was expected and what arrived, so
that the traceback alone is enough to fix the mistake.
"""

from __future__ import annotations

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
