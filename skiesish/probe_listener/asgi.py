"""A probe listener beside any ASGI application, watching the application's event loop."""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..log import logger
from .event_loop import EventLoopWatch
from .listener import DEFAULT_THREADS, ProbeListener, WSGIApplication
from .watch import DEFAULT_STALL_AFTER

__all__ = ["ProbeListenerMiddleware", "with_probe_listener"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApplication = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


class ProbeListenerMiddleware:
    """An ASGI application that runs a probe listener for the application it wraps.

    On the ``lifespan`` startup event it starts an :class:`EventLoopWatch`
    on the server's event loop and a :class:`ProbeListener` on its own
    thread; on SIGTERM readiness fails at once (liveness keeps passing);
    on the shutdown event both stop. Everything else goes to ``app``
    unchanged, whether or not ``app`` speaks the lifespan protocol.

    Use :func:`with_probe_listener` to build one.
    """

    def __init__(
        self,
        app: ASGIApplication,
        listen: str,
        probes: WSGIApplication | None = None,
        *,
        stall_after: float = DEFAULT_STALL_AFTER,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        self.app = app
        self.watch = EventLoopWatch(stall_after)
        self._app_started = threading.Event()
        self.listener = ProbeListener(
            listen,
            probes,
            watch=self.watch,
            started=None if probes is not None else self._app_started.is_set,
            threads=threads,
        )

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        await self._lifespan(scope, receive, send)

    async def _lifespan(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        seen: set[str] = set()

        async def receive_and_act() -> Message:
            message = await receive()
            seen.add(message["type"])
            if message["type"] == "lifespan.startup":
                self._start()
            elif message["type"] == "lifespan.shutdown":
                self._stop()
            return message

        async def send_and_note(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._app_started.set()
            seen.add(message["type"])
            await send(message)

        try:
            await self.app(scope, receive_and_act, send_and_note)
        except Exception:
            if "lifespan.startup.complete" in seen or "lifespan.startup.failed" in seen:
                self._stop()
                raise
            # The application does not speak the lifespan protocol: speak it for the listener alone.
            logger.debug("the wrapped ASGI application has no lifespan; running the probe listener's alone")
        else:
            return
        if "lifespan.startup" not in seen:
            await receive_and_act()
        self._app_started.set()
        await send({"type": "lifespan.startup.complete"})
        while "lifespan.shutdown" not in seen:
            await receive_and_act()
        await send({"type": "lifespan.shutdown.complete"})

    def _start(self) -> None:
        if self.listener.is_alive:
            return
        self.watch.start()
        self.listener.start()
        _fail_readiness_on(signal.SIGTERM, self.listener)

    def _stop(self) -> None:
        self.watch.close()
        self.listener.close()


def with_probe_listener(
    app: ASGIApplication,
    listen: str,
    probes: WSGIApplication | None = None,
    *,
    stall_after: float = DEFAULT_STALL_AFTER,
    threads: int = DEFAULT_THREADS,
) -> ProbeListenerMiddleware:
    """``app``, with probes served on ``listen`` by a listener that watches ``app``'s event loop.

    Without ``probes`` the listener serves the built-in probes:
    ``/livez`` fails once the event loop is blocked for ``stall_after``
    seconds, ``/readyz`` also fails from SIGTERM on, and ``/startupz``
    passes once ``app``'s own lifespan startup has completed.

    Example:
        >>> app = skiesish.with_probe_listener(FastAPI(), "0.0.0.0:8081", stall_after=10)
        >>> # uvicorn module:app --port 8080; probes on :8081/livez, /readyz, /startupz
    """
    return ProbeListenerMiddleware(app, listen, probes, stall_after=stall_after, threads=threads)


def _fail_readiness_on(signum: int, listener: ProbeListener) -> None:
    """On ``signum``, fail readiness first, then let the server's own handler stop it."""
    if threading.current_thread() is not threading.main_thread():
        logger.warning("not on the main thread: readiness will not fail on %s", signal.Signals(signum).name)
        return
    previous = signal.getsignal(signum)

    def drain_then_stop(number: int, frame: Any) -> None:
        listener.start_draining()
        if callable(previous):
            previous(number, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(number, signal.SIG_DFL)
            signal.raise_signal(number)

    signal.signal(signum, drain_then_stop)
