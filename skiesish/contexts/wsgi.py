"""Serving an application through WSGI (waitress or any PEP 3333 server)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..input_outputs import WSGIInputOutput
from ..responses import NO_BODY_STATUSES
from .context import Context

__all__ = ["WSGIContext", "wsgi"]


class WSGIContext(Context):
    """A WSGI application: call it with ``(environ, start_response)``.

    Status lines come from :mod:`http` (``500 Internal Server Error``, never
    ``500 Ok``); every response has ``Content-Length``; ``HEAD`` is answered
    with the headers of ``GET`` and no body.
    """

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        input_output = WSGIInputOutput(environ)
        response = self.respond(input_output)
        start_response(response.status_line, list(response.sent_headers))
        if input_output.method == "HEAD" or response.status_code in NO_BODY_STATUSES:
            return []
        return [response.body]


#: ``skiesish.contexts.wsgi(application, bindings=None, binding_classes=None,
#: binding_modules=None, additional_configs=None, di_class=None)``: a WSGI callable.
wsgi = WSGIContext
