"""grpcio and the ``grpc.health.v1`` messages, imported once, with a message naming the extra if missing."""

from __future__ import annotations

from ...exceptions import MissingExtraError
from .codes import NOT_SERVING, SERVICE_UNKNOWN, SERVING, UNKNOWN

try:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc
except ImportError as error:
    raise MissingExtraError(
        f"skiesish.integrations.grpc needs grpcio and grpcio-health-checking ({error}): "
        "pip install 'skiesish[grpc]'"
    ) from error

__all__ = ["RESPONSES", "grpc", "health_pb2", "health_pb2_grpc"]

#: One response per status, made once: the servicers never change them.
RESPONSES = {
    status: health_pb2.HealthCheckResponse(status=status)
    for status in (UNKNOWN, SERVING, NOT_SERVING, SERVICE_UNKNOWN)
}
