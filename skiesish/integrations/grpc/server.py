"""A plaintext gRPC health server on a port of its own, beside any application server.

Kubernetes' ``grpc:`` probe speaks plaintext only, so a TLS application
server cannot answer it (kubernetes/kubernetes#119093); and a WSGI server
has no gRPC at all. :class:`HealthServer` answers ``grpc.health.v1.Health``
on its own address, from the same application (and engine, cache and
``service_state``) as the HTTP endpoint, on a thread of its own running a
``grpc.aio`` server: watchers hold no thread, and checks that must run go to
worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ...serving import listen_address
from .servicer import AsyncHealthServicer, add_async_health_servicer
from .statuses import DEFAULT_WATCH_INTERVAL

__all__ = ["DEFAULT_GRACE", "HealthServer", "start_health_server"]

#: Seconds :meth:`HealthServer.stop` lets calls in progress finish.
DEFAULT_GRACE = 1.0
#: Seconds to wait for the server's thread to start listening, or to end.
_THREAD_WAIT = 30.0


class HealthServer:
    """``grpc.health.v1.Health`` on ``listen`` (``HOST:PORT``; port 0 picks a free one), plaintext.

    Args:
        application: a skiesish context (``skiesish.contexts.wsgi(app)``) or
            :class:`~skiesish.Application`, as for :func:`add_health_servicer`.
        listen: ``HOST:PORT`` to listen on.
        services: gRPC service name -> check names or tags.
        watch_interval: seconds between looks at watched services.

    Raises:
        ValueError: ``listen`` is not ``HOST:PORT``, or cannot be listened on.
        ConfigurationError: the application or ``services`` is wrong.

    Example:
        >>> server = HealthServer(skiesish.contexts.wsgi(application), "0.0.0.0:50051").start()
        >>> ...
        >>> server.stop()  # every service NOT_SERVING first, then the server stops
    """

    def __init__(
        self,
        application: Any,
        listen: str,
        services: Mapping[str, Sequence[str] | str] | None = None,
        watch_interval: float = DEFAULT_WATCH_INTERVAL,
    ) -> None:
        self.listen = listen_address(listen, "listen")
        self._application = application
        self._services = services
        self._watch_interval = watch_interval
        self.servicer: AsyncHealthServicer | None = None
        #: The port listened on (known once started).
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._stopped: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._grace = DEFAULT_GRACE
        self._thread: threading.Thread | None = None

    def start(self) -> HealthServer:
        """Start listening on a thread of its own; return ``self`` once the port is bound.

        Raises:
            ValueError: the address cannot be listened on.
        """
        self._thread = threading.Thread(target=self._run, name="skiesish-grpc-health", daemon=True)
        self._thread.start()
        self._started.wait(_THREAD_WAIT)
        if self._error is not None:
            self._thread.join(_THREAD_WAIT)
            raise self._error
        return self

    def enter_graceful_shutdown(self) -> None:
        """Turn every service ``NOT_SERVING`` (watchers are told at once), still answering calls."""
        if self.servicer is not None:
            self.servicer.enter_graceful_shutdown()

    def stop(self, grace: float = DEFAULT_GRACE) -> None:
        """Turn every service ``NOT_SERVING``, end the watches, then stop within ``grace`` seconds.

        Watchers get ``NOT_SERVING`` before their stream ends; ``Check`` calls
        in progress may finish within ``grace``.
        """
        self.enter_graceful_shutdown()
        if self.servicer is not None:
            self.servicer.end_watches()
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and self._thread is not None:
            self._grace = grace
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stopped.set)
            self._thread.join(_THREAD_WAIT)
        if self.servicer is not None:
            self.servicer.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            if not self._started.is_set():
                self._error = error
                self._started.set()
            else:
                raise

    async def _serve(self) -> None:
        import grpc

        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        # Without SO_REUSEPORT (grpc's default is on), a port another process holds is refused, not shared.
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        self.servicer = add_async_health_servicer(
            server, self._application, self._services, self._watch_interval
        )
        host, port = self.listen.rsplit(":", 1)
        try:
            self.port = server.add_insecure_port(f"{'[::]' if host == '*' else host}:{port}")
        except RuntimeError as error:  # grpcio says "Failed to bind to address ..."
            self.servicer.close()
            raise ValueError(f"listen: cannot listen on {self.listen}: {error}") from None
        await server.start()
        self._server = server
        self._started.set()
        await self._stopped.wait()
        await server.stop(self._grace)


def start_health_server(
    application: Any,
    listen: str,
    services: Mapping[str, Sequence[str] | str] | None = None,
    watch_interval: float = DEFAULT_WATCH_INTERVAL,
) -> HealthServer:
    """Start a :class:`HealthServer` and return it (listening).

    Example:
        >>> health = start_health_server(skiesish.contexts.wsgi(application), "0.0.0.0:50051")
    """
    return HealthServer(application, listen, services, watch_interval).start()
