"""One request, as handlers see it, whatever called the application."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from ..exceptions import SkiesishError

__all__ = [
    "MAX_QUERY_FIELDS",
    "MAX_QUERY_LENGTH",
    "MAX_SHOWN_LENGTH",
    "ClientError",
    "InputOutput",
    "parse_query",
    "shown_path",
]

#: The longest query string read (in characters); longer is answered 414. A health endpoint takes
#: a few check names at most, and every cost a request can drive must stay small and bounded.
MAX_QUERY_LENGTH = 4096
#: The most ``name=value`` fields a query string may have; more is answered 400.
MAX_QUERY_FIELDS = 64
#: The most characters of a path or value an error message quotes back.
MAX_SHOWN_LENGTH = 120


class ClientError(SkiesishError):
    """The request itself is wrong; answered with a 4xx envelope naming the problem."""

    def __init__(
        self, message: str, status_code: int = 400, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers


class InputOutput:
    """The request being handled: method, path, query, headers and body.

    One is made per request and never shared between requests.

    Args:
        method: the HTTP method, as sent: methods are case-sensitive (RFC 9110 section 9.1), so
            ``head`` is not ``HEAD`` and gets no HEAD treatment.
        path: the path, decoded, starting with ``/``.
        query_parameters: name -> every value given for it, in order.
        headers: header name -> value; names are matched case-insensitively.
        body: the raw body, or a callable that reads it on first use.
    """

    def __init__(
        self,
        method: str = "GET",
        path: str = "/",
        query_parameters: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        self.method = method
        self.path = path if path.startswith("/") else "/" + path
        #: The part of the path still to be matched by routing handlers (nested routers consume it).
        self.routing_path = self.path
        self._query_parameters: dict[str, list[str]] | None = dict(query_parameters or {})
        self._headers: dict[str, str] | None = {
            name.lower(): value for name, value in (headers or {}).items()
        }
        self._body = body
        #: Set by a handler whose answer depends on nothing but the method, the path, the
        #: ``Accept`` header and state it can test: while this returns true, a context may send
        #: the same answer again to a request that has the same of those, no query string and no
        #: ``Authorization`` header.
        self.reusable_while: Callable[[], bool] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Header name (lower case) -> value."""
        if self._headers is None:
            self._headers = self._read_headers()
        return self._headers

    @property
    def query_parameters(self) -> dict[str, list[str]]:
        """Query parameter name -> every value given for it, in order."""
        if self._query_parameters is None:
            self._query_parameters = self._read_query_parameters()
        return self._query_parameters

    def _read_headers(self) -> dict[str, str]:
        """Hook for subclasses that read headers only when first asked (probes rarely ask)."""
        return {}

    def _read_query_parameters(self) -> dict[str, list[str]]:
        """Hook for subclasses that parse the query only when first asked."""
        return {}

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return header ``name`` (case-insensitive), or ``default``."""
        return self.headers.get(name.lower(), default)

    def accepts(self, media_type: str) -> bool:
        """Whether the ``Accept`` header names ``media_type`` itself with a quality above 0.

        Wildcards (``*/*``) do not count: they accept the default format.
        """
        accept = self.header("Accept")
        return accept is not None and _names_media_type(accept, media_type.lower())

    def query(self, name: str, default: str | None = None) -> str | None:
        """Return the last value of query parameter ``name``, or ``default``."""
        values = self.query_parameters.get(name)
        return values[-1] if values else default

    def query_list(self, name: str) -> list[str]:
        """Return every value of query parameter ``name`` (``?check=a&check=b``)."""
        return list(self.query_parameters.get(name, ()))

    def body(self) -> bytes:
        """The raw request body."""
        return self._body

    def json_body(self) -> Any:
        """The body parsed as JSON (``None`` when empty).

        Raises:
            ClientError: the body is not valid UTF-8 JSON.
        """
        raw = self.body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as error:
            raise ClientError(f"the request body is not valid JSON: {error}") from None


def parse_query(query: str) -> dict[str, list[str]]:
    """Parse a query string, tolerant of bad encoding, within :data:`MAX_QUERY_LENGTH` and
    :data:`MAX_QUERY_FIELDS`.

    Raises:
        ClientError: (414) the query string is too long; (400) it has too many fields.
    """
    if len(query) > MAX_QUERY_LENGTH:
        raise ClientError(
            f"the query string has {len(query)} characters; at most {MAX_QUERY_LENGTH} are read", 414
        )
    try:
        return urllib.parse.parse_qs(
            query, keep_blank_values=True, errors="replace", max_num_fields=MAX_QUERY_FIELDS
        )
    except ValueError:
        raise ClientError(f"the query string has more than {MAX_QUERY_FIELDS} fields") from None


def shown_path(text: str) -> str:
    """``text`` cut to :data:`MAX_SHOWN_LENGTH` characters, for quoting a request back in an error."""
    return text if len(text) <= MAX_SHOWN_LENGTH else text[:MAX_SHOWN_LENGTH] + "..."


def _names_media_type(accept: str, media_type: str) -> bool:
    """Read an ``Accept`` header (RFC 9110 section 12.5.1) for one exact media type."""
    for media_range in accept.split(","):
        name, *parameters = (part.strip() for part in media_range.split(";"))
        if name.lower() != media_type:
            continue
        quality = next(
            (value for key, _, value in (p.partition("=") for p in parameters) if key.strip() == "q"), "1"
        )
        try:
            if float(quality) > 0:
                return True
        except ValueError:
            continue
    return False
