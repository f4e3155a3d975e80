"""Handler configuration: pydantic models that forbid unknown keys, with plain-sentence errors."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic

from ..exceptions import ConfigurationError

__all__ = ["HandlerConfig", "validate_config"]

ConfigT = TypeVar("ConfigT", bound="HandlerConfig")


class HandlerConfig(pydantic.BaseModel):
    """The base of every handler's configuration model: unknown keys are errors."""

    model_config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


def validate_config(handler_name: str, model: type[ConfigT], config: Any) -> ConfigT:
    """Validate a config dict against ``model``.

    Raises:
        ConfigurationError: naming the handler, each bad key, what it should
            be and what arrived (for an unknown key, the allowed keys and the
            closest one).
    """
    if isinstance(config, model):
        return config
    if not isinstance(config, Mapping):
        raise ConfigurationError(
            f"{handler_name}: the configuration must be a dict, got {type(config).__name__} {config!r:.80}"
        )
    try:
        return model.model_validate(dict(config))
    except pydantic.ValidationError as error:
        allowed = sorted(model.model_fields)
        problems = [_describe(problem, allowed) for problem in error.errors()]
        raise ConfigurationError(f"{handler_name} configuration: " + "; ".join(problems)) from None


def _describe(problem: Any, allowed: list[str]) -> str:
    key = ".".join(str(part) for part in problem["loc"]) or "(the configuration)"
    if problem["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(problem["loc"][0]), allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key '{key}'{hint}; allowed keys: " + ", ".join(f"'{name}'" for name in allowed)
    if problem["type"] == "value_error" and not problem["loc"]:
        return str(problem["msg"]).removeprefix("Value error, ")
    value = problem.get("input")
    message = str(problem["msg"]).removeprefix("Value error, ")
    message = message[0].lower() + message[1:] if message else message
    if problem["type"] == "value_error":  # our own validators already say what arrived
        return f"'{key}': {message}"
    return f"'{key}': {message}, got {type(value).__name__} {value!r:.80}"
