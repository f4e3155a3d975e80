"""Requests arriving through ASGI (uvicorn, Starlette, FastAPI, any ASGI 3 server)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .base import ClientError, InputOutput, parse_query
from .wsgi import MAX_BODY_BYTES

__all__ = ["MAX_BODY_BYTES", "ASGIInputOutput", "Message", "Receive", "Scope", "Send", "relative_path"]

#: The ASGI connection scope (the same shape Starlette's type hints use).
Scope = MutableMapping[str, Any]
#: One ASGI event, received or sent.
Message = MutableMapping[str, Any]
#: The coroutine an ASGI application awaits for the next event from the client.
Receive = Callable[[], Awaitable[Message]]
#: The coroutine an ASGI application awaits to send an event to the client.
Send = Callable[[Message], Awaitable[None]]


def relative_path(scope: Scope) -> str:
    """The request's path below the application's mount point (``root_path``).

    ASGI servers and routers (uvicorn's ``--root-path``, Starlette's
    ``Mount``) put the mount point in both ``root_path`` and ``path``; it is
    taken off here so that a handler mounted at ``/health`` sees ``/`` for
    ``/health/``. A ``path`` that does not start with ``root_path`` (servers
    that already took it off) is used as it is.
    """
    path = str(scope.get("path") or "/")
    root_path = str(scope.get("root_path") or "").rstrip("/")
    if root_path and path.startswith(root_path):
        rest = path[len(root_path) :]
        if not rest or rest.startswith("/"):
            return rest or "/"
    return path


class ASGIInputOutput(InputOutput):
    """An :class:`InputOutput` read from an ASGI ``http`` scope, tolerant of malformed input.

    Headers and the query string are parsed on first use; bytes that are not
    UTF-8 become replacement characters instead of errors. The body is read
    from ``receive`` by :meth:`receive_body` before the handler runs, and no
    more than :data:`MAX_BODY_BYTES` of it: a handler that asks for a larger
    body gets a 413.

    Args:
        scope: the ``http`` connection scope.
    """

    def __init__(self, scope: Scope) -> None:
        super().__init__(method=str(scope.get("method") or "GET"), path=relative_path(scope))
        self._headers = None
        self._query_parameters = None
        self._scope = scope
        self._is_body_too_large = False

    def _read_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for raw_name, raw_value in self._scope.get("headers") or ():
            name = bytes(raw_name).decode("latin-1").lower()
            value = bytes(raw_value).decode("utf-8", "replace")
            # Repeated headers are joined as RFC 9110 section 5.3 allows (and WSGI servers do).
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    def _read_query_parameters(self) -> dict[str, list[str]]:
        query = bytes(self._scope.get("query_string") or b"").decode("utf-8", "replace")
        if not query:
            return {}
        return parse_query(query)

    async def receive_body(self, receive: Receive) -> bool:
        """Read the body from ``receive``, stopping once it passes :data:`MAX_BODY_BYTES`.

        A body announced (by ``Content-Length``) or found to be larger than
        the limit is not kept; :meth:`body` then raises a 413
        :class:`ClientError`.

        Returns:
            ``False`` if the client disconnected before sending the whole
            body (there is then no one to answer), else ``True``.
        """
        declared = (self.header("Content-Length") or "").strip()
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            self._is_body_too_large = True
            return True
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                return False
            chunk = bytes(message.get("body") or b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                self._is_body_too_large = True
                return True
            chunks.append(chunk)
            if not message.get("more_body", False):
                self._body = b"".join(chunks)
                return True

    def body(self) -> bytes:
        """The body read by :meth:`receive_body`.

        Raises:
            ClientError: (413) the body is larger than :data:`MAX_BODY_BYTES`.
        """
        if self._is_body_too_large:
            raise ClientError(f"the request body is larger than {MAX_BODY_BYTES} bytes", 413)
        return self._body
