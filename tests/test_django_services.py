"""The Django checks against real servers: PostgreSQL, MariaDB and Redis, each behind a FaultProxy.

A DATABASES (or CACHES) alias points at the proxy, and the probes go through
the Django view, caching off. Server-side connections are counted by the
client ports the proxy used (pg_stat_activity, MariaDB's process list,
CLIENT LIST), so other clients of the same servers do not count. The
proxy's "refuse" mode is the server going down (connections reset, new ones
refused), "pass" it coming back, and "reset" a restart between two probes.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pymysql
import pytest
import redis
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from faultproxy import FaultProxy
from servers import SERVER_CONNECTIONS, Server, redis_connections, server_named

from skiesish.integrations.django import checks

pymysql.install_as_MySQLdb()  # Django's MySQL backend imports MySQLdb (mysqlclient); PyMySQL stands in

PROBES = 1000
SAMPLE_EVERY = 100
#: The check's one connection; with CONN_MAX_AGE 0 the one just closed may not have left the server yet.
SERVER_CONNECTION_BOUND = 1
SETTLE_WITHIN = 5.0
ENGINES = {"postgresql": "django.db.backends.postgresql", "mariadb": "django.db.backends.mysql"}
NO_CACHING = {"live": [], "startup": [], "success_ttl": None, "failed_ttl": None}

pytestmark = pytest.mark.services


def settled(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within :data:`SETTLE_WITHIN` seconds (a server sees a close late)."""
    deadline = time.monotonic() + SETTLE_WITHIN
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def probe(client: Client) -> int:
    """GET /health/readyz once; the status code."""
    return client.get("/health/readyz").status_code


@pytest.fixture
def proxied_database(
    request: pytest.FixtureRequest,
    fault_proxy: Callable[[int], FaultProxy],
    settings: Any,
    django_db_blocker: Any,
) -> Iterator[Callable[..., tuple[Server, FaultProxy]]]:
    """``proxied_database(name, **options)``: alias 'proxied' at a proxy before the server, in /readyz."""
    added: list[str] = []

    def add(name: str, **options: Any) -> tuple[Server, FaultProxy]:
        server = server_named(name, request)
        proxy = fault_proxy(server.port)
        parts = urllib.parse.urlsplit(server.url)
        config = {
            "ENGINE": ENGINES[name],
            "NAME": parts.path.lstrip("/"),
            "USER": parts.username or "",
            "PASSWORD": parts.password or "",
            "HOST": "127.0.0.1",
            "PORT": str(proxy.port),
            **options,
        }
        connections.configure_settings({"default": {}, "proxied": config})  # Django's defaults for the rest
        django_settings.DATABASES["proxied"] = config
        added.append("proxied")
        settings.SKIESISH = {**NO_CACHING, "ready": [checks.database("proxied", timeout=5)]}
        return server, proxy

    with django_db_blocker.unblock():
        yield add
        settings.SKIESISH = {**NO_CACHING, "ready": []}  # closes the engine, and the check's connection
    for alias in added:
        django_settings.DATABASES.pop(alias, None)


@pytest.mark.parametrize("max_age", [0, 60])
@pytest.mark.parametrize("name", ["postgresql", "mariadb"])
def test_a_thousand_uncached_probes_hold_at_most_one_server_connection(name, max_age, proxied_database):
    """1,000 probes without caching never hold more than the check's one connection on the server."""
    server, proxy = proxied_database(name, CONN_MAX_AGE=max_age, CONN_HEALTH_CHECKS=True)
    client, count = Client(), SERVER_CONNECTIONS[name]
    statuses, held = set(), []
    for done in range(1, PROBES + 1):
        statuses.add(probe(client))
        if done % SAMPLE_EVERY == 0:
            held.append(count(server.url, proxy.upstream_ports()))
    assert statuses == {200}
    assert max(held) <= SERVER_CONNECTION_BOUND, (
        f"server connections after each {SAMPLE_EVERY} probes: {held}"
    )
    # CONN_MAX_AGE 60: one connection served every probe; 0: each probe opened and closed its own
    # (the proxy sees their client ports, which the system reuses, so fewer distinct ports than probes).
    opened = len(proxy.upstream_ports())
    assert opened == 1 if max_age else opened > SAMPLE_EVERY
    assert settled(lambda: count(server.url, proxy.upstream_ports()) <= (1 if max_age else 0))


@pytest.mark.parametrize("health_checks", [True, False])
@pytest.mark.parametrize("max_age", [0, 60])
@pytest.mark.parametrize("name", ["postgresql", "mariadb"])
def test_a_restarted_database_is_reported_down_then_healthy_again(
    name, max_age, health_checks, proxied_database
):
    """Down: the probe fails. Back, or restarted between two probes: the very next probe passes."""
    _, proxy = proxied_database(name, CONN_MAX_AGE=max_age, CONN_HEALTH_CHECKS=health_checks)
    client = Client()
    assert probe(client) == 200
    proxy.set_mode("refuse")  # the server goes down: its connections are reset, new ones refused
    assert probe(client) == 500
    proxy.set_mode("pass")  # it is back
    assert probe(client) == 200
    proxy.set_mode("reset")  # a restart between two probes: every connection held is reset
    assert probe(client) == 200
    assert probe(client) == 200


def test_closing_the_application_closes_the_check_connection(proxied_database, settings):
    """With CONN_MAX_AGE 60 the kept connection is closed when the application is rebuilt or closed."""
    server, proxy = proxied_database("postgresql", CONN_MAX_AGE=60)
    assert probe(Client()) == 200
    assert SERVER_CONNECTIONS["postgresql"](server.url, proxy.upstream_ports()) == 1
    settings.SKIESISH = {**NO_CACHING, "ready": []}  # a setting changed: the application is rebuilt
    assert settled(lambda: SERVER_CONNECTIONS["postgresql"](server.url, proxy.upstream_ports()) == 0)


# -- Redis, through Django's own cache backend ------------------------------------------


@pytest.fixture
def proxied_redis(
    request: pytest.FixtureRequest, fault_proxy: Callable[[int], FaultProxy], settings: Any
) -> tuple[Server, FaultProxy]:
    """CACHES' alias 'redis' (Django's RedisCache) at a proxy before the real Redis, probed by /readyz."""
    server = server_named("redis", request)
    proxy = fault_proxy(server.port)
    settings.CACHES = {
        **settings.CACHES,
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url_through(proxy),
        },
    }
    settings.SKIESISH = {**NO_CACHING, "ready": [checks.cache("redis", timeout=5)]}
    return server, proxy


def test_redis_cache_check_passes_and_holds_one_connection(proxied_redis):
    """Probes of the Redis cache pass, on one connection of the check's own client, and leave no key."""
    server, proxy = proxied_redis
    client, statuses = Client(), set()
    for _ in range(200):
        statuses.add(probe(client))
    assert statuses == {200}
    assert redis_connections(server.url, proxy.upstream_ports()) == 1
    assert list(redis.Redis.from_url(server.url).scan_iter("*skiesish-health-*")) == []


def test_redis_cache_check_fails_while_redis_is_down_and_passes_once_back(proxied_redis):
    """Redis down: the probe fails; back, or restarted between probes: the next probe passes."""
    _, proxy = proxied_redis
    client = Client()
    assert probe(client) == 200
    proxy.set_mode("refuse")
    assert probe(client) == 500
    proxy.set_mode("pass")
    assert probe(client) == 200
    proxy.set_mode("reset")
    assert probe(client) == 200


def test_a_forked_child_neither_uses_nor_closes_the_parents_connection(proxied_database):
    """After a fork (a gunicorn worker from its master) the child starts afresh; the parent keeps its own."""
    proxied_database("postgresql", CONN_MAX_AGE=60)
    check = checks.database("proxied")
    assert check.func()[0] is True
    kept = check.func.connection._wrapper.connection
    child = os.fork()
    if child == 0:  # the child: no connection of its own yet, and one made on its first run
        is_fresh = check.func.connection.is_open is False
        passed = check.func()[0] is True
        os._exit(0 if is_fresh and passed else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert check.func()[0] is True
    assert check.func.connection._wrapper.connection is kept
    check.func.close()
