"""The ASGI upper limit: a plain ASGI app sending skiesish's success envelope and headers, byte for byte."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from apps.bare import BODY

#: As skiesish.contexts.asgi sends them, in its order.
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"content-length", str(len(BODY)).encode("ascii")),
]


async def application(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Answer every HTTP request with 200 and :data:`BODY` (served with the lifespan protocol off)."""
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
