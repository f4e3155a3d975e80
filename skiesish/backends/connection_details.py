"""Where the database is: parsed from ``DATABASE_URL`` or clearskies' ``db_*`` variables."""

from __future__ import annotations

import dataclasses
import math
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..exceptions import ConfigurationError, DatabaseNotConfiguredError

if TYPE_CHECKING:
    from ..environment import Environment

__all__ = ["ConnectionDetails"]

DEFAULT_CONNECT_TIMEOUT = 2.0

_SCHEMES = {
    "sqlite": "sqlite",
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "postgresql+psycopg": "postgresql",
    "mysql": "mysql",
    "mysql+pymysql": "mysql",
    "mariadb": "mysql",
    "mariadb+pymysql": "mysql",
}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}

NOT_CONFIGURED = (
    "no database is configured for cursor_backend: set DATABASE_URL "
    "(sqlite:///path/to/file.db, sqlite:///:memory:, postgresql://user:password@host:5432/db "
    "or mysql://user:password@host:3306/db), or set db_host, db_username, db_password "
    "and db_database (and optionally db_port) for MySQL/MariaDB"
)


@dataclasses.dataclass(frozen=True)
class ConnectionDetails:
    """How to reach one database.

    Attributes:
        dialect: ``"sqlite"``, ``"postgresql"`` or ``"mysql"``.
        database: the database name, or for SQLite the file path (``:memory:`` allowed).
        host, port, username, password: network settings (not used by SQLite).
        connect_timeout: seconds to wait for a connection before giving up.
    """

    dialect: str
    database: str
    host: str = ""
    port: int | None = None
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> ConnectionDetails:
        """Parse a database URL such as ``postgresql://app:secret@db:5432/app``.

        ``?connect_timeout=N`` sets the connect timeout in seconds.
        """
        try:
            parts = urllib.parse.urlsplit(url)
        except ValueError as error:
            raise ConfigurationError(f"DATABASE_URL is not a valid URL ({error}): {_redact(url)!r}") from None
        try:
            port = parts.port
        except ValueError:
            port = -1
        dialect = _SCHEMES.get(parts.scheme.lower())
        if dialect is None:
            raise ConfigurationError(
                f"DATABASE_URL has the unsupported scheme {parts.scheme!r}; expected one of "
                + ", ".join(sorted(_SCHEMES))
            )
        query = urllib.parse.parse_qs(parts.query)
        timeout = _parse_timeout(query.get("connect_timeout", [str(DEFAULT_CONNECT_TIMEOUT)])[-1])
        if dialect == "sqlite":
            # sqlite:///relative.db and sqlite:////absolute/path.db, as SQLAlchemy spells them.
            path = urllib.parse.unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
            if not path:
                raise ConfigurationError(
                    f"DATABASE_URL {url!r} names no SQLite file; expected sqlite:///path.db "
                    "or sqlite:///:memory:"
                )
            return cls("sqlite", path, connect_timeout=timeout)
        database = urllib.parse.unquote(parts.path.lstrip("/"))
        if not parts.hostname or not database:
            raise ConfigurationError(
                f"DATABASE_URL for {dialect} needs a host and a database name, "
                f"like {parts.scheme}://user:password@host/database; got {_redact(url)!r}"
            )
        if port is None:
            port = _DEFAULT_PORTS[dialect]
        elif not 1 <= port <= 65535:
            raise ConfigurationError(f"DATABASE_URL has an invalid port {port}: {_redact(url)!r}")
        return cls(
            dialect,
            database,
            host=parts.hostname,
            port=port,
            username=urllib.parse.unquote(parts.username or ""),
            password=urllib.parse.unquote(parts.password or ""),
            connect_timeout=timeout,
        )

    @classmethod
    def from_environment(cls, environment: Environment | Mapping[str, str]) -> ConnectionDetails:
        """Read ``DATABASE_URL``, else clearskies' ``db_host``/``db_username``/... (MySQL).

        Raises:
            DatabaseNotConfiguredError: neither is set; the message says what to set.
        """
        url = environment.get("DATABASE_URL")
        if url:
            return cls.from_url(url)
        host = environment.get("db_host")
        if not host:
            raise DatabaseNotConfiguredError(NOT_CONFIGURED)
        missing = [name for name in ("db_username", "db_database") if not environment.get(name)]
        if missing:
            raise DatabaseNotConfiguredError(
                f"db_host is set but {', '.join(missing)} is not; " + NOT_CONFIGURED
            )
        port_text = environment.get("db_port") or str(_DEFAULT_PORTS["mysql"])
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ConfigurationError(f"db_port must be a port number from 1 to 65535, got {port_text!r}")
        return cls(
            "mysql",
            str(environment.get("db_database")),
            host=host,
            port=int(port_text),
            username=str(environment.get("db_username")),
            password=environment.get("db_password") or "",
        )

    def describe(self) -> str:
        """A description safe to log: no password."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self.database}"
        return f"{self.dialect}://{self.username}@{self.host}:{self.port}/{self.database}"


def _parse_timeout(text: str) -> float:
    try:
        timeout = float(text)
    except ValueError:
        timeout = -1.0
    if not math.isfinite(timeout) or timeout <= 0:
        raise ConfigurationError(f"connect_timeout must be a positive number of seconds, got {text!r}")
    return timeout


def _redact(url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparsable URL>"
    if password is None:
        return url
    netloc = parts.netloc.replace(":" + password + "@", ":********@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
