"""Requests arriving through WSGI (PEP 3333)."""

from __future__ import annotations

from typing import Any

from .base import ClientError, InputOutput, parse_query

__all__ = ["WSGIInputOutput"]

#: Bodies larger than this are refused: a health endpoint has no use for them.
MAX_BODY_BYTES = 1024 * 1024

#: The two headers PEP 3333 passes without the HTTP_ prefix.
_CGI_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def _wsgi_text(value: str) -> str:
    """Undo PEP 3333's latin-1 decoding, reading the bytes as UTF-8 (bad bytes replaced)."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


class WSGIInputOutput(InputOutput):
    """An :class:`InputOutput` read from a WSGI ``environ``, tolerant of malformed input.

    Invalid percent-encoding and bytes that are not UTF-8 are kept (as
    replacement characters), never raised: a probe with a broken query
    string still gets an answer.
    """

    def __init__(self, environ: dict[str, Any]) -> None:
        # Headers and the query are parsed on first use: most probes never look at them.
        super().__init__(
            method=str(environ.get("REQUEST_METHOD") or "GET"),
            path=_wsgi_text(str(environ.get("PATH_INFO") or "/")),
        )
        self._headers = None
        self._query_parameters = None
        self._environ = environ
        self._body_read: bytes | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return header ``name`` (case-insensitive) straight from the environ."""
        if self._headers is not None:
            return self._headers.get(name.lower(), default)
        key = name.upper().replace("-", "_")
        value = self._environ.get(key if key in _CGI_HEADERS else "HTTP_" + key)
        if value is None or (value == "" and key in _CGI_HEADERS):
            return default
        return _wsgi_text(str(value))

    def _read_headers(self) -> dict[str, str]:
        headers = {
            key[5:].replace("_", "-").lower(): _wsgi_text(str(value))
            for key, value in self._environ.items()
            if key.startswith("HTTP_")
        }
        for key in _CGI_HEADERS:
            if self._environ.get(key):
                headers[key.replace("_", "-").lower()] = str(self._environ[key])
        return headers

    def _read_query_parameters(self) -> dict[str, list[str]]:
        query = str(self._environ.get("QUERY_STRING") or "")
        if not query:
            return {}
        return parse_query(_wsgi_text(query))

    def body(self) -> bytes:
        """Read the body once, no more than ``CONTENT_LENGTH`` bytes."""
        if self._body_read is None:
            length_text = str(self._environ.get("CONTENT_LENGTH") or "0").strip()
            if not length_text.isdigit():
                raise ClientError(f"Content-Length must be a number of bytes, got {length_text!r}")
            length = int(length_text)
            if length > MAX_BODY_BYTES:
                raise ClientError(f"the request body is larger than {MAX_BODY_BYTES} bytes", 413)
            stream = self._environ.get("wsgi.input")
            self._body_read = stream.read(length) if (stream is not None and length) else b""
        return self._body_read
