"""Serving an application through ASGI (uvicorn, Starlette, FastAPI)."""

from __future__ import annotations

import asyncio
from typing import Any

from ..input_outputs.asgi import ASGIInputOutput, Receive, Scope, Send
from ..log import logger
from ..responses import Response, sends_body
from .answers import KeptAnswer, KeptAnswers
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

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self._kept = KeptAnswers()

    async def _answer_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _reuse_key(scope)
        if key is not None:
            kept = self._kept.fresh(key)
            if kept is not None:  # every result behind this answer is still fresh: no thread needed
                await send({"type": "http.response.start", "status": kept.status, "headers": kept.headers})
                await send({"type": "http.response.body", "body": kept.body})
                return
        input_output = ASGIInputOutput(scope)
        if not await input_output.receive_body(receive):
            return  # the client went away: there is no one to answer
        response = await asyncio.to_thread(self.respond, input_output)
        headers = _asgi_headers(response)
        body = response.body if sends_body(input_output.method, response.status_code) else b""
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if key is not None and input_output.reusable_while is not None:
            self._kept.keep(key, KeptAnswer(input_output.reusable_while, response.status_code, headers, body))

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


def _asgi_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response's headers as ASGI sends them: lower-case names, latin-1 bytes, ``Content-Length``."""
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.sent_headers
    ]


def _reuse_key(scope: Scope) -> tuple[Any, ...] | None:
    """What a kept answer is found by, or ``None`` for a request that may not get one.

    A request with a query string or an ``Authorization`` header is always
    answered afresh; the key is the method, the mount point, the path and
    the ``Accept`` header.
    """
    if scope.get("query_string"):
        return None
    accept = None
    for raw_name, raw_value in scope.get("headers") or ():
        name = bytes(raw_name).lower()  # servers should send lower case; not all do
        if name == b"accept":  # joined as ASGIInputOutput joins repeated headers
            accept = bytes(raw_value) if accept is None else accept + b", " + bytes(raw_value)
        elif name == b"authorization":
            return None
    return (scope.get("method"), scope.get("root_path"), scope.get("path"), accept)


#: ``skiesish.contexts.asgi(application, bindings=None, binding_classes=None,
#: binding_modules=None, additional_configs=None, di_class=None)``: an ASGI application.
asgi = ASGIContext
