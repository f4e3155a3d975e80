"""The upper limit: a plain WSGI function answering the success envelope, byte for byte."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b'{"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}'
HEADERS = (
    ("Content-Type", "application/json; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
    ("Cache-Control", "no-store"),
)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer every request with 200 and :data:`BODY`."""
    start_response("200 OK", list(HEADERS))
    return [BODY]
