"""What the framework integrations share: option checks, check adapters, Flask answers."""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..di import DI
from ..exceptions import ConfigurationError, HealthError, MissingExtraError
from ..formats.problem_json import PROBLEM_JSON
from ..health.engine import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    import flask

logger = logging.getLogger("skiesish")


def adapted(
    func: Callable[..., Any], on_return: Callable[[Any], Any], on_error: Callable[[Exception], Any]
) -> Callable[..., Any]:
    """``func`` with its return read by ``on_return`` and its exceptions by ``on_error``.

    The wrapper keeps ``func``'s signature (through ``__wrapped__``), so DI
    injects the same parameters, and works for ``async def`` checks too.
    """

    @functools.wraps(func)
    def adapted(*args: Any, **kwargs: Any) -> Any:
        try:
            value = func(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - a user's check may raise anything
            return on_error(error)
        if inspect.isawaitable(value):
            return _settle(value, on_return, on_error)
        return on_return(value)

    return adapted


async def _settle(
    awaitable: Any, on_return: Callable[[Any], Any], on_error: Callable[[Exception], Any]
) -> Any:
    try:
        value = await awaitable
    except Exception as error:  # noqa: BLE001 - a user's check may raise anything
        return on_error(error)
    return on_return(value)


def read_error_timeout(value: float | None, key: str = "error_timeout", allow_zero: bool = True) -> float:
    """A deadline in seconds; ``None`` and (where allowed) py-healthcheck's 0 give the engine's default."""
    if value is None or (allow_zero and value == 0 and not isinstance(value, bool)):
        return DEFAULT_TIMEOUT
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{key} must be a number of seconds > 0, got {value!r}")
    return float(value)


def log_unexpected(checker: Callable[..., Any], error: Exception) -> None:
    """Log a check's exception with its traceback, unless it is a deliberate :class:`HealthError`."""
    if not isinstance(error, HealthError):
        name = getattr(checker, "__name__", type(checker).__name__)
        logger.error("health check %r raised %s", name, type(error).__name__, exc_info=error)


def problem(status: int, title: str) -> flask.Response:
    """flask-healthz's answer: ``{"status": status, "title": title}`` as ``application/problem+json``."""
    from flask import current_app as app

    return app.response_class(
        app.json.dumps({"status": status, "title": title}), status=status, content_type=PROBLEM_JSON
    )


def require_flask() -> None:
    """Import Flask, or say which extra installs it.

    Raises:
        MissingExtraError: naming ``pip install 'skiesish[flask]'``.
    """
    try:
        importlib.import_module("flask")
    except ImportError as error:
        raise MissingExtraError(
            "skiesish.integrations.flask's Flask endpoints need Flask: pip install 'skiesish[flask]'"
        ) from error


def section_value(di: DI, value: Any) -> Any:
    """A section's value; a function is called with its parameters injected."""
    if not callable(value):
        return value
    try:
        return di.call_function(value)
    except Exception as error:  # noqa: BLE001 - a section is informative only
        return f"error: {type(error).__name__}: {error}"


def read_ttl(key: str, value: float | None) -> float:
    """A TTL in seconds; ``None`` and 0 (py-healthcheck's "no caching") are 0."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigurationError(f"{key} must be a number of seconds >= 0 or None, got {value!r}")
    return float(value)


def unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"
