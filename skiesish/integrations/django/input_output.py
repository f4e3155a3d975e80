"""Django's requests and responses, as skiesish's handlers read and write them."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse  # type: ignore[import-untyped]

from ...input_outputs.base import parse_query
from ...input_outputs.wsgi import WSGIInputOutput
from ...responses import NO_BODY_STATUSES, Response

__all__ = ["DjangoInputOutput", "django_response"]


class DjangoInputOutput(WSGIInputOutput):
    """An :class:`~skiesish.input_outputs.InputOutput` read from a Django ``HttpRequest``.

    Headers come from ``request.META`` and the query from its raw
    ``QUERY_STRING``, each read only when a handler asks, and within the
    limits every skiesish context keeps (:func:`~skiesish.input_outputs.base.parse_query`).
    The path is the one the view answers for (``/readyz``, say), not the
    request's, which depends on where the URLconf is included.

    Args:
        request: the request, from WSGI or ASGI.
        path: the handler's path for the view: ``/`` (the full report), ``/livez``, ``/readyz``...
    """

    def __init__(self, request: Any, path: str) -> None:
        # META is a WSGI environ under WSGI, and holds the same keys under Django's ASGI handler.
        super().__init__(request.META)
        self.method = str(request.method or "GET")
        self.path = self.routing_path = path
        self._request = request
        # WSGI servers decode the query as latin-1 (PEP 3333); Django's ASGI handler as UTF-8.
        self._is_wsgi = "wsgi.version" in request.META

    def _read_query_parameters(self) -> dict[str, list[str]]:
        if self._is_wsgi:
            return super()._read_query_parameters()
        query = str(self._environ.get("QUERY_STRING") or "")
        return parse_query(query) if query else {}

    def body(self) -> bytes:
        """The request's body, as Django read it (within ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
        body: bytes = self._request.body
        return body


def django_response(response: Response, is_head: bool = False) -> Any:
    """``response`` as a Django ``HttpResponse``: its status, headers (``Content-Length`` too) and body.

    ``HEAD`` gets the headers of ``GET`` and no body, and so do 204 and 304.
    Django does not log it (it would log a 500 as a server error).
    """
    has_body = not is_head and response.status_code not in NO_BODY_STATUSES
    answer = HttpResponse(
        response.body if has_body else b"",
        status=response.status_code,
        headers=dict(response.sent_headers),
    )
    # A failing probe is an answer, not a server error: Django would log every one on
    # django.request as "Internal Server Error"; skiesish logs each change of status instead.
    answer._has_been_logged = True
    return answer
