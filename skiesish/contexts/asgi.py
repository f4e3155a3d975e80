"""Serving an application through ASGI (uvicorn, Starlette, FastAPI)."""

from __future__ import annotations

import asyncio

from ..input_outputs.asgi import ASGIInputOutput, Receive, Scope, Send
from ..log import logger
from ..responses import NO_BODY_STATUSES, Response
from .context import Context

__all__ = ["ASGIContext", "asgi"]


class ASGIContext(Context):
    """An ASGI 3 application: ``await context(scope, receive, send)``.

    Serve it with uvicorn (``uvicorn module:application``) or mount it in a
    Starlette or FastAPI application (``app.mount("/health", application)``);
    handlers see paths relative to the mount point.

    The handler is synchronous and may wait on its checks, so each request is
    answered on a worker thread (:func:`asyncio.to_thread`) and the event
    loop serving other requests is never blocked. Behind a
    :class:`~skiesish.handlers.HealthCheck`, the health engine runs each
    check on a thread of its own pool: plain functions there, and
    ``async def`` checks awaited natively on an event loop of their own for
    the run, cancelled (:class:`asyncio.CancelledError` raised inside them)
    at their deadline.

    Answers follow :mod:`http`: every response has ``Content-Length``
    (but 204 and 304, which have no body), and ``HEAD`` is answered with the
    headers of ``GET`` and no body. The ``lifespan`` protocol is supported:
    shutdown calls :meth:`close`. Mounted sub-applications get no lifespan
    events from Starlette, so close them from the parent's lifespan.

    Example:
        >>> application = skiesish.contexts.asgi(
        ...     skiesish.Application(skiesish.handlers.HealthCheck, {"services": ["memory_backend"]})
        ... )
        >>> # uvicorn module:application, or fastapi_app.mount("/health", application)
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI connection: an ``http`` request or the ``lifespan`` events."""
        if scope["type"] == "http":
            await self._answer_http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._run_lifespan(receive, send)
        else:
            raise ValueError(
                f"skiesish.contexts.asgi answers the 'http' and 'lifespan' scope types, got {scope['type']!r}"
            )

    async def _answer_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        input_output = ASGIInputOutput(scope)
        if not await input_output.receive_body(receive):
            return  # the client went away: there is no one to answer
        response = await asyncio.to_thread(self.respond, input_output)
        await _send_response(send, response, is_head=input_output.method == "HEAD")

    async def _run_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    # Closing may talk to servers (a Redis cache, a pool): keep it off the loop.
                    await asyncio.to_thread(self.close)
                except Exception as error:  # noqa: BLE001 - logged and reported; the process must still stop
                    logger.exception("closing the skiesish application failed")
                    await send({"type": "lifespan.shutdown.failed", "message": repr(error)})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return


async def _send_response(send: Send, response: Response, is_head: bool) -> None:
    """Send ``response``: lower-case header names, ``Content-Length``, no body for HEAD, 204 or 304."""
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.sent_headers
    ]
    has_body = response.status_code not in NO_BODY_STATUSES
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body if has_body and not is_head else b""})


#: ``skiesish.contexts.asgi(application, bindings=None, binding_classes=None,
#: binding_modules=None, additional_configs=None, di_class=None)``: an ASGI application.
asgi = ASGIContext
