"""Running an application in process, for tests."""

from __future__ import annotations

import json
import types
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..application import Application
from ..di import DI, AdditionalConfig
from ..input_outputs import InputOutput
from .context import Context

__all__ = ["TestContext", "test"]


class TestContext(Context):
    """Call the application as a function and get ``(body, status_code, headers)`` back.

    By default ``cursor_backend`` is bound to a fresh ``memory_backend``, so
    tests need no database; pass ``cursor_backend_to_memory_backend=False``
    to keep the real one.

    Example:
        >>> run = skiesish.contexts.test(skiesish.Application(skiesish.handlers.HealthCheck, {}))
        >>> body, status_code, headers = run()
        >>> status_code
        200
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        application: Application | Mapping[str, Any] | Callable[..., Any],
        bindings: Mapping[str, Any] | None = None,
        binding_classes: Iterable[type] | None = None,
        binding_modules: Iterable[types.ModuleType] | None = None,
        additional_configs: Iterable[AdditionalConfig | type[AdditionalConfig]] | None = None,
        di_class: type[DI] | None = None,
        cursor_backend_to_memory_backend: bool = True,
    ) -> None:
        self.cursor_backend_to_memory_backend = cursor_backend_to_memory_backend
        super().__init__(
            application, bindings, binding_classes, binding_modules, additional_configs, di_class
        )

    def prepare_di(self, di: DI) -> None:
        if self.cursor_backend_to_memory_backend:
            di.bind("cursor_backend", di.build_from_name("memory_backend"))

    def __call__(
        self,
        method: str = "GET",
        url: str = "",
        headers: Mapping[str, str] | None = None,
        query_parameters: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[Any, int, dict[str, str]]:
        """Handle one request.

        Args:
            method: the HTTP method (upper-cased here, for convenience).
            url: the path, optionally with a query string.
            headers: request headers.
            query_parameters: name -> value or list of values, added to the URL's.
            body: bytes, text, or anything else (sent as JSON).

        Returns:
            The body (parsed if it is JSON, else text), the status code, and the headers.
        """
        path, _, query_string = url.partition("?")
        query = urllib.parse.parse_qs(query_string, keep_blank_values=True)
        for name, value in (query_parameters or {}).items():
            query.setdefault(name, []).extend(value if isinstance(value, (list, tuple)) else [value])
        response = self.respond(
            InputOutput(
                method.upper(),
                path or "/",
                {key: [str(v) for v in values] for key, values in query.items()},
                headers,
                _encode(body),
            )
        )
        response_headers = dict(response.headers)
        content_type = response_headers.get("Content-Type", "")
        text = response.body.decode("utf-8")
        parsed = json.loads(text) if "json" in content_type and text else text
        return parsed, response.status_code, response_headers


def _encode(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


#: ``skiesish.contexts.test(application, ..., cursor_backend_to_memory_backend=True)``.
test = TestContext
