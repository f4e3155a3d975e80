"""django-health-check's ``Redis`` check: ``PING`` through a client your factory makes (``skiesish[redis]``).

Example:
    >>> from redis.asyncio import Redis as RedisClient
    >>> Redis(client_factory=lambda: RedisClient.from_url("redis://cache:6379/0"))
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

from skiesish.exceptions import ConfigurationError
from skiesish.extras import import_extra

from ..base import HealthCheck
from ..exceptions import ServiceUnavailable

__all__ = ["Redis"]

_redis_exceptions: Any = import_extra(
    "redis.exceptions", "redis", "skiesish.integrations.django.compat.contrib.redis"
)


@dataclasses.dataclass
class Redis(HealthCheck):
    """``PING`` Redis through a new client from ``client_factory`` (closed after), or through ``client``.

    Any client with an async ``ping()`` works: ``redis.asyncio.Redis``, a
    Sentinel master, ``RedisCluster``. Its ``repr`` names the host, port and
    database (or a cluster's nodes), never the password.

    Args:
        client_factory: makes the client each run uses.
        client: deprecated: one client, kept for every run (which needs it
            not to be bound to an event loop; each run has a loop of its own).

    Raises:
        ConfigurationError: neither or both of ``client`` and ``client_factory`` are given.
    """

    client: Any = dataclasses.field(repr=False, default=None)
    client_factory: Callable[[], Any] | None = dataclasses.field(repr=False, default=None)

    def __post_init__(self) -> None:
        if self.client is not None and self.client_factory is not None:
            raise ConfigurationError(
                "Provide exactly one of `client` or `client_factory`, not both: Redis(...) got both"
            )
        if self.client is None and self.client_factory is None:
            raise ConfigurationError(
                "You must provide either `client` (deprecated) or `client_factory`, a callable making "
                "the client: Redis(...) got neither"
            )
        if self.client is not None:
            warnings.warn(
                "Redis(client=...) is deprecated; pass client_factory=, a callable that makes the client",
                DeprecationWarning,
                stacklevel=3,
            )

    def _where(self) -> dict[str, Any]:
        """What names the server: ``db``, ``host`` and ``port``, or a cluster's ``hosts``."""
        client = self.client if self.client_factory is None else self.client_factory()
        settings = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
        if isinstance(settings, dict):
            return {key: settings[key] for key in ("db", "host", "port") if key in settings}
        nodes = getattr(client, "startup_nodes", None)
        if nodes is not None:
            return {"hosts": [getattr(node, "name", str(node)) for node in nodes]}
        return {}

    def __repr__(self) -> str:
        try:
            where = self._where()
        except Exception:  # noqa: BLE001 - a factory may fail; the class name still names the check
            where = {}
        if "hosts" in where:
            return f"Redis(client=RedisCluster(hosts={where['hosts']!r}))"
        return f"Redis({', '.join(f'{key}={value!r}' for key, value in where.items())})"

    @property
    def labels(self) -> dict[str, str]:
        """The class name and the server's ``db``, ``host`` and ``port`` (or ``hosts``)."""
        try:
            where = self._where()
        except Exception:  # noqa: BLE001 - a factory may fail; the class name still names the check
            where = {}
        return {**super().labels, **{key: str(value) for key, value in where.items()}}

    async def run(self) -> None:
        made = self.client_factory is not None
        client = self.client_factory() if self.client_factory is not None else self.client
        try:
            await client.ping()
        except ConnectionRefusedError as error:
            raise ServiceUnavailable("Unable to connect to Redis: Connection was refused.") from error
        except _redis_exceptions.TimeoutError as error:
            raise ServiceUnavailable("Unable to connect to Redis: Timeout.") from error
        except _redis_exceptions.ConnectionError as error:
            raise ServiceUnavailable("Unable to connect to Redis: Connection Error") from error
        finally:
            if made:
                await client.aclose()
