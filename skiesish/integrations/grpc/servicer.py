"""``grpc.health.v1.Health`` (Check, Watch, List) answered from a skiesish health engine.

:class:`HealthServicer` serves a ``grpc.Server`` (each call on one of its
threads; a ``Watch`` holds its thread for as long as it streams) and
:class:`AsyncHealthServicer` a ``grpc.aio.Server`` (a cached status is
answered on the event loop, checks that must run go to a worker thread, and
a ``Watch`` holds no thread). Neither raises into grpc: an internal error
answers ``UNKNOWN`` and is logged.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from ...application import Application
from ...contexts import Context
from ...exceptions import ConfigurationError
from ...log import logger
from ...service_state import service_state_of
from ...text import bounded
from .protocol import RESPONSES, grpc, health_pb2, health_pb2_grpc
from .statuses import DEFAULT_WATCH_INTERVAL, SERVICE_UNKNOWN, UNKNOWN, HealthStatuses

__all__ = [
    "AsyncHealthServicer",
    "HealthServicer",
    "add_async_health_servicer",
    "add_health_servicer",
    "health_statuses",
]

#: The most services ``List`` returns; beyond, it fails with RESOURCE_EXHAUSTED (gRFC A90, grpc/proposal).
MAX_LISTED = 100
#: How long a sync Watch sleeps between looks at whether its call is still active, in seconds.
_ACTIVE_POLL = 1.0


def health_statuses(
    application: Any,
    services: Mapping[str, Sequence[str] | str] | None = None,
    watch_interval: float = DEFAULT_WATCH_INTERVAL,
) -> tuple[HealthStatuses, Context | None]:
    """The statuses of ``application``'s services, and the context built for them (``None`` if given one).

    ``application`` is a skiesish context (``skiesish.contexts.wsgi(...)``,
    whose engine and cache the HTTP endpoint shares) or an
    :class:`~skiesish.Application` (a context of its own is built).

    Raises:
        ConfigurationError: ``application`` is neither, its handler is not a
            HealthCheck or probes, or ``services`` names an unknown check or tag.
    """
    built = None
    if isinstance(application, Application):
        application = built = Context(application)
    if not isinstance(application, Context):
        raise ConfigurationError(
            "the gRPC health service needs a skiesish.Application or a context such as "
            f"skiesish.contexts.wsgi(...); got {type(application).__name__}"
        )
    try:
        state = service_state_of(application)
        statuses = HealthStatuses(application.handler, services, state, watch_interval)
    except BaseException:
        if built is not None:
            built.close()
        raise
    return statuses, built


class _Servicer(health_pb2_grpc.HealthServicer):
    """What both servicers share: their statuses, the context they may own, and how they answer."""

    def __init__(
        self,
        application: Any,
        services: Mapping[str, Sequence[str] | str] | None = None,
        watch_interval: float = DEFAULT_WATCH_INTERVAL,
    ) -> None:
        self.statuses, self._built = health_statuses(application, services, watch_interval)

    def enter_graceful_shutdown(self) -> None:
        """Turn every service ``NOT_SERVING`` and tell the watchers (grpcio-health-checking's name)."""
        self.statuses.shut_down()

    def end_watches(self) -> None:
        """End every ``Watch`` stream (after its last change is sent) and the background refresh."""
        self.statuses.close()

    def close(self) -> None:
        """End the watches and the background refresh; close the context built here, if any."""
        self.statuses.close()
        if self._built is not None:
            self._built.close()

    def _list_response(self, context: Any) -> Any:
        if len(self.statuses.selections) > MAX_LISTED:
            context.set_code(grpc.StatusCode.RESOURCE_EXHAUSTED)
            context.set_details(
                f"{len(self.statuses.selections)} health services are configured, more than the "
                f"{MAX_LISTED} List may return; ask each with Check"
            )
            return health_pb2.HealthListResponse()  # type: ignore[attr-defined]
        statuses = self.statuses.statuses()
        return health_pb2.HealthListResponse(  # type: ignore[attr-defined]
            statuses={service: RESPONSES[status] for service, status in statuses.items()}
        )


class HealthServicer(_Servicer):
    """``grpc.health.v1.Health`` for a ``grpc.Server``, from a skiesish application's checks.

    Args:
        application: a context (``skiesish.contexts.wsgi(app)``: the HTTP
            endpoint and gRPC then share one engine and cache) or an
            :class:`~skiesish.Application`.
        services: gRPC service name -> check names or tags (see
            :class:`~skiesish.integrations.grpc.statuses.HealthStatuses`).
        watch_interval: seconds between looks at watched services.

    Example:
        >>> servicer = HealthServicer(skiesish.contexts.wsgi(application))
        >>> health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    """

    def Check(self, request: Any, context: grpc.ServicerContext) -> Any:
        """The service's status now; ``NOT_FOUND`` for a service that is not configured."""
        try:
            status = self.statuses.status(request.service)
        except Exception:  # noqa: BLE001 - logged; grpc must get an answer, never an exception
            status = _failed("Check", request.service)
        return _check_response(context, request.service, status)

    def Watch(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        """The current status, then one message per change, until the client cancels or the server stops."""
        changed = threading.Event()
        subscription = self.statuses.subscribe(request.service, changed.set)
        context.add_callback(lambda: self.statuses.unsubscribe(subscription))
        try:
            try:
                last = self.statuses.status(request.service)
            except Exception:  # noqa: BLE001 - logged; the stream answers UNKNOWN and goes on watching
                last = _failed("Watch", request.service)
            yield RESPONSES[last]
            while context.is_active():
                if changed.wait(_ACTIVE_POLL):
                    changed.clear()
                    latest = subscription.latest
                    if latest is not None and latest != last:
                        last = latest
                        yield RESPONSES[latest]
                if subscription.is_closed:  # after sending the last change: NOT_SERVING on shutdown
                    break
        finally:
            self.statuses.unsubscribe(subscription)

    def List(self, request: Any, context: grpc.ServicerContext) -> Any:
        """Every configured service with its status."""
        try:
            return self._list_response(context)
        except Exception:  # noqa: BLE001 - logged; grpc must get an answer, never an exception
            return _list_failed(context)


class AsyncHealthServicer(_Servicer):
    """``grpc.health.v1.Health`` for a ``grpc.aio.Server``: cached statuses answered on the event loop.

    Takes the arguments of :class:`HealthServicer`. Checks whose results
    expired run on a worker thread (``loop.run_in_executor``), so the event
    loop never waits on a dependency.
    """

    async def Check(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        """The service's status now; ``NOT_FOUND`` for a service that is not configured."""
        try:
            status = await self._status(request.service)
        except Exception:  # noqa: BLE001 - logged; grpc must get an answer, never an exception
            status = _failed("Check", request.service)
        return _check_response(context, request.service, status)

    async def Watch(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        """The current status, then one message per change, until the client cancels or the server stops."""
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()
        wake = lambda: loop.call_soon_threadsafe(changed.set)  # noqa: E731 - told from other threads
        subscription = self.statuses.subscribe(request.service, wake)
        try:
            try:
                last = await self._status(request.service)
            except Exception:  # noqa: BLE001 - logged; the stream answers UNKNOWN and goes on watching
                last = _failed("Watch", request.service)
            yield RESPONSES[last]
            while True:
                await changed.wait()
                changed.clear()
                latest = subscription.latest
                if latest is not None and latest != last:
                    last = latest
                    yield RESPONSES[latest]
                if subscription.is_closed:  # after sending the last change: NOT_SERVING on shutdown
                    break
        finally:
            self.statuses.unsubscribe(subscription)

    async def List(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        """Every configured service with its status (read on a worker thread)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self._list_response, context)
        except Exception:  # noqa: BLE001 - logged; grpc must get an answer, never an exception
            return _list_failed(context)

    async def _status(self, service: str) -> int:
        status = self.statuses.fresh_status(service)
        if status is None:
            status = await asyncio.get_running_loop().run_in_executor(None, self.statuses.status, service)
        return status


def _check_response(context: Any, service: str, status: int) -> Any:
    """``Check``'s answer for ``status``: ``NOT_FOUND``, as the protocol asks, for an unknown service."""
    if status != SERVICE_UNKNOWN:
        return RESPONSES[status]
    context.set_code(grpc.StatusCode.NOT_FOUND)
    # The name is the caller's own text: cut it, and keep it printable, before it goes back.
    shown = "".join(c if c.isprintable() else "?" for c in bounded(service, 80))
    context.set_details(f"no health service is named {shown!r}")
    return health_pb2.HealthCheckResponse()


def _failed(call: str, service: str) -> int:
    """Log the exception being handled, which failed ``call`` for ``service``; answer ``UNKNOWN``."""
    logger.exception("the gRPC health %s of %r failed", call, bounded(service, 80))
    return UNKNOWN


def _list_failed(context: Any) -> Any:
    """Log the exception being handled, which failed ``List``; answer the ``UNKNOWN`` error code."""
    logger.exception("the gRPC health List failed")
    context.set_code(grpc.StatusCode.UNKNOWN)
    context.set_details("the health statuses could not be read; the server log has the reason")
    return health_pb2.HealthListResponse()  # type: ignore[attr-defined]


def add_health_servicer(
    server: grpc.Server,
    application: Any,
    services: Mapping[str, Sequence[str] | str] | None = None,
    watch_interval: float = DEFAULT_WATCH_INTERVAL,
) -> HealthServicer:
    """Serve ``grpc.health.v1.Health`` on ``server`` from ``application``'s checks; return the servicer.

    Call ``servicer.enter_graceful_shutdown()`` before ``server.stop(grace)``
    so that clients and Kubernetes see ``NOT_SERVING`` first, then
    ``servicer.close()``.

    Example:
        >>> server = grpc.server(ThreadPoolExecutor(8))
        >>> servicer = add_health_servicer(server, skiesish.contexts.wsgi(application))
    """
    servicer = HealthServicer(application, services, watch_interval)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    return servicer


def add_async_health_servicer(
    server: grpc.aio.Server,
    application: Any,
    services: Mapping[str, Sequence[str] | str] | None = None,
    watch_interval: float = DEFAULT_WATCH_INTERVAL,
) -> AsyncHealthServicer:
    """:func:`add_health_servicer` for a ``grpc.aio.Server``."""
    servicer = AsyncHealthServicer(application, services, watch_interval)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    return servicer
