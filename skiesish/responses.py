"""Responses and the standard envelope every JSON answer wears."""

from __future__ import annotations

import dataclasses
import functools
import http
import json
from collections.abc import Iterable
from typing import Any

__all__ = ["JSON_CONTENT_TYPE", "Response", "body_response", "envelope", "json_body", "json_response"]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

#: Statuses whose responses never carry a body (RFC 9110, sections 15.3.5 and 15.4.5).
NO_BODY_STATUSES = frozenset({204, 304})


@dataclasses.dataclass(frozen=True)
class Response:
    """One HTTP answer: a status code, headers and a body of bytes.

    ``Content-Length`` is added when the response is sent; every other
    header is the handler's to choose.
    """

    status_code: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @functools.cached_property
    def status_line(self) -> str:
        """``"200 OK"``, ``"500 Internal Server Error"``: the reason phrase from :mod:`http`."""
        try:
            phrase = http.HTTPStatus(self.status_code).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status_code} {phrase}"

    @functools.cached_property
    def sent_headers(self) -> tuple[tuple[str, str], ...]:
        """The headers as sent: with ``Content-Length``, except on 204 and 304, which have no body.

        Worked out once per response; the bare envelope's responses are made
        once and sent for every probe.
        """
        if self.status_code in NO_BODY_STATUSES:
            return self.headers
        return (*self.headers, ("Content-Length", str(len(self.body))))

    def header(self, name: str) -> str | None:
        """Return the first header called ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def envelope(
    status: str,
    data: Any,
    error: str = "",
    pagination: dict[str, Any] | None = None,
    input_errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the standard body: ``status``, ``error``, ``data``, ``pagination``, ``input_errors``."""
    return {
        "status": status,
        "error": error,
        "data": data,
        "pagination": {} if pagination is None else pagination,
        "input_errors": {} if input_errors is None else input_errors,
    }


def json_body(payload: Any) -> bytes:
    """Serialize ``payload`` as UTF-8 JSON; values JSON lacks (dates, ...) become strings."""
    return json.dumps(payload, default=str).encode("utf-8")


def json_response(
    payload: Any,
    status_code: int = 200,
    headers: Iterable[tuple[str, str]] = (),
    content_type: str = JSON_CONTENT_TYPE,
) -> Response:
    """A JSON response that no cache may keep (probe answers must be fresh)."""
    return body_response(json_body(payload), status_code, headers, content_type)


def body_response(
    body: bytes,
    status_code: int,
    headers: Iterable[tuple[str, str]] = (),
    content_type: str = JSON_CONTENT_TYPE,
) -> Response:
    """A response with ``body`` as it is, plus ``Content-Type`` and ``Cache-Control: no-store``."""
    return Response(
        status_code,
        (("Content-Type", content_type), ("Cache-Control", "no-store"), *headers),
        body,
    )
