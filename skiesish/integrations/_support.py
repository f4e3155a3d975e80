"""What the framework integrations share: option checks, check adapters, Flask answers."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..durations import MAX_TIMEOUT, MAX_TTL, seconds
from ..exceptions import ConfigurationError, MissingExtraError
from ..formats.problem_json import PROBLEM_JSON
from ..health.engine import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    import flask

#: py-healthcheck's default headers of every answer.
JSON_HEADERS = {"Content-Type": "application/json"}


def adapted(
    func: Callable[..., Any],
    on_return: Callable[[Any], Any],
    on_error: Callable[[Exception], Any] | None = None,
) -> Callable[..., Any]:
    """``func`` with its return read by ``on_return`` and its exceptions by ``on_error``.

    Without ``on_error`` an exception goes on to the engine untouched, which
    logs its traceback (scrubbed) when it turns the check to failing; nothing
    here logs it. The wrapper keeps ``func``'s signature (through
    ``__wrapped__``), so DI injects the same parameters, and works for
    ``async def`` checks too.
    """

    @functools.wraps(func)
    def adapted(*args: Any, **kwargs: Any) -> Any:
        if on_error is None:
            value = func(*args, **kwargs)
        else:
            try:
                value = func(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - a user's check may raise anything
                return on_error(error)
        if inspect.isawaitable(value):
            return _settle(value, on_return, on_error)
        return on_return(value)

    return adapted


async def _settle(
    awaitable: Any, on_return: Callable[[Any], Any], on_error: Callable[[Exception], Any] | None
) -> Any:
    if on_error is None:
        return on_return(await awaitable)
    try:
        value = await awaitable
    except Exception as error:  # noqa: BLE001 - a user's check may raise anything
        return on_error(error)
    return on_return(value)


def read_error_timeout(value: float | None, key: str = "error_timeout", allow_zero: bool = True) -> float:
    """A deadline in seconds; ``None`` and (where allowed) py-healthcheck's 0 give the engine's default.

    py-healthcheck's 0 meant "no deadline", which would let one hung check hang
    every probe; here it means the engine's default deadline instead.
    """
    if value is None or (allow_zero and value == 0 and not isinstance(value, bool)):
        return DEFAULT_TIMEOUT
    return float(seconds(key, value, maximum=MAX_TIMEOUT))  # type: ignore[arg-type]


def is_flask_app(value: Any) -> bool:
    """Whether ``value`` registers routes as a Flask application does (no Flask import needed)."""
    return callable(getattr(value, "add_url_rule", None))


def check_flask_app(app: Any, owner: str) -> None:
    """Refuse an ``app`` that is not a Flask application, saying what arrived.

    Raises:
        ConfigurationError: ``app`` has no ``add_url_rule`` (py-healthcheck's
            ``HealthCheck(200)`` meant ``success_status``, say).
    """
    if not is_flask_app(app):
        raise ConfigurationError(
            f"{owner}'s app must be a Flask application, got {type(app).__name__} {app!r:.80}; "
            "the arguments after app and path are keyword-only, and a section named 'app' "
            "is added with add_section('app', ...)"
        )


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


def read_ttl(key: str, value: float | None) -> float:
    """A TTL in seconds; ``None`` and 0 (py-healthcheck's "no caching") are 0."""
    if value is None:
        return 0.0
    return float(seconds(key, value, maximum=MAX_TTL, allow_zero=True))  # type: ignore[arg-type]


def unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"
