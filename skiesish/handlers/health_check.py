"""The declarative health endpoint."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pydantic

from ..di import DI
from ..exceptions import HealthError
from ..health import Check, HealthEngine, Report
from ..input_outputs import InputOutput
from ..responses import Response, body_response, envelope, json_body
from .base import Handler
from .config import HandlerConfig

__all__ = ["HealthCheck", "HealthCheckConfig"]

logger = logging.getLogger("skiesish")

SUCCESS_BODY = json_body(envelope("success", {}))
FAILURE_BODY = json_body(envelope("failure", []))


class HealthCheckConfig(HandlerConfig):
    """Configuration of :class:`HealthCheck`.

    Attributes:
        services: DI names to build and, where they have ``ping()``, ping.
        callable: a function whose parameters are injected; a falsy return fails.
    """

    services: list[str] = pydantic.Field(default_factory=list)
    callable: Callable[..., Any] | None = None


def service_check(name: str) -> Check:
    """A check that builds the DI service ``name`` and calls its ``ping()`` if it has one.

    Building alone proves little (the object may be cached from start-up),
    so a service with ``ping()`` is exercised on every run. ``ping()`` may
    return ``None`` or ``True``; ``False`` fails.
    """

    def check(di: DI) -> bool:
        service = di.build_from_name(name, context="HealthCheck services")
        ping = getattr(service, "ping", None)
        if callable(ping) and ping() is False:
            raise HealthError(f"{name}.ping() returned False")
        return True

    return Check(check, name=name)


class HealthCheck(Handler):
    """Answer 200 when every configured service and the callable are healthy, else 500.

    Success is ``{"status": "success", "error": "", "data": {}, "pagination": {},
    "input_errors": {}}``; failure has ``"status": "failure"`` and
    ``"data": []``. The failure body never carries exception text: the reason
    is logged on the ``skiesish`` logger instead.

    Example:
        >>> skiesish.Application(HealthCheck, {"services": ["cursor_backend"]})
    """

    config_class = HealthCheckConfig
    config: HealthCheckConfig

    def prepare(self) -> None:
        checks = [service_check(name) for name in self.config.services]
        for name in self.config.services:
            if not self.di.can_provide(name):
                logger.warning("HealthCheck: no dependency is named %r; its check will fail", name)
        if self.config.callable is not None:
            checks.append(Check(self.config.callable, falsy_fails=True))
        self.engine = HealthEngine(checks, self.di)

    def handle(self, input_output: InputOutput) -> Response:
        report = self.engine.evaluate()
        if report.passed:
            return body_response(SUCCESS_BODY, 200)
        self.log_failure(report)
        return body_response(FAILURE_BODY, 500)

    @staticmethod
    def log_failure(report: Report) -> None:
        """Say on the ``skiesish`` logger which checks failed and why."""
        logger.warning(
            "health check failed: %s",
            "; ".join(f"{result.name}: {result.output}" for result in report.failures),
        )
