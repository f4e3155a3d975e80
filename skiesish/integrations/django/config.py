"""The ``SKIESISH`` setting: validated by pydantic, then its check lists turned into checks.

``SKIESISH`` is a dict. ``live``, ``ready`` and ``startup`` list each probe's
checks; every other key is one of the HealthCheck handler's (``timeout``,
``success_ttl``, ``details``, ``format``...; docs/configuration.md). A check
in a list is a :class:`skiesish.Check`, a function, or a string: the name of
one of the Django checks (``"database"``, ``"cache"``, ...: each built with
its defaults) or the dotted path of a check, a function, a list of them, or
one of the Django checks' functions.

Validation happens in two steps, reported by two system checks: the keys and
their values (``skiesish.E001``), then the checks the lists name
(``skiesish.E002``: an import that fails, an alias Django lacks, two checks
of one name).

Example:
    >>> SKIESISH = {
    ...     "ready": ["database", "cache", "myproject.health.payments_up"],
    ...     "startup": ["migrations"],
    ...     "timeout": 3,
    ...     "details": "authorized",
    ...     "details_token": "env:HEALTH_TOKEN",
    ... }
"""

from __future__ import annotations

import dataclasses
import difflib
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any

import pydantic

from ...exceptions import ConfigurationError
from ...handlers.config import validate_config
from ...handlers.health_check_config import HealthCheckConfig
from ...handlers.probes import ProbesConfig
from ...health import Check
from ...scrubbing import scrub_text
from ._connections import closes_connections
from .checks import BY_NAME

__all__ = [
    "ALLOWED_KEYS",
    "DEFAULT_CHECKS",
    "PROBE_KEYS",
    "SkiesishSettings",
    "probes_config",
    "read_settings",
]

#: The keys that list each probe's checks.
PROBE_KEYS = ("live", "ready", "startup")
#: HealthCheck's keys that describe checks: here the checks come from the probe lists.
_CHECK_KEYS = frozenset({"services", "callable", "checks", "tags"})
#: HealthCheck's other keys, taken as they are.
HEALTH_KEYS = tuple(key for key in HealthCheckConfig.model_fields if key not in _CHECK_KEYS)
#: Every key ``SKIESISH`` may have.
ALLOWED_KEYS = (*PROBE_KEYS, *sorted(HEALTH_KEYS))
#: What each probe runs when ``SKIESISH`` does not say.
DEFAULT_CHECKS: dict[str, tuple[str, ...]] = {
    "live": (),
    "ready": ("database", "cache"),
    "startup": ("migrations",),
}


class SkiesishSettings(HealthCheckConfig):
    """``SKIESISH``: the probes' check lists and HealthCheck's other keys, each validated as there.

    Attributes:
        live: checks of ``/livez`` (none by default: a process that answers is alive).
        ready: checks of ``/readyz`` (every database and every cache by default).
        startup: checks of ``/startupz``, each passing once (migrations by default).
    """

    live: list[Any] = pydantic.Field(default_factory=lambda: list(DEFAULT_CHECKS["live"]))
    ready: list[Any] = pydantic.Field(default_factory=lambda: list(DEFAULT_CHECKS["ready"]))
    startup: list[Any] = pydantic.Field(default_factory=lambda: list(DEFAULT_CHECKS["startup"]))

    @pydantic.model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = next((key for key in data if key not in ALLOWED_KEYS), None)
            if unknown is not None:
                close = difflib.get_close_matches(str(unknown), ALLOWED_KEYS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                # Worded so that the scrubber, which reads "keys: 'x'" as a secret, leaves it whole.
                raise ValueError(
                    f"unknown key {unknown!r}{hint}; allowed keys are "
                    + ", ".join(f"'{key}'" for key in ALLOWED_KEYS)
                )
        return data

    @pydantic.field_validator(*PROBE_KEYS)
    @classmethod
    def _checks_or_names(cls, items: list[Any]) -> list[Any]:
        for index, item in enumerate(items):
            if isinstance(item, str) and item.strip():
                continue
            if not isinstance(item, str) and (isinstance(item, Check) or callable(item)):
                continue
            raise ValueError(
                f"item {index} must be a skiesish.Check, a function, the name of a Django check "
                f"({', '.join(BY_NAME)}) or a dotted path, got {type(item).__name__} {item!r:.60}"
            )
        return items

    def health(self) -> dict[str, Any]:
        """The HealthCheck keys that were given, for the Probes handler's ``health``."""
        return {key: getattr(self, key) for key in HEALTH_KEYS if key in self.model_fields_set}


def read_settings(value: Any) -> SkiesishSettings:
    """Validate the ``SKIESISH`` setting (``{}`` when it is absent).

    Raises:
        ConfigurationError: naming the key, what it should be and what arrived,
            or for an unknown key every allowed key.
    """
    return validate_config("SKIESISH", SkiesishSettings, value)


def probes_config(settings: SkiesishSettings) -> dict[str, Any]:
    """The Probes handler's configuration: each list's items made into checks, validated.

    A string names the same checks wherever it appears, and an object is
    made into one check however many lists hold it, so a check in two probes
    runs once per TTL. Every check's function closes the database
    connections its run opened (see :mod:`._connections`).

    Raises:
        ConfigurationError: a name that is no check, a path that cannot be
            imported, an alias Django lacks, two checks of one name.
    """
    made: dict[str, list[Check]] = {}
    wrapped: dict[int, tuple[Any, Check]] = {}
    config: dict[str, Any] = {"health": settings.health()}
    for key in PROBE_KEYS:
        checks: list[Check] = []
        for index, item in enumerate(getattr(settings, key)):
            where = f"SKIESISH['{key}'][{index}]"
            if isinstance(item, str):
                if item not in made:
                    made[item] = [_closing(check, wrapped) for check in _checks_named(item, where)]
                checks.extend(made[item])
            else:
                checks.append(_closing(item, wrapped))
        config[key] = checks
    try:
        ProbesConfig.model_validate(config)
    except pydantic.ValidationError as error:
        problems = "; ".join(str(problem["msg"]).removeprefix("Value error, ") for problem in error.errors())
        raise ConfigurationError(f"SKIESISH: {problems}") from None
    return config


def _closing(item: Any, wrapped: dict[int, tuple[Any, Check]]) -> Check:
    """``item`` as a check whose function closes the connections it opens; one per item, however often listed.

    ``wrapped`` keeps each item with its check, so that no item's id is reused while it is looked up by it.
    """
    if id(item) not in wrapped:
        check = item if isinstance(item, Check) else Check(item)
        wrapped[id(item)] = (item, dataclasses.replace(check, func=closes_connections(check.func)))
    return wrapped[id(item)][1]


def _checks_named(text: str, where: str) -> list[Check]:
    """The checks a string in a probe list names: a Django check's name, or a dotted path."""
    factory = BY_NAME.get(text)
    if factory is not None:
        return _made_by(factory, text, where)
    if "." not in text:
        close = difflib.get_close_matches(text, list(BY_NAME), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigurationError(
            f"{where}: {text!r}{hint} is neither a Django check ({', '.join(BY_NAME)}) nor the dotted "
            "path of a check, like 'myproject.health.payments_up'"
        )
    try:
        value = pkgutil.resolve_name(text)
    except Exception as error:  # noqa: BLE001 - importing a user's module can raise anything
        # What a user's module raised may quote anything: it is scrubbed like every other output.
        raise ConfigurationError(
            scrub_text(f"{where}: cannot import {text!r}: {type(error).__name__}: {error}")
        ) from None
    if any(value is factory for factory in BY_NAME.values()):
        return _made_by(value, text, where)
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if not isinstance(item, Check) and not callable(item):
            raise ConfigurationError(
                f"{where}: {text!r} is {type(item).__name__} {item!r:.60}, not a check, a function "
                "or a list of them"
            )
    return [item if isinstance(item, Check) else Check(item) for item in items]


def _made_by(factory: Callable[..., Check | list[Check]], text: str, where: str) -> list[Check]:
    """What one of the Django checks' functions builds with its defaults, as a list."""
    try:
        made = factory()
    except ConfigurationError as error:
        raise ConfigurationError(f"{where} ({text!r}): {error}") from None
    return made if isinstance(made, list) else [made]
