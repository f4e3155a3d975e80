"""Routing requests by path to other handlers, and describing them in an OpenAPI document."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pydantic

from ..health import Report
from ..input_outputs import ClientError, InputOutput, shown_path
from ..responses import Response, json_response
from .base import Handler
from .config import HandlerConfig

__all__ = ["SimpleRouting", "SimpleRoutingConfig"]

DEFAULT_METHODS = ("GET", "HEAD")


class RouteConfig(HandlerConfig):
    """One route: a path and either a handler class with its config or an application."""

    path: str
    handler_class: Any = None
    handler_config: dict[str, Any] = pydantic.Field(default_factory=dict)
    application: Any = None
    methods: list[str] = pydantic.Field(default_factory=lambda: list(DEFAULT_METHODS))

    @pydantic.model_validator(mode="after")
    def _one_target(self) -> RouteConfig:
        from ..application import Application

        if (self.handler_class is None) == (self.application is None):
            raise ValueError(
                f"route {self.path!r} needs either handler_class (with handler_config) or application"
            )
        if self.application is not None and not isinstance(self.application, Application):
            raise ValueError(f"route {self.path!r}: application must be a skiesish.Application")
        if self.handler_class is not None:
            Application(self.handler_class, self.handler_config)  # validates both, naming the handler
        if not self.methods:
            raise ValueError(f"route {self.path!r}: methods must not be empty")
        object.__setattr__(self, "methods", [method.upper() for method in self.methods])
        return self


class SimpleRoutingConfig(HandlerConfig):
    """Configuration of :class:`SimpleRouting`."""

    routes: list[RouteConfig]
    schema_route: str | None = None
    title: str = "skiesish application"
    version: str = "1.0.0"

    @pydantic.model_validator(mode="after")
    def _distinct_paths(self) -> SimpleRoutingConfig:
        paths = [_clean(route.path) for route in self.routes]
        if self.schema_route is not None:
            paths.append(_clean(self.schema_route))
        duplicates = sorted({path for path in paths if paths.count(path) > 1})
        if duplicates:
            raise ValueError(
                f"more than one route has the path {', '.join('/' + path for path in duplicates)}"
            )
        return self


def _clean(path: str) -> str:
    return path.strip("/")


@dataclasses.dataclass(frozen=True)
class _Route:
    path: str
    handler: Handler
    methods: tuple[str, ...]

    def matches(self, path: str) -> str | None:
        """The rest of ``path`` if this route takes it (exactly, or as the prefix of a handler with
        paths of its own: a nested router, the probes)."""
        if path == self.path:
            return ""
        if self.handler.takes_subpaths and (not self.path or path.startswith(self.path + "/")):
            return path[len(self.path) :].lstrip("/")
        return None

    def allows(self, method: str) -> bool:
        return method in self.methods or (method == "HEAD" and "GET" in self.methods)


class SimpleRouting(Handler):
    """Send each request to the first route whose path matches, in order.

    A route whose handler is itself a SimpleRouting takes every path below
    its own (nested routing). An unknown path is answered 404 and a method
    the route does not take 405 with ``Allow``, both as envelopes. With
    ``schema_route``, that path serves an OpenAPI 3 document of every route.

    Example:
        >>> ready = {"services": ["cursor_backend"]}
        >>> skiesish.Application(SimpleRouting, {"routes": [
        ...     {"path": "healthz/ready", "handler_class": HealthCheck, "handler_config": ready},
        ... ], "schema_route": "schema"})
    """

    config_class = SimpleRoutingConfig
    config: SimpleRoutingConfig
    takes_subpaths = True

    def prepare(self) -> None:
        self.routes = [self._build_route(route) for route in self.config.routes]
        self.schema_path = None if self.config.schema_route is None else _clean(self.config.schema_route)

    def _build_route(self, route: RouteConfig) -> _Route:
        from ..application import Application

        application = route.application or Application(route.handler_class, route.handler_config)
        for name, value in application.bindings.items():
            self.di.bind(name, value)
        self.di.add_binding_classes(application.binding_classes)
        self.di.add_modules(application.binding_modules)
        self.di.add_additional_configs(application.additional_configs)
        return _Route(_clean(route.path), application.build_handler(self.di), tuple(route.methods))

    def close(self) -> None:
        for route in self.routes:
            route.handler.close()

    def handle(self, input_output: InputOutput) -> Response:
        if self.schema_path is not None and _clean(input_output.routing_path) == self.schema_path:
            return json_response(self.openapi_document())
        return self.route_for(input_output).handle(input_output)

    def health_report(self, input_output: InputOutput) -> Report | None:
        """The report of the route the request reaches."""
        if self.schema_path is not None and _clean(input_output.routing_path) == self.schema_path:
            return None
        return self.route_for(input_output).health_report(input_output)

    def route_for(self, input_output: InputOutput) -> Handler:
        """The handler of the first route taking the request, its ``routing_path`` moved past the route.

        Raises:
            ClientError: (404) no route takes the path; (405) the route does not take the method.
        """
        path = _clean(input_output.routing_path)
        for route in self.routes:
            rest = route.matches(path)
            if rest is None:
                continue
            if not route.allows(input_output.method):
                allowed = sorted({*route.methods, *(("HEAD",) if "GET" in route.methods else ())})
                raise ClientError(
                    f"{shown_path(input_output.method)} is not allowed on /{route.path}; "
                    f"allowed: {', '.join(allowed)}",
                    405,
                    headers=(("Allow", ", ".join(allowed)),),
                )
            input_output.routing_path = "/" + rest
            return route.handler
        raise ClientError(f"no route for {shown_path(input_output.path)}", 404)

    def operations(self, prefix: str = "") -> Iterator[tuple[str, str, Handler]]:
        """Every ``(path, method, handler)`` this router serves, nested routers included."""
        for route in self.routes:
            path = f"{prefix}/{route.path}".rstrip("/") or "/"
            if isinstance(route.handler, SimpleRouting):
                yield from route.handler.operations(path.rstrip("/"))
                continue
            for subpath in route.handler.subpaths:
                full_path = f"{path.rstrip('/')}/{subpath}" if subpath else path
                for method in route.methods:
                    yield full_path, method, route.handler

    def openapi_document(self) -> dict[str, Any]:
        """An OpenAPI 3.0 document describing every route and its answers."""
        paths: dict[str, dict[str, Any]] = {}
        for path, method, handler in self.operations():
            responses = handler.openapi_responses()
            paths.setdefault(path, {})[method.lower()] = {
                "summary": (type(handler).__doc__ or type(handler).__name__).strip().splitlines()[0],
                "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_') or 'root'}",
                "responses": responses,
            }
        return {
            "openapi": "3.0.3",
            "info": {"title": self.config.title, "version": self.config.version},
            "paths": paths,
            "components": {"schemas": {"Envelope": _ENVELOPE_SCHEMA}},
        }


_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["status", "error", "data", "pagination", "input_errors"],
    "properties": {
        "status": {"type": "string", "enum": ["success", "failure", "client_error"]},
        "error": {"type": "string"},
        "data": {"oneOf": [{"type": "object"}, {"type": "array", "items": {}}]},
        "pagination": {"type": "object"},
        "input_errors": {"type": "object"},
    },
}
