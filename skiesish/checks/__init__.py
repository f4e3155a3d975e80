"""Ready-made checks: SQL, Redis, AMQP, MQTT, NATS, SMTP, DNS, gRPC, TLS, HTTP, TCP, disk and memory.

Each function returns a :class:`skiesish.Check` to put in a HealthCheck's
``checks``. Each one exercises its dependency for real, honours a timeout at
the socket level (not only the engine's deadline), closes what it opens,
and reports its measured latency in its output. Given a DI ``service`` name,
a check reuses the application's own client instead of opening a new
connection per probe.

Example:
    >>> skiesish.Application(skiesish.handlers.HealthCheck, {"checks": [
    ...     skiesish.checks.sql(),                                  # cursor_backend
    ...     skiesish.checks.redis(url="redis://127.0.0.1:6379/0"),
    ...     skiesish.checks.disk("/", min_free="10%"),
    ... ]})
"""

from .certificates import tls_certificate
from .grpc_health import grpc
from .mail import smtp
from .mqtt_broker import mqtt
from .naming import dns
from .nats_server import nats
from .network import http, tcp
from .services import amqp, redis, sql
from .system import disk, memory

__all__ = [
    "amqp",
    "disk",
    "dns",
    "grpc",
    "http",
    "memory",
    "mqtt",
    "nats",
    "redis",
    "smtp",
    "sql",
    "tcp",
    "tls_certificate",
]
