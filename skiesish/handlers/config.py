"""Handler configuration: pydantic models that forbid unknown keys, with plain-sentence errors."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import pydantic

from ..exceptions import ConfigurationError
from ..scrubbing import is_secret_key, scrub_text
from ..security import check_token_setting
from ..text import bounded

__all__ = ["DetailsToken", "HandlerConfig", "validate_config"]

ConfigT = TypeVar("ConfigT", bound="HandlerConfig")


class HandlerConfig(pydantic.BaseModel):
    """The base of every handler's configuration model: unknown keys are errors."""

    model_config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


def _token_or_none(value: Any) -> Any:
    return None if value is None else check_token_setting(value)


#: A ``details_token`` setting: a token someone could present, or ``"env:VARIABLE"``, or ``None``.
DetailsToken = Annotated[str | None, pydantic.BeforeValidator(_token_or_none)]


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
            f"{handler_name}: the configuration must be a dict, got {shown_value('', config)}"
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
        # "allowed keys are", not "allowed keys:": a scrubber reading the message again (a nested
        # handler's error inside another's) would take "keys: 'cache'" for a secret and mask it.
        return f"unknown key '{key}'{hint}; allowed keys are " + ", ".join(f"'{name}'" for name in allowed)
    if problem["type"] == "value_error" and not problem["loc"]:
        return scrub_text(str(problem["msg"]).removeprefix("Value error, "))
    value = problem.get("input")
    message = str(problem["msg"]).removeprefix("Value error, ")
    message = message[0].lower() + message[1:] if message else message
    if problem["type"] == "value_error":  # our own validators already say what arrived
        return scrub_text(f"'{key}': {message}")
    return f"'{key}': {message}, got {shown_value(key, value)}"


def shown_value(key: str, value: Any) -> str:
    """What arrived under ``key``, for an error message: its type, and its value unless that may be secret.

    A token or password given the wrong type is still a token or password:
    only its type is named. Any other value is quoted short and scrubbed.
    """
    if any(is_secret_key(str(part)) for part in key.split(".")):
        return f"{type(value).__name__} (value not shown)"
    return bounded(scrub_text(f"{type(value).__name__} {value!r}"), 100)  # scrubbed whole, then cut
