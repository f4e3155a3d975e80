"""django-health-check's checks of Django's own services, built on skiesish's native Django checks.

``Cache``, ``Database``, ``Mail`` and ``Storage`` take django-health-check's
options and raise its exceptions with its messages; the work itself is done
by :mod:`skiesish.integrations.django.checks` (which, for instance, closes
the database connection a run opens, and keeps one cache client per check).
An alias that the settings lack fails the check when it runs, as in
django-health-check, rather than when the URLconf is read.

Example:
    >>> HealthCheckView.as_view(checks=[Database, (Cache, {"alias": "sessions"})])
"""

from __future__ import annotations

import dataclasses
import datetime
import smtplib
import threading
from collections.abc import Callable
from typing import Any

from ....exceptions import ConfigurationError, HealthError
from ....health import Check
from ....health.outcome import interpret_return
from .. import checks as native
from .base import HealthCheck
from .exceptions import ServiceReturnedUnexpectedResult, ServiceUnavailable

__all__ = ["Cache", "Database", "Mail", "Storage"]

_BUILDING = threading.Lock()


@dataclasses.dataclass
class NativeCheck(HealthCheck):
    """A check whose work is a native skiesish check, built on its first run and kept.

    Subclasses say how to build it (:meth:`build_native`) and what its
    failures mean (:meth:`run`).
    """

    def build_native(self) -> Check:
        """The native check to run (raises ``ConfigurationError`` for an alias the settings lack)."""
        raise NotImplementedError

    def native_check(self) -> Check:
        """The native check, built once (it may keep a client, such as the cache's)."""
        built: Check | None = self.__dict__.get("_native")
        if built is None:
            with _BUILDING:
                built = self.__dict__.get("_native")
                if built is None:
                    built = self.__dict__["_native"] = self.build_native()
        return built

    def run_native(self) -> None:
        """Run the native check once; its failure is raised as a ``HealthError`` with its text."""
        passed, output = interpret_return(self.native_check().func())
        if not passed:
            raise HealthError(output)

    def _close_native(self) -> None:
        """Close what the native check keeps (the engine calls this when it closes)."""
        built = self.__dict__.pop("_native", None)
        close: Callable[[], Any] | None = getattr(getattr(built, "func", None), "close", None)
        if close is not None:
            close()

    def run(self) -> None:
        self.run_native()


def _seconds(timeout: Any) -> float | None:
    """``timeout`` in seconds for a native check, or ``None`` when it is not a positive duration."""
    if isinstance(timeout, datetime.timedelta) and timeout.total_seconds() > 0:
        return timeout.total_seconds()
    return None


@dataclasses.dataclass
class Cache(NativeCheck):
    """Set, read back and delete a key in the cache ``alias``.

    Args:
        alias: the ``CACHES`` alias.
        key_prefix: accepted for compatibility; skiesish's check names its keys
            ``skiesish-health-<uuid>`` and deletes each after reading it.
        timeout: the check's deadline (less one second of grace).
    """

    alias: str = "default"
    key_prefix: str = dataclasses.field(default="djangohealthcheck_test", repr=False)
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=5), repr=False)

    def build_native(self) -> Check:
        built = native.cache(self.alias)
        assert isinstance(built, Check)
        return built

    def run(self) -> None:
        from django.core.cache import CacheKeyWarning  # type: ignore[import-untyped, unused-ignore]

        try:
            self.run_native()
        except ConfigurationError as error:
            raise ServiceUnavailable("Cache alias does not exist") from error
        except HealthError as error:
            raise ServiceUnavailable(str(error)) from None
        except CacheKeyWarning as error:
            raise ServiceReturnedUnexpectedResult("Cache key warning") from error
        except ValueError as error:
            raise ServiceReturnedUnexpectedResult("ValueError") from error
        except Exception as error:
            if isinstance(error, ConnectionError) or _is_redis_error(error):
                raise ServiceReturnedUnexpectedResult("Connection Error") from error
            raise


def _is_redis_error(error: Exception) -> bool:
    """Whether ``error`` is redis-py's (whose errors are no ``ConnectionError``), without importing redis."""
    return any(
        cls.__module__.startswith("redis") and cls.__name__ == "RedisError" for cls in type(error).__mro__
    )


@dataclasses.dataclass
class Database(NativeCheck):
    """Run ``SELECT 1`` on the database ``alias``; reads and writes no table.

    Args:
        alias: the ``DATABASES`` alias.
    """

    alias: str = "default"

    def build_native(self) -> Check:
        built = native.database(self.alias)
        assert isinstance(built, Check)
        return built

    def run(self) -> None:
        from django.db import Error as DatabaseError  # type: ignore[import-untyped, unused-ignore]

        try:
            self.run_native()
        except ConfigurationError as error:
            raise ServiceUnavailable("Database alias does not exist") from error
        except HealthError:
            raise ServiceUnavailable("Health Check query did not return the expected result.") from None
        except DatabaseError as error:
            # The driver's message up to its first colon: the kind of failure, not the server's details.
            raise ServiceUnavailable(str(error).split(":", 1)[0]) from error


@dataclasses.dataclass
class Mail(NativeCheck):
    """Open and close a connection of the email backend; no message is sent.

    Args:
        backend: the backend's dotted path (default ``EMAIL_BACKEND``).
        alias: the mailer alias (Django 6.1's ``MAILERS``); accepted for
            compatibility, the backend being ``backend`` or ``EMAIL_BACKEND``.
        timeout: the check's deadline (less one second of grace), which also
            bounds the connection's own timeout.
    """

    backend: str | None = dataclasses.field(default=None, repr=False)
    alias: str = "default"
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=15), repr=False)

    def build_native(self) -> Check:
        seconds = _seconds(self.timeout)
        return native.mail(self.backend) if seconds is None else native.mail(self.backend, timeout=seconds)

    def run(self) -> None:
        try:
            self.run_native()
        except ConfigurationError as error:
            raise ServiceUnavailable("Email backend cannot be imported") from error
        except smtplib.SMTPException as error:
            raise ServiceUnavailable("Failed to open connection with SMTP server") from error
        except ConnectionRefusedError as error:
            raise ServiceUnavailable("Connection refused error") from error


@dataclasses.dataclass
class Storage(NativeCheck):
    """Save a small file on the storage ``alias``, read it back and delete it.

    Args:
        alias: the ``STORAGES`` alias.
    """

    alias: str = "default"

    def build_native(self) -> Check:
        return native.storage(self.alias)

    def run(self) -> None:
        try:
            self.run_native()
        except ConfigurationError as error:
            raise ServiceUnavailable("Storage alias does not exist") from error
        except HealthError:
            raise ServiceUnavailable("File content does not match") from None
