"""The real servers the fault and leak tests put a FaultProxy in front of."""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from collections.abc import Callable

import pytest
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
