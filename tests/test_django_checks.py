"""The Django-native checks on embedded services: SQLite, the local-memory cache, files, a local SMTP server.

Each check is run as the engine runs it, on the engine's own threads, with
caching off. The real database servers and Redis are in
tests/test_django_services.py.
"""

from __future__ import annotations

import threading

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core import mail as django_mail
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections

from skiesish import Check, ConfigurationError
from skiesish.di import DI
from skiesish.health import CheckResult, HealthEngine
from skiesish.integrations.django import checks

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def run(check: Check) -> CheckResult:
    """One run of ``check`` by an engine, on the engine's threads, caching off."""
    engine = HealthEngine([check], DI(), success_ttl=None, failed_ttl=None)
    try:
        return engine.evaluate().results[0]
    finally:
        engine.close()


class Recorder:
    """An aiosmtpd handler that counts the sessions closed with QUIT and the messages it got."""

    def __init__(self) -> None:
        self.quits = 0
        self.messages = 0

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 OK"


@pytest.fixture
def smtp_server(free_port):
    """A local SMTP server (aiosmtpd) on a free port, stopped afterwards; yields (port, recorder)."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port)
    controller.start()
    yield free_port, recorder
    controller.stop()


# -- database -------------------------------------------------------------------


@pytest.mark.django_db
def test_database_checks_every_alias_by_default():
    """database() makes one check per DATABASES alias, named database:<alias>."""
    assert [check.name for check in checks.database()] == ["database:default"]


@pytest.mark.django_db
def test_database_check_passes_on_sqlite():
    """SELECT 1 through the default alias passes and says how long it took."""
    result = run(checks.database("default"))
    assert result.passed, result.output
    assert result.output.startswith("SELECT 1 in ")


@pytest.mark.django_db
def test_database_check_leaves_no_connection_in_the_engine_threads():
    """The engine's threads hold no Django connection after a run: the check uses one of its own."""
    seen: list[bool] = []

    def thread_has_connection() -> bool:
        seen.append(any(connection.connection for connection in connections.all(initialized_only=True)))
        return True

    engine = HealthEngine(
        [checks.database("default"), Check(thread_has_connection, name="look")],
        DI(),
        success_ttl=None,
        failed_ttl=None,
    )
    try:
        for _ in range(5):
            assert engine.evaluate().passed
    finally:
        engine.close()
    assert seen == [False] * 5


@pytest.fixture
def scratch_database(tmp_path, django_db_blocker):
    """``scratch_database(**settings)``: the alias 'scratch', a SQLite file, in DATABASES until the end."""

    def add(**options: object) -> str:
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(tmp_path / "scratch.sqlite3"),
            **options,
        }
        connections.configure_settings({"default": {}, "scratch": config})  # Django's defaults for the rest
        django_settings.DATABASES["scratch"] = config
        return "scratch"

    with django_db_blocker.unblock():
        yield add
    django_settings.DATABASES.pop("scratch", None)


def test_database_check_closes_its_connection_after_each_run_with_conn_max_age_zero(scratch_database):
    """With CONN_MAX_AGE 0 the check's connection is closed at the end of every run, as a request's."""
    check = checks.database(scratch_database(CONN_MAX_AGE=0))
    for _ in range(3):
        assert run(check).passed
        assert check.func.connection.is_open is False


def test_database_check_keeps_one_connection_while_conn_max_age_allows(scratch_database):
    """With CONN_MAX_AGE 60 one connection serves run after run, and closing the engine closes it."""
    check = checks.database(scratch_database(CONN_MAX_AGE=60))
    engine = HealthEngine([check], DI(), success_ttl=None, failed_ttl=None)
    held = []
    for _ in range(3):
        assert engine.evaluate().passed
        held.append(check.func.connection._wrapper.connection)
    engine.close()
    assert held[0] is held[1] is held[2]
    assert check.func.connection.is_open is False


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("replica", r"database\(\): DATABASES has no alias 'replica'; its aliases: 'default'"),
        (["default", "nope"], r"DATABASES has no alias 'nope'"),
        (42, r"alias must be None \(every alias\), an alias of DATABASES or a list of them, got int 42"),
        ([], r"no alias to check"),
    ],
)
def test_database_refuses_bad_aliases_when_built(alias, message):
    """An unknown alias, or no alias at all, is refused when the check is built, naming those known."""
    with pytest.raises(ConfigurationError, match=message):
        checks.database(alias)


def test_database_refuses_one_name_for_several_checks(scratch_database):
    """name= with several aliases would give two checks one name: refused."""
    scratch_database()
    with pytest.raises(ConfigurationError, match=r"name= names one check, but 2 aliases"):
        checks.database(name="db")


def test_database_refuses_unknown_check_options():
    """Options other than Check's own are refused, naming them."""
    with pytest.raises(ConfigurationError, match=r"unknown argument\(s\) retries"):
        checks.database("default", retries=3)


# -- cache ----------------------------------------------------------------------


def test_cache_check_passes_on_the_local_memory_cache_and_leaves_no_key():
    """Set, get and delete of a key of its own passes, and the cache holds nothing afterwards."""
    from django.core.cache import caches

    result = run(checks.cache("default"))
    assert result.passed, result.output
    assert result.output.startswith("set, get and delete in ")
    assert caches["default"]._cache == {}


class ForgetfulCache(LocMemCache):
    """A cache that loses whatever is set in it, as a full or broken one would."""

    def get(self, key, default=None, version=None):
        return default


def test_cache_check_fails_when_the_value_does_not_come_back(settings):
    """A cache that loses what was set fails the check."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "lossy": {"BACKEND": "test_django_checks.ForgetfulCache"},
    }
    result = run(checks.cache("lossy"))
    assert not result.passed
    assert "read back as None" in result.output


def test_cache_check_passes_a_dummy_cache_without_a_round_trip(settings):
    """DummyCache keeps nothing by design: the check passes and says so."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    result = run(checks.cache("default"))
    assert (result.passed, result.output) == (True, "DummyCache keeps nothing: nothing to check")


def test_cache_refuses_an_unknown_alias():
    """An alias CACHES lacks is refused when the check is built."""
    with pytest.raises(
        ConfigurationError, match=r"cache\(\): CACHES has no alias 'redis'; its aliases: 'default'"
    ):
        checks.cache("redis")


# -- storage --------------------------------------------------------------------


def test_storage_check_saves_reads_and_deletes(settings, tmp_path):
    """The check passes on a file system storage and leaves no file behind."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    result = run(checks.storage())
    assert result.passed, result.output
    assert list(tmp_path.iterdir()) == []


def test_storage_check_fails_when_the_storage_cannot_save(settings, tmp_path):
    """A storage whose location is a file, not a folder, fails the check."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocked},
        },
    }
    result = run(checks.storage())
    assert not result.passed
    assert result.output


def test_storage_refuses_an_unknown_alias():
    """An alias STORAGES lacks is refused when the check is built, naming those it has."""
    with pytest.raises(ConfigurationError, match=r"STORAGES has no alias 'media'; its aliases: 'default', "):
        checks.storage("media")


# -- mail -----------------------------------------------------------------------


def test_mail_check_opens_and_closes_an_smtp_connection(settings, smtp_server):
    """Against a local SMTP server the check connects, closes with QUIT, sends nothing, and passes."""
    port, recorder = smtp_server
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    result = run(checks.mail(SMTP_BACKEND))
    assert result.passed, result.output
    assert (recorder.quits, recorder.messages) == (1, 0)


def test_mail_check_fails_when_the_smtp_server_is_down(settings, free_port):
    """With nothing listening on EMAIL_PORT the check fails, saying the connection was refused."""
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port
    result = run(checks.mail(SMTP_BACKEND))
    assert not result.passed
    assert "ConnectionRefusedError" in result.output


def test_mail_check_uses_email_backend_by_default():
    """Without a backend the check opens EMAIL_BACKEND's connection (the test settings' locmem one)."""
    result = run(checks.mail())
    assert result.passed, result.output
    assert django_mail.outbox == []


def test_mail_refuses_a_backend_that_cannot_be_imported():
    """A dotted path that imports nothing is refused when the check is built, naming it."""
    with pytest.raises(
        ConfigurationError, match=r"mail\(\): cannot import the email backend 'nowhere.Backend'"
    ):
        checks.mail("nowhere.Backend")


# -- migrations and system checks ----------------------------------------------------


@pytest.mark.django_db
def test_migrations_check_passes_when_every_migration_is_applied():
    """The test database is migrated: the check passes."""
    result = run(checks.migrations())
    assert (result.passed, result.output) == (True, "every migration is applied")


@pytest.mark.django_db
def test_migrations_check_names_unapplied_migrations(settings, tmp_path, django_db_blocker):
    """Against an empty database the check fails, naming the migrations to apply."""
    settings.DATABASES["default"]["NAME"], saved = (
        str(tmp_path / "empty.sqlite3"),
        settings.DATABASES["default"]["NAME"],
    )
    try:
        result = run(checks.migrations())
    finally:
        settings.DATABASES["default"]["NAME"] = saved
    assert not result.passed
    assert "unapplied migration(s): contenttypes.0001_initial" in result.output
    assert "run manage.py migrate" in result.output


def test_system_checks_pass_on_the_test_settings():
    """Django's system checks find no error in the test settings."""
    result = run(checks.system_checks())
    assert result.passed, result.output


def test_system_checks_fail_on_an_error_and_name_it(settings):
    """A system check error (here skiesish's own, for a wrong SKIESISH) fails the check, naming its id."""
    settings.SKIESISH = {"timout": 3}
    result = run(checks.system_checks())
    assert not result.passed
    assert (
        "1 system check error(s): skiesish.E001: SKIESISH configuration: unknown key 'timout'"
        in result.output
    )


def test_system_checks_ignore_silenced_errors(settings):
    """An error listed in SILENCED_SYSTEM_CHECKS does not fail the check."""
    settings.SKIESISH = {"timout": 3}
    settings.SILENCED_SYSTEM_CHECKS = ["skiesish.E001"]
    assert run(checks.system_checks()).passed


def test_checks_run_on_the_engine_threads():
    """The engine, not the caller, runs a Django check: it is the case the checks are built for."""
    threads: list[str] = []
    check = checks.cache("default")
    original = check.func

    def recording() -> object:
        threads.append(threading.current_thread().name)
        return original()

    assert run(Check(recording, name="cache")).passed
    assert [name.split("-")[:2] for name in threads] == [["skiesish", "check"]]
