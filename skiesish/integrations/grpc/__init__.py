"""gRPC: ``grpc.health.v1.Health`` (Check, Watch, List) served from skiesish's checks.

Needs ``pip install 'skiesish[grpc]'`` (grpcio and grpcio-health-checking).

- :func:`add_health_servicer` / :func:`add_async_health_servicer`: add the
  health service to your own ``grpc.Server`` / ``grpc.aio.Server``;
- :class:`HealthServer` / :func:`start_health_server`: a plaintext health
  server on a port of its own (for a TLS or a WSGI application server), also
  started by ``skiesish serve ... --grpc-listen HOST:PORT``;
- ``skiesish check --grpc HOST:PORT`` and :func:`skiesish.checks.grpc`: ask
  another server's health service.

Each gRPC service name stands for a selection of checks: by default ``""``
for all of them (for ``skiesish.probes``: the readiness checks), one
service per check, and for probes ``"live"`` and ``"ready"``. See docs/grpc.md.

Example:
    >>> server = grpc.server(ThreadPoolExecutor(8))
    >>> context = skiesish.contexts.wsgi(application)   # the HTTP endpoint shares it
    >>> servicer = add_health_servicer(server, context, services={"db": ["postgres"]})
"""

from __future__ import annotations

from .codes import NOT_SERVING, SERVICE_UNKNOWN, SERVING, UNKNOWN

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --grpc` imports this package, and little else
if TYPE_CHECKING:
    from typing import Any

    from .server import HealthServer, start_health_server
    from .servicer import AsyncHealthServicer, HealthServicer, add_async_health_servicer, add_health_servicer
    from .statuses import HealthStatuses

__all__ = [
    "NOT_SERVING",
    "SERVICE_UNKNOWN",
    "SERVING",
    "UNKNOWN",
    "AsyncHealthServicer",
    "HealthServer",
    "HealthServicer",
    "HealthStatuses",
    "add_async_health_servicer",
    "add_health_servicer",
    "start_health_server",
]

#: Each public name's module, imported on first use: a client (``check --grpc``) needs none of
#: them, and they bring the engine, the handlers and pydantic.
_NAMES = {
    "HealthServer": "server",
    "start_health_server": "server",
    "AsyncHealthServicer": "servicer",
    "HealthServicer": "servicer",
    "add_async_health_servicer": "servicer",
    "add_health_servicer": "servicer",
    "HealthStatuses": "statuses",
}


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'skiesish.integrations.grpc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
