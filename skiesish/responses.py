"""Responses and the standard envelope every JSON answer wears."""

from __future__ import annotations

import dataclasses
import functools
import http
import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "JSON_CONTENT_TYPE",
    "SERVER_HEADERS",
    "Response",
    "body_response",
    "check_header",
    "envelope",
    "json_body",
    "json_response",
    "refusal",
    "sends_body",
]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

#: Statuses whose responses never carry a body (RFC 9110, sections 15.3.5 and 15.4.5).
NO_BODY_STATUSES = frozenset({204, 304})


def sends_body(method: str, status_code: int) -> bool:
    """Whether an answer to ``method`` with ``status_code`` carries its body: not for HEAD, 204 or 304."""
    return method != "HEAD" and status_code not in NO_BODY_STATUSES


#: Headers that frame the message or belong to the connection (RFC 9110 sections 7.6.1, 8.6;
#: RFC 9112 section 6.1): the server sets them, never a handler's configuration.
SERVER_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

# RFC 9110 section 5.1: a field name is a token; section 5.5: a value is visible ASCII (and
# obs-text, latin-1 here, as WSGI encodes headers) with spaces and tabs inside, never CR, LF or NUL.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?|")


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
    """A response with ``body`` as it is, plus ``Content-Type`` and ``Cache-Control: no-store``.

    A ``Content-Type`` or ``Cache-Control`` among ``headers`` takes the place
    of the default one rather than doubling it.
    """
    headers = tuple(headers)
    given = {name.lower() for name, _ in headers}
    defaults = (("Content-Type", content_type), ("Cache-Control", "no-store"))
    return Response(
        status_code, (*(pair for pair in defaults if pair[0].lower() not in given), *headers), body
    )


def check_header(name: Any, value: Any) -> tuple[str, str]:
    """Return ``(name, value)`` if they make a header a handler may set, else raise ``ValueError``.

    The name must be an RFC 9110 token and not one of :data:`SERVER_HEADERS`;
    the value must hold no CR, LF or other control character (a response
    splitting attempt) and be latin-1, as WSGI sends headers.
    """
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise ValueError(f"a header name must be a token (letters, digits, -), got {name!r:.60}")
    if name.lower() in SERVER_HEADERS:
        raise ValueError(
            f"{name} is set by the server, not by configuration "
            f"(those headers are {', '.join(sorted(SERVER_HEADERS))})"
        )
    if not isinstance(value, str) or not _FIELD_VALUE.fullmatch(value):
        raise ValueError(
            f"the value of {name} must be latin-1 text without control characters (CR, LF, NUL...) "
            f"or outer spaces, got {value!r:.60}"
        )
    return name, value


def refusal(has_credentials: bool) -> Response:
    """401 asking for a bearer token when none was presented, else 403."""
    if not has_credentials:
        body = envelope(
            "client_error", [], error="this endpoint needs an 'Authorization: Bearer <token>' header"
        )
        return json_response(body, 401, [("WWW-Authenticate", "Bearer")])
    return json_response(
        envelope("client_error", [], error="the credentials presented are not accepted"), 403
    )
