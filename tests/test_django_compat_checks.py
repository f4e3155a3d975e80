"""The drop-in's checks on real services: SQLite, PostgreSQL, MariaDB, Redis, SMTP, files, disk, memory."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import urllib.parse
import uuid
import warnings
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from conftest import MYSQL_URL, POSTGRES_URL, REDIS_URL, require_server
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connections
from django.test import RequestFactory, override_settings

from skiesish.exceptions import ConfigurationError
from skiesish.integrations.django.compat.base import HealthCheck
from skiesish.integrations.django.compat.checks import Cache, Database, Mail, Storage
from skiesish.integrations.django.compat.contrib.psutil import Disk, Memory
from skiesish.integrations.django.compat.views import HealthCheckView

NO_CACHE = {"success_ttl": None, "failed_ttl": None}


@pytest.fixture
def json_of() -> Iterator:
    """``json_of(*checks)``: a view's status and JSON; every view's engine is closed afterwards."""
    views = []

    def json_of(*checks) -> tuple[int, dict[str, str]]:
        view = HealthCheckView.as_view(checks=list(checks), **NO_CACHE)
        views.append(view)
        response = async_to_sync(view)(RequestFactory().get("/health/?format=json"))
        return response.status_code, json.loads(response.content)

    yield json_of
    for view in views:
        view.view_initkwargs["runners"].configured.close()


def database_settings(url: str) -> dict[str, object]:
    """Django's DATABASES entry for a postgresql:// or mysql:// URL."""
    parts = urllib.parse.urlsplit(url)
    engine = {"postgresql": "postgresql", "mysql": "mysql"}[parts.scheme]
    return {
        "ENGINE": f"django.db.backends.{engine}",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname,
        "PORT": parts.port,
    }


@contextlib.contextmanager
def database_alias(alias: str, entry: dict[str, object], django_db_blocker) -> Iterator[None]:
    """DATABASES with ``alias`` added, and database access allowed (on every thread) meanwhile.

    Django warns that overriding DATABASES is not supported, because its connection handler
    keeps the setting it first read; the handler is made to read it again on the way in and out.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Overriding setting DATABASES", UserWarning)
        override = override_settings(DATABASES={**settings.DATABASES, alias: entry})
        override.enable()
    connections.__dict__.pop("settings", None)
    connections._settings = None
    try:
        with django_db_blocker.unblock():
            yield
    finally:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Overriding setting DATABASES", UserWarning)
            override.disable()
        connections.__dict__.pop("settings", None)
        connections._settings = None


@pytest.fixture
def postgres(django_db_blocker) -> Iterator[str]:
    """The alias "pg" of the PostgreSQL test server; skips (or fails under CI) when it is down."""
    entry = database_settings(POSTGRES_URL)
    require_server("PostgreSQL", str(entry["HOST"]), int(entry["PORT"] or 5432))
    with database_alias("pg", entry, django_db_blocker):
        yield "pg"


@pytest.fixture
def mariadb(django_db_blocker) -> Iterator[str]:
    """The alias "maria" of the MariaDB test server, through PyMySQL; skips (or fails under CI) when down."""
    import pymysql

    pymysql.install_as_MySQLdb()  # Django's MySQL backend imports MySQLdb, which PyMySQL stands in for
    entry = database_settings(MYSQL_URL)
    require_server("MariaDB", str(entry["HOST"]), int(entry["PORT"] or 3306))
    with database_alias("maria", entry, django_db_blocker):
        yield "maria"


@pytest.fixture
def closed_port(free_port) -> int:
    """A local port nothing listens on."""
    return free_port


@pytest.mark.django_db
def test_database_passes_on_sqlite(json_of):
    """Database runs SELECT 1 on the default SQLite database."""
    assert json_of(Database) == (200, {"Database(alias='default')": "OK"})


@pytest.mark.services
@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_database_passes_on_a_real_server(request, server, json_of):
    """Database passes on PostgreSQL and on MariaDB."""
    alias = request.getfixturevalue(server)
    assert json_of((Database, {"alias": alias})) == (200, {f"Database(alias='{alias}')": "OK"})


def test_database_fails_when_its_server_refuses(closed_port, json_of, django_db_blocker):
    """A database that refuses connections fails with the driver's first words, not its details."""
    entry = {**database_settings(POSTGRES_URL), "HOST": "127.0.0.1", "PORT": closed_port}
    with database_alias("gone", entry, django_db_blocker):
        assert json_of((Database, {"alias": "gone"})) == (
            500,
            {"Database(alias='gone')": "Unavailable: connection failed"},
        )


def test_database_fails_for_an_alias_databases_lacks(json_of):
    """An alias DATABASES lacks fails the check when it runs, as in django-health-check."""
    assert json_of((Database, {"alias": "nope"})) == (
        500,
        {"Database(alias='nope')": "Unavailable: Database alias does not exist"},
    )


@dataclasses.dataclass
class QueriesThroughTheOrm(HealthCheck):
    """A user's check that queries through Django's connection, and keeps the wrapper it used."""

    alias: str = "default"
    used: list = dataclasses.field(default_factory=list, repr=False)

    def run(self) -> None:
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        self.used.append(connection)


@pytest.mark.services
def test_a_user_check_leaves_no_connection_open_on_the_engine_thread(postgres, json_of):
    """The connection a user's check opens on the engine's thread is closed when its run ends."""
    used: list = []
    assert json_of((QueriesThroughTheOrm, {"alias": postgres, "used": used})) == (
        200,
        {f"QueriesThroughTheOrm(alias='{postgres}')": "OK"},
    )
    assert len(used) == 1
    assert used[0].connection is None


def test_cache_passes_on_locmem(json_of):
    """Cache sets, reads back and deletes a key in the default (local memory) cache."""
    assert json_of(Cache) == (200, {"Cache(alias='default')": "OK"})


@pytest.mark.services
def test_cache_passes_on_redis(json_of):
    """Cache passes on Django's Redis cache backend, against a real Redis."""
    require_server("Redis", "127.0.0.1", 6379)
    caches = {
        "default": settings.CACHES["default"],
        "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    }
    with override_settings(CACHES=caches):
        assert json_of((Cache, {"alias": "redis"})) == (200, {"Cache(alias='redis')": "OK"})


def test_cache_fails_as_a_connection_error_when_redis_refuses(closed_port, json_of):
    """A Redis cache that refuses connections fails with "Unexpected Result: Connection Error"."""
    caches = {
        "default": settings.CACHES["default"],
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        },
    }
    with override_settings(CACHES=caches):
        assert json_of((Cache, {"alias": "redis"})) == (
            500,
            {"Cache(alias='redis')": "Unexpected Result: Connection Error"},
        )


def test_cache_fails_for_an_alias_caches_lacks(json_of):
    """An alias CACHES lacks fails the check when it runs."""
    assert json_of((Cache, {"alias": "nope"})) == (
        500,
        {"Cache(alias='nope')": "Unavailable: Cache alias does not exist"},
    )


class CorruptingStorage(FileSystemStorage):
    """A file system storage that reads every file back with a byte changed."""

    def _open(self, name, mode="rb"):
        with super()._open(name, mode) as file:
            return ContentFile(file.read() + b"!")


def storages(tmp_path, backend: str = "django.core.files.storage.FileSystemStorage") -> dict[str, object]:
    return {
        "default": {"BACKEND": backend, "OPTIONS": {"location": str(tmp_path)}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_storage_saves_reads_and_deletes_a_file(tmp_path, json_of):
    """Storage passes on the file system, and leaves no file behind."""
    with override_settings(STORAGES=storages(tmp_path)):
        assert json_of(Storage) == (200, {"Storage(alias='default')": "OK"})
    assert list(tmp_path.iterdir()) == []


def test_storage_fails_when_the_file_reads_back_different(tmp_path, json_of):
    """A storage that gives back other content fails, and the file is deleted all the same."""
    with override_settings(STORAGES=storages(tmp_path, "test_django_compat_checks.CorruptingStorage")):
        assert json_of(Storage) == (
            500,
            {"Storage(alias='default')": "Unavailable: File content does not match"},
        )
    assert list(tmp_path.iterdir()) == []


def test_storage_fails_for_an_alias_storages_lacks(json_of):
    """An alias STORAGES lacks fails the check when it runs."""
    assert json_of((Storage, {"alias": "nope"})) == (
        500,
        {"Storage(alias='nope')": "Unavailable: Storage alias does not exist"},
    )


@pytest.fixture
def smtp_server(free_port) -> Iterator[int]:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that accepts and drops mail; yields its port."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port)
    controller.start()
    yield free_port
    controller.stop()


SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_mail_opens_and_closes_an_smtp_connection(smtp_server, json_of):
    """Mail connects to the SMTP server (EHLO) and closes; no message is sent."""
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp_server):
        assert json_of(Mail) == (200, {"Mail(alias='default')": "OK"})


def test_mail_fails_when_the_server_refuses(closed_port, json_of):
    """An SMTP server refusing connections fails with "Connection refused error"."""
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=closed_port):
        assert json_of(Mail) == (500, {"Mail(alias='default')": "Unavailable: Connection refused error"})


def test_mail_fails_when_the_smtp_conversation_fails(smtp_server, json_of):
    """An SMTP error (here: STARTTLS asked of a server without it) fails with their message."""
    with override_settings(
        EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp_server, EMAIL_USE_TLS=True
    ):
        assert json_of(Mail) == (
            500,
            {"Mail(alias='default')": "Unavailable: Failed to open connection with SMTP server"},
        )


def test_mail_takes_a_backend(json_of):
    """Mail(backend=...) opens that backend instead of EMAIL_BACKEND."""
    assert json_of((Mail, {"backend": "django.core.mail.backends.locmem.EmailBackend"})) == (
        200,
        {"Mail(alias='default')": "OK"},
    )


def test_disk_passes_under_its_threshold_and_warns_over_it(json_of):
    """Disk passes when usage can be read and is under the threshold, and warns over it."""
    root = os.path.abspath(os.sep)
    status, shown = json_of(
        (Disk, {"path": root, "max_disk_usage_percent": None}),
        (Disk, {"path": root, "max_disk_usage_percent": 0.001}),
    )
    assert status == 500
    passing, warning = shown.values()
    assert passing == "OK"
    assert warning.startswith("Warning: only ")
    assert warning.endswith("at least 99.999% is required")


def test_memory_passes_and_warns_below_its_threshold(json_of):
    """Memory passes when its thresholds are met, and warns below them."""
    status, shown = json_of(
        (Memory, {"max_memory_usage_percent": None}), (Memory, {"min_gibibytes_available": 2**20})
    )
    assert status == 500
    passing, warning = shown.values()
    assert passing == "OK"
    assert warning.startswith("Warning: only ")
    assert warning.endswith("at least 1073741824 MiB is required")


@pytest.mark.parametrize(
    ("check", "options", "message"),
    [
        (
            Disk,
            {"max_disk_usage_percent": 101},
            r"Disk\(max_disk_usage_percent=...\) must be a number from 0 to 100",
        ),
        (
            Disk,
            {"max_disk_usage_percent": "90"},
            r"must be a number from 0 to 100 \(or None to disable it\), got str",
        ),
        (Disk, {"path": 3}, r"Disk\(path=...\) must be a path, got int"),
        (
            Memory,
            {"max_memory_usage_percent": True},
            r"Memory\(max_memory_usage_percent=...\) must be a number",
        ),
        (Memory, {"min_gibibytes_available": -1}, r"Memory\(min_gibibytes_available=...\) must be a number"),
    ],
)
def test_disk_and_memory_refuse_bad_thresholds(check, options, message):
    """Disk and Memory refuse a threshold that is not a number in range, when built."""
    with pytest.raises(ConfigurationError, match=message):
        check(**options)


def test_redis_pings_through_the_factory_s_client(json_of):
    """contrib.redis.Redis pings a real Redis through its factory's client; its repr shows no password."""
    require_server("Redis", "127.0.0.1", 6379)
    from redis.asyncio import Redis as RedisClient

    from skiesish.integrations.django.compat.contrib.redis import Redis

    with_password = REDIS_URL.replace("redis://", "redis://:not-the-password@", 1)
    check = Redis(client_factory=lambda: RedisClient.from_url(with_password))
    assert repr(check) == "Redis(db=0, host='127.0.0.1', port=6379)"
    status, shown = json_of((Redis, {"client_factory": lambda: RedisClient.from_url(REDIS_URL)}))
    assert (status, shown) == (200, {"Redis(db=0, host='127.0.0.1', port=6379)": "OK"})


def test_redis_fails_when_the_server_refuses(closed_port, json_of):
    """contrib.redis.Redis fails with their message when Redis refuses connections."""
    from redis.asyncio import Redis as RedisClient

    from skiesish.integrations.django.compat.contrib.redis import Redis

    factory = lambda: RedisClient.from_url(f"redis://127.0.0.1:{closed_port}/0")  # noqa: E731
    assert json_of((Redis, {"client_factory": factory})) == (
        500,
        {
            f"Redis(db=0, host='127.0.0.1', port={closed_port})": (
                "Unavailable: Unable to connect to Redis: Connection Error"
            )
        },
    )


def test_redis_needs_exactly_one_client_source():
    """contrib.redis.Redis refuses both or neither of client and client_factory; client is deprecated."""
    from skiesish.integrations.django.compat.contrib.redis import Redis

    with pytest.raises(ConfigurationError, match="got both"):
        Redis(client=object(), client_factory=object)
    with pytest.raises(ConfigurationError, match="got neither"):
        Redis()
    with pytest.warns(DeprecationWarning, match="client_factory"):
        Redis(client=object())


def test_every_check_runs_without_an_engine_s_cache_between_get_result_calls():
    """get_result() on a ready-made check runs it each time (here: a cache alias appearing)."""
    check = Cache(alias=f"late-{uuid.uuid4().hex[:6]}")
    assert str(async_to_sync(check.get_result)().error) == "Unavailable: Cache alias does not exist"
    caches = {"default": settings.CACHES["default"], check.alias: settings.CACHES["default"]}
    with override_settings(CACHES=caches):
        assert async_to_sync(check.get_result)().error is None
