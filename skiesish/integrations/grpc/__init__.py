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

from .server import HealthServer, start_health_server
from .servicer import AsyncHealthServicer, HealthServicer, add_async_health_servicer, add_health_servicer
from .statuses import NOT_SERVING, SERVICE_UNKNOWN, SERVING, UNKNOWN, HealthStatuses

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
