"""A check of another server's gRPC health service (``grpc.health.v1``)."""

from __future__ import annotations

import time
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from ..scrubbing import scrub_text
from ..serving import grpc_target, is_service_name
from .base import DEFAULT_SOCKET_TIMEOUT, Lazy, bounded_by, build_check, check_timeout, import_extra, latency

__all__ = ["grpc"]


def grpc(
    target: str,
    service: str = "",
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """Pass when the gRPC server at ``target`` says ``service`` is ``SERVING``, within ``timeout``.

    Asks ``grpc.health.v1.Health/Check`` over one plaintext channel kept from
    probe to probe (gRPC reconnects it when the server comes back). ``""``
    asks about the whole server. ``NOT_SERVING``, an unknown service
    (``NOT_FOUND``), an unreachable server and a call past ``timeout`` fail,
    the output naming which. The call's deadline covers name resolution and
    connecting, so the engine may run the check on the thread that asks for
    the report (see ``runs_within`` in :func:`~skiesish.checks.base.bounded_by`).
    Needs ``pip install 'skiesish[grpc]'``.

    Example:
        >>> grpc("127.0.0.1:50051", service="payments")
    """
    import_extra("grpc", "grpc", "checks.grpc()")
    try:
        target = grpc_target(target, "grpc(): target")
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    if not is_service_name(service):
        raise ConfigurationError(
            f"grpc(): service must be a printable string of at most 200 characters, got {service!r:.80}"
        )
    seconds = check_timeout("grpc", timeout)
    import grpc as grpc_module

    from ..integrations.grpc.client import ask

    channel = Lazy(lambda: grpc_module.insecure_channel(target))

    def serving() -> tuple[bool, str]:
        started = time.perf_counter()
        answer = ask(channel.get(), service, seconds)
        if not answer.is_serving:
            detail = f" ({answer.detail})" if answer.detail else ""
            raise HealthError(f"{target} answered {answer.status}{detail} for {_shown(service)}")
        return True, f"SERVING in {latency(started)}"

    serving.close = channel.close  # type: ignore[attr-defined]
    serving.runs_within = bounded_by(seconds, host=None)  # type: ignore[attr-defined]
    default = f"grpc:{target}" + (f"/{service}" if service else "")
    if scrub_text(default) != default:  # never a name that shows what looks like a secret
        default = "grpc"
    return build_check(serving, name or default, check_options)


def _shown(service: str) -> str:
    return f"the service {service!r}" if service else "the whole server"
