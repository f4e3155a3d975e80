"""Asking a server's ``grpc.health.v1.Health``: for ``skiesish check --grpc`` and ``checks.grpc()``."""

from __future__ import annotations

import time

from .codes import SERVING, STATUS_NAMES
from .protocol import grpc, health_pb2, health_pb2_grpc

__all__ = ["HealthAnswer", "ask"]


class HealthAnswer:
    """What a health ``Check`` call came back with.

    Attributes:
        is_serving: whether the status is ``SERVING``.
        status: the status's name (``SERVING``, ``NOT_SERVING``, ...), or the
            gRPC error code's (``NOT_FOUND``, ``UNAVAILABLE``, ``DEADLINE_EXCEEDED``, ...).
        detail: the error's details, if the call failed (cut to 200 characters).
        milliseconds: how long the call took.
    """

    __slots__ = ("detail", "is_serving", "milliseconds", "status")

    def __init__(self, is_serving: bool, status: str, detail: str, milliseconds: float) -> None:
        self.is_serving = is_serving
        self.status = status
        self.detail = detail
        self.milliseconds = milliseconds


def ask(channel: grpc.Channel, service: str, timeout: float) -> HealthAnswer:
    """Call ``Check(service)`` on ``channel`` within ``timeout`` seconds; a failed call is an answer too."""
    stub = health_pb2_grpc.HealthStub(channel)
    started = time.perf_counter()
    try:
        response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)  # type: ignore[attr-defined]
    except grpc.RpcError as error:
        code = error.code() if callable(getattr(error, "code", None)) else None
        details = error.details() if callable(getattr(error, "details", None)) else None
        name = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
        return HealthAnswer(False, name, str(details or "")[:200], _since(started))
    status = STATUS_NAMES.get(response.status, f"status {response.status}")
    return HealthAnswer(response.status == SERVING, status, "", _since(started))


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
