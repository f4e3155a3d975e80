"""Django-native checks: databases, caches, storages, mail, migrations and Django's system checks.

Each function returns a :class:`skiesish.Check` (or a list of them, one per
alias) to put in ``SKIESISH``'s ``live``, ``ready`` or ``startup`` lists, or
in any skiesish check list once Django is set up. Aliases are checked when the
check is built: one that ``DATABASES``, ``CACHES`` or ``STORAGES`` lacks is
refused then, naming the aliases there are. Each check exercises its service
for real and reports its latency; ``check_options`` are :class:`~skiesish.Check`'s
own (``timeout``, ``critical``, ``tags``, ``success_ttl``, ``failed_ttl``).

Example:
    >>> from skiesish.integrations.django import checks
    >>> checks.database()              # [database:default, database:replica, ...]
    >>> checks.cache("default", timeout=2)
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.core.cache import caches  # type: ignore[import-untyped]
from django.core.cache.backends.dummy import DummyCache  # type: ignore[import-untyped]
from django.core.files.base import ContentFile  # type: ignore[import-untyped]
from django.core.files.storage import storages  # type: ignore[import-untyped]
from django.core.mail import get_connection  # type: ignore[import-untyped]
from django.db import DEFAULT_DB_ALIAS, connections  # type: ignore[import-untyped]
from django.utils.module_loading import import_string  # type: ignore[import-untyped]

from ...checks.base import DEFAULT_SOCKET_TIMEOUT, Lazy, build_check, latency
from ...exceptions import ConfigurationError, HealthError
from ...health import Check
from ._connections import closes_connections
from ._database import CheckConnection

__all__ = ["cache", "database", "mail", "migrations", "storage", "system_checks"]

#: How long the cache check's key lives, should its delete not arrive.
CACHE_KEY_SECONDS = 30
#: The most system-check errors a failing ``system_checks`` names.
SHOWN_ERRORS = 5

Alias = str | list[str] | tuple[str, ...] | None


def _aliases(kind: str, alias: Any, configured: Mapping[str, Any], setting: str) -> list[str]:
    """The aliases ``alias`` means (``None``: all of ``configured``), each one known to ``setting``.

    Raises:
        ConfigurationError: an alias ``setting`` lacks (naming those it has), or nothing to check.
    """
    known = ", ".join(repr(name) for name in configured) or "none"
    if alias is None:
        aliases = list(configured)
    elif isinstance(alias, str):
        aliases = [alias]
    elif isinstance(alias, (list, tuple)) and all(isinstance(name, str) for name in alias):
        aliases = list(dict.fromkeys(alias))
    else:
        raise ConfigurationError(
            f"{kind}(): alias must be None (every alias), an alias of {setting} or a list of them, "
            f"got {type(alias).__name__} {alias!r:.80}"
        )
    unknown = next((name for name in aliases if name not in configured), None)
    if unknown is not None:
        raise ConfigurationError(f"{kind}(): {setting} has no alias {unknown!r}; its aliases: {known}")
    if not aliases:
        raise ConfigurationError(f"{kind}(): no alias to check: {setting} is empty or the list given is")
    return aliases


def _per_alias(
    kind: str,
    alias: Any,
    setting: str,
    make: Callable[[str], Callable[..., Any]],
    name: str | None,
    check_options: dict[str, Any],
) -> Check | list[Check]:
    """One check per alias, named ``kind:alias`` (or ``name``); a lone string alias gives a lone check."""
    aliases = _aliases(kind, alias, getattr(settings, setting), setting)
    if name is not None and len(aliases) > 1:
        raise ConfigurationError(
            f"{kind}(): name= names one check, but {len(aliases)} aliases were asked for "
            f"({', '.join(aliases)}); give one alias, or leave the names as {kind}:<alias>"
        )
    built = [build_check(make(each), name or f"{kind}:{each}", check_options) for each in aliases]
    return built[0] if isinstance(alias, str) else built


def database(alias: Alias = None, *, name: str | None = None, **check_options: Any) -> Check | list[Check]:
    """``SELECT 1`` on each ``DATABASES`` alias (``None``: every alias), on a connection of its own.

    Each check keeps one connection to its alias, made with the alias's
    settings, and treats each run as Django treats a request: the connection
    is closed at the end of the run with ``CONN_MAX_AGE`` 0, kept for the
    next run while younger than a positive ``CONN_MAX_AGE``, and dropped when
    broken. So the engine's threads, which Django's request signals never
    reach, hold no connection of their own: none leaks, whatever
    ``CONN_MAX_AGE``. A kept connection that the database dropped (a restart)
    is replaced and the query tried again on a new one, so a database that is
    back is never reported failed. See :mod:`._database`.

    Args:
        alias: an alias, a list of them, or ``None`` for every alias (one check each).
        name: the check's name when there is one alias (default ``database:<alias>``).

    Returns:
        A check for a string ``alias``, else a list of checks.

    Example:
        >>> database()                     # [database:default, ...], one per alias
        >>> database("replica", timeout=2)
    """
    return _per_alias("database", alias, "DATABASES", _select_one, name, check_options)


def _select_one(alias: str) -> Callable[[], tuple[bool, str]]:
    connection = CheckConnection(alias)

    def database_answers() -> tuple[bool, str]:
        started = time.perf_counter()
        row = connection.select_one()
        if row is None or row[0] != 1:
            raise HealthError(f"SELECT 1 returned {row!r:.40}")
        return True, f"SELECT 1 in {latency(started)}"

    database_answers.close = connection.close  # type: ignore[attr-defined]
    database_answers.connection = connection  # type: ignore[attr-defined]
    database_answers.closes_connections = True  # type: ignore[attr-defined]
    return database_answers


def cache(alias: Alias = None, *, name: str | None = None, **check_options: Any) -> Check | list[Check]:
    """Set, get and delete a key of its own in each ``CACHES`` alias (``None``: every alias).

    Each check keeps one backend of its alias, made from the same settings
    on its first run and reused by the next (Django's ``caches[alias]`` is
    per thread and context, which would make a new client, and for Redis or
    Memcached a new connection pool, on every run). ``DummyCache``, which
    keeps nothing by design, passes without a round trip.

    Example:
        >>> cache()                        # [cache:default, ...], one per alias
        >>> cache("sessions", critical=False)
    """
    return _per_alias("cache", alias, "CACHES", _set_get_delete, name, check_options)


def _set_get_delete(alias: str) -> Callable[[], tuple[bool, str]]:
    holder = Lazy(lambda: _new_cache(alias))

    def cache_answers() -> tuple[bool, str]:
        backend = holder.get()
        if isinstance(backend, DummyCache):
            return True, "DummyCache keeps nothing: nothing to check"
        key = f"skiesish-health-{uuid.uuid4().hex}"
        value = uuid.uuid4().hex
        started = time.perf_counter()
        backend.set(key, value, timeout=CACHE_KEY_SECONDS)
        try:
            found = backend.get(key)
        finally:
            backend.delete(key)
        if found != value:
            raise HealthError(f"a key just set read back as {found!r:.40}, not the value set")
        return True, f"set, get and delete in {latency(started)}"

    cache_answers.close = holder.close  # type: ignore[attr-defined]
    return cache_answers


def _new_cache(alias: str) -> Any:
    return caches.create_connection(alias)


def storage(alias: str = "default", *, name: str | None = None, **check_options: Any) -> Check:
    """Save, read back and delete a small file of its own on the ``STORAGES`` alias ``alias``.

    Example:
        >>> storage()                      # storage:default
        >>> storage("media", timeout=10)
    """
    if not isinstance(alias, str):
        raise ConfigurationError(f"storage(): alias must be an alias of STORAGES, got {alias!r:.80}")
    checks = _per_alias("storage", alias, "STORAGES", _save_read_delete, name, check_options)
    assert isinstance(checks, Check)
    return checks


def _save_read_delete(alias: str) -> Callable[[], tuple[bool, str]]:
    def storage_answers() -> tuple[bool, str]:
        backend = storages[alias]
        content = uuid.uuid4().hex.encode("ascii")
        started = time.perf_counter()
        saved = backend.save(f"skiesish-health-{uuid.uuid4().hex}.txt", ContentFile(content))
        try:
            with backend.open(saved, "rb") as file:
                found = file.read()
        finally:
            backend.delete(saved)
        if found != content:
            raise HealthError(f"the file just saved as {saved!r} read back as {found!r:.40}")
        return True, f"save, read and delete in {latency(started)}"

    return storage_answers


def mail(backend: str | None = None, *, name: str | None = None, **check_options: Any) -> Check:
    """Open and close a connection of the email backend (``EMAIL_BACKEND`` by default).

    For the SMTP backend that is a real connection to ``EMAIL_HOST``
    (``EHLO``, and ``STARTTLS`` and login when configured), bounded by
    ``EMAIL_TIMEOUT``, else 2 s, and never longer than the check's own
    ``timeout``. No message is sent.

    Example:
        >>> mail()
        >>> mail("django.core.mail.backends.smtp.EmailBackend", timeout=5)
    """
    path = settings.EMAIL_BACKEND if backend is None else backend
    if not isinstance(path, str) or not path:
        raise ConfigurationError(
            f"mail(): backend must be the dotted path of an email backend, got {path!r:.80}"
        )
    try:
        import_string(path)
    except ImportError as error:
        raise ConfigurationError(f"mail(): cannot import the email backend {path!r}: {error}") from None
    socket_timeout = DEFAULT_SOCKET_TIMEOUT  # set below, once the options are known to be valid

    def mail_answers() -> tuple[bool, str]:
        connection = get_connection(path, fail_silently=False)
        if hasattr(connection, "timeout"):
            connection.timeout = socket_timeout
        started = time.perf_counter()
        try:
            connection.open()
        finally:
            connection.close()
        return True, f"opened and closed in {latency(started)}"

    check = build_check(mail_answers, name or "mail", check_options)
    socket_timeout = float(getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SOCKET_TIMEOUT)
    if check.timeout is not None:
        socket_timeout = min(socket_timeout, check.timeout)
    return check


def migrations(*, name: str | None = None, **check_options: Any) -> Check:
    """Pass when the ``default`` database has every migration applied; meant for ``/startupz``.

    Only ``default`` is read, as ``runserver``'s own warning does: other
    databases (read replicas, say) are often never migrated themselves.

    Example:
        >>> SKIESISH = {"startup": ["migrations"]}
    """
    _aliases("migrations", DEFAULT_DB_ALIAS, settings.DATABASES, "DATABASES")

    def migrations_applied() -> tuple[bool, str]:
        from django.db.migrations.executor import MigrationExecutor  # type: ignore[import-untyped]

        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            shown = ", ".join(
                f"{migration.app_label}.{migration.name}" for migration, _ in plan[:SHOWN_ERRORS]
            )
            more = f" and {len(plan) - SHOWN_ERRORS} more" if len(plan) > SHOWN_ERRORS else ""
            raise HealthError(f"{len(plan)} unapplied migration(s): {shown}{more}; run manage.py migrate")
        return True, "every migration is applied"

    return build_check(closes_connections(migrations_applied), name or "migrations", check_options)


def system_checks(*, name: str | None = None, **check_options: Any) -> Check:
    """Pass unless Django's system checks (those ``manage.py check`` runs) find an error.

    Warnings, and messages silenced by ``SILENCED_SYSTEM_CHECKS``, do not
    fail it; the number of warnings is said in its output.

    Example:
        >>> SKIESISH = {"startup": ["migrations", "system_checks"]}
    """

    def system_checks_pass() -> tuple[bool, str]:
        from django.core import checks  # type: ignore[import-untyped]

        messages = [message for message in checks.run_checks() if not message.is_silenced()]
        errors = [message for message in messages if message.is_serious()]
        if errors:
            shown = "; ".join(f"{error.id or 'error'}: {error.msg}" for error in errors[:SHOWN_ERRORS])
            more = f"; and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
            raise HealthError(f"{len(errors)} system check error(s): {shown}{more}")
        return True, f"no errors, {len(messages)} warning(s)"

    return build_check(closes_connections(system_checks_pass), name or "system_checks", check_options)


#: The checks ``SKIESISH`` may name by a word (``"database"``), each built with its defaults.
BY_NAME: dict[str, Callable[..., Check | list[Check]]] = {
    "database": database,
    "cache": cache,
    "storage": storage,
    "mail": mail,
    "migrations": migrations,
    "system_checks": system_checks,
}
