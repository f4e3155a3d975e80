"""The real servers the fault and leak tests put a FaultProxy in front of."""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from collections.abc import Callable

import psycopg
import pymysql
import pytest
import redis
from conftest import require_server
from faultproxy import FaultProxy

import skiesish

REDIS_URL = os.environ.get("SKIESISH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("SKIESISH_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@dataclasses.dataclass(frozen=True)
class Server:
    """A real server, and how to check it at a URL."""

    name: str
    url: str
    make_check: Callable[..., skiesish.Check]
    is_sql: bool

    @property
    def port(self) -> int:
        """The real server's port."""
        return int(urllib.parse.urlsplit(self.url).port or 0)

    def url_through(self, proxy: FaultProxy) -> str:
        """This server's URL with the proxy's port in place of the server's."""
        parts = urllib.parse.urlsplit(self.url)
        netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{netloc}:{proxy.port}"))


def server_named(name: str, request: pytest.FixtureRequest) -> Server:
    """The server ``name``, once it answers (else skip, or fail under SKIESISH_REQUIRE_SERVICES=1)."""
    if name == "postgresql":
        return Server(name, str(request.getfixturevalue("postgres_url")), skiesish.checks.sql, True)
    if name == "mariadb":
        return Server(name, str(request.getfixturevalue("mysql_url")), skiesish.checks.sql, True)
    url = REDIS_URL if name == "redis" else AMQP_URL
    parts = urllib.parse.urlsplit(url)
    require_server(name, parts.hostname or "", parts.port or 0)
    return Server(name, url, skiesish.checks.redis if name == "redis" else skiesish.checks.amqp, False)


# -- the server's view of a test's connections -------------------------------------


def _client_ports(addresses: list[str]) -> list[int]:
    return [int(address.rsplit(":", 1)[1]) for address in addresses if ":" in address]


def postgres_connections(url: str, ports: frozenset[int]) -> int:
    """Rows of pg_stat_activity whose client port is one of ``ports`` (a proxy's upstream sockets)."""
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE client_port = ANY(%s)", (sorted(ports),)
        ).fetchone()
    return int(row[0]) if row else 0


def mariadb_connections(url: str, ports: frozenset[int]) -> int:
    """Threads of the process list whose client port is one of ``ports``.

    ``Threads_connected`` counts every client of the server; the process list
    tells ours apart.
    """
    parts = urllib.parse.urlsplit(url)
    connection = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT HOST FROM information_schema.PROCESSLIST")
            hosts = [str(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()
    return sum(port in ports for port in _client_ports(hosts))


def redis_connections(url: str, ports: frozenset[int]) -> int:
    """Lines of CLIENT LIST whose client port is one of ``ports``."""
    client = redis.Redis.from_url(url)
    try:
        addresses = [str(entry["addr"]) for entry in client.client_list()]
    finally:
        client.close()
    return sum(port in ports for port in _client_ports(addresses))


#: Server name -> how many connections it holds from some client ports.
SERVER_CONNECTIONS: dict[str, Callable[[str, frozenset[int]], int]] = {
    "postgresql": postgres_connections,
    "mariadb": mariadb_connections,
    "redis": redis_connections,
}
