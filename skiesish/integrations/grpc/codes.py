"""The serving statuses of ``grpc.health.v1``, as the numbers ``health.proto`` gives them.

Kept apart from grpcio and from the engine, so that a client (``skiesish
check --grpc``) imports neither more than it needs.
"""

__all__ = ["NOT_SERVING", "SERVICE_UNKNOWN", "SERVING", "STATUS_NAMES", "UNKNOWN"]

#: ``grpc.health.v1.HealthCheckResponse.ServingStatus`` values.
UNKNOWN, SERVING, NOT_SERVING, SERVICE_UNKNOWN = 0, 1, 2, 3
#: Each status's name, as ``health.proto`` spells it.
STATUS_NAMES = {
    UNKNOWN: "UNKNOWN",
    SERVING: "SERVING",
    NOT_SERVING: "NOT_SERVING",
    SERVICE_UNKNOWN: "SERVICE_UNKNOWN",
}
