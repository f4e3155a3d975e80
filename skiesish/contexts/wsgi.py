"""Serving an application through WSGI (waitress or any PEP 3333 server)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..input_outputs import WSGIInputOutput
from ..responses import sends_body
from .answers import KeptAnswer, KeptAnswers
from .context import Context

__all__ = ["WSGIContext", "wsgi"]


class WSGIContext(Context):
    """A WSGI application: call it with ``(environ, start_response)``.

    Status lines come from :mod:`http` (``500 Internal Server Error``, never
    ``500 Ok``); every response has ``Content-Length``; ``HEAD`` is answered
    with the headers of ``GET`` and no body. An answer its handler marks
    reusable is sent again, without reading the request any further, while
    every result behind it is fresh (:mod:`skiesish.contexts.answers`).
    """

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self._kept = KeptAnswers()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = None
        if not environ.get("QUERY_STRING") and "HTTP_AUTHORIZATION" not in environ:
            key = (
                environ.get("REQUEST_METHOD"),
                environ.get("SCRIPT_NAME"),
                environ.get("PATH_INFO"),
                environ.get("HTTP_ACCEPT"),
            )
            kept = self._kept.fresh(key)
            if kept is not None:  # every result behind this answer is still fresh: send it again
                start_response(kept.status, kept.headers[:])
                body: list[bytes] = kept.body[:]  # the caller may change what it is given
                return body
        input_output = WSGIInputOutput(environ)
        response = self.respond(input_output)
        headers = list(response.sent_headers)
        start_response(response.status_line, headers[:])
        body = [response.body] if sends_body(input_output.method, response.status_code) else []
        if key is not None and input_output.reusable_while is not None:
            self._kept.keep(key, KeptAnswer(input_output.reusable_while, response.status_line, headers, body))
        return body


#: ``skiesish.contexts.wsgi(application, bindings=None, binding_classes=None,
#: binding_modules=None, additional_configs=None, di_class=None)``: a WSGI callable.
wsgi = WSGIContext
