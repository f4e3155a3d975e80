"""Serving an application through WSGI (waitress or any PEP 3333 server)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..input_outputs import WSGIInputOutput
from .context import Context

__all__ = ["WSGIContext", "wsgi"]

_NO_BODY_STATUSES = frozenset({204, 304})


class WSGIContext(Context):
    """A WSGI application: call it with ``(environ, start_response)``.

    Status lines come from :mod:`http` (``500 Internal Server Error``, never
    ``500 Ok``); every response has ``Content-Length``; ``HEAD`` is answered
    with the headers of ``GET`` and no body.
    """

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        input_output = WSGIInputOutput(environ)
        response = self.respond(input_output)
        headers = list(response.headers)
        if response.status_code in _NO_BODY_STATUSES:
            start_response(response.status_line, headers)
            return []
        headers.append(("Content-Length", str(len(response.body))))
        start_response(response.status_line, headers)
        return [] if input_output.method == "HEAD" else [response.body]


#: ``skiesish.contexts.wsgi(application, bindings=None, binding_classes=None,
#: binding_modules=None, additional_configs=None, di_class=None)``: a WSGI callable.
wsgi = WSGIContext
