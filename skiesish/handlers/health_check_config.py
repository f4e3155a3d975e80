"""The configuration of the HealthCheck handler, and the checks it describes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Literal

import pydantic

from ..di import DI
from ..durations import MAX_INTERVAL, MAX_TIMEOUT, MAX_TTL, MIN_INTERVAL, seconds
from ..exceptions import HealthError
from ..extras import import_extra
from ..health import Check
from ..health.check import threshold
from ..health.history import HistorySettings
from ..responses import check_header
from ..scrubbing import scrub_text
from .config import DetailsToken, HandlerConfig

__all__ = ["RESERVED_SECTION_NAMES", "STATUS_RANGES", "HealthCheckConfig", "service_check"]

#: Keys the bodies already use; a section may not take them.
RESERVED_SECTION_NAMES = frozenset(
    {"status", "error", "data", "pagination", "input_errors", "checks", "hostname", "timestamp", "results"}
)

#: Status key -> (lowest, highest, what the range means). A failure answered 2xx or 3xx would
#: pass every load balancer's and Kubernetes' probe.
STATUS_RANGES = {
    "success_status": (200, 299, "a success"),
    "failed_status": (400, 599, "a client or server error, so that probes see the failure"),
}


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


class HealthCheckConfig(HandlerConfig):
    """Configuration of :class:`~skiesish.handlers.HealthCheck`; see docs/configuration.md."""

    services: list[str] = pydantic.Field(default_factory=list)
    callable: Callable[..., Any] | None = None
    checks: list[Any] | dict[str, Any] = pydantic.Field(default_factory=list)
    timeout: float = 5.0
    success_ttl: float | None = 27.0
    failed_ttl: float | None = 9.0
    refresh: Literal["on_demand", "background"] = "on_demand"
    interval: float | None = None
    details: Literal["never", "always", "authorized"] = "never"
    details_token: DetailsToken = None
    sections: dict[str, Any] = pydantic.Field(default_factory=dict)
    format: Literal["envelope", "health+json", "text", "runscope", "problem+json", "prometheus", "html"] = (
        "envelope"
    )
    success_status: int = 200
    failed_status: int = 500
    success_headers: dict[str, str] = pydantic.Field(default_factory=dict)
    failed_headers: dict[str, str] = pydantic.Field(default_factory=dict)
    success_handler: Callable[..., Any] | None = None
    failed_handler: Callable[..., Any] | None = None
    tags: list[str] = pydantic.Field(default_factory=list)
    on_change: Callable[..., Any] | None = None
    failure_threshold: int = 1
    success_threshold: int = 1
    listeners: list[Any] = pydantic.Field(default_factory=list)
    cache: str | None = None
    cache_namespace: str | None = None
    cache_secret: str | None = None
    history: HistorySettings | None = None

    @pydantic.field_validator("timeout", mode="before")
    @classmethod
    def _timeout_in_range(cls, value: Any) -> Any:
        return seconds("", value, maximum=MAX_TIMEOUT)

    @pydantic.field_validator("success_ttl", "failed_ttl", mode="before")
    @classmethod
    def _ttl_in_range(cls, value: Any) -> Any:
        return seconds("", value, maximum=MAX_TTL, allow_zero=True, allow_none=True)

    @pydantic.field_validator("interval", mode="before")
    @classmethod
    def _interval_in_range(cls, value: Any) -> Any:
        return seconds("", value, minimum=MIN_INTERVAL, maximum=MAX_INTERVAL, allow_none=True)

    @pydantic.field_validator("failure_threshold", "success_threshold", mode="before")
    @classmethod
    def _threshold_in_range(cls, value: Any) -> Any:
        return threshold("", value)

    @pydantic.field_validator("listeners")
    @classmethod
    def _listeners_listen(cls, value: list[Any]) -> list[Any]:
        for index, listener in enumerate(value):
            if not callable(getattr(listener, "on_run", None)) and not callable(
                getattr(listener, "on_change", None)
            ):
                raise ValueError(
                    f"item {index} ({type(listener).__name__}) has neither an on_run(run) nor an "
                    "on_change(report) method"
                )
        return value

    @pydantic.field_validator("history", mode="before")
    @classmethod
    def _history_settings(cls, value: Any) -> HistorySettings | None:
        return HistorySettings.from_setting(value)

    @pydantic.field_validator("success_status", "failed_status", mode="before")
    @classmethod
    def _status_in_range(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        low, high, meaning = STATUS_RANGES[str(info.field_name)]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(
                f"must be an int from {low} to {high} ({meaning}), got {type(value).__name__} {value!r:.40}"
            )
        return value

    @pydantic.field_validator("success_headers", "failed_headers", mode="before")
    @classmethod
    def _headers_are_headers(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a dict of header names to values, got {type(value).__name__}")
        return dict(check_header(name, text) for name, text in value.items())

    @pydantic.field_validator("checks")
    @classmethod
    def _checks_are_callable(cls, value: list[Any] | dict[str, Any]) -> list[Any] | dict[str, Any]:
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            if not isinstance(item, Check) and not callable(item):
                kind = type(item).__name__
                raise ValueError(f"each check must be a callable or skiesish.Check, got {kind} {item!r:.60}")
        return value

    @pydantic.field_validator("sections")
    @classmethod
    def _sections_do_not_collide(cls, value: dict[str, Any]) -> dict[str, Any]:
        taken = sorted(RESERVED_SECTION_NAMES & set(value))
        if taken:
            raise ValueError(
                f"section names {taken} are already used by the response body; "
                f"reserved: {sorted(RESERVED_SECTION_NAMES)}"
            )
        return value

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> HealthCheckConfig:
        if self.details == "authorized" and not self.details_token:
            raise ValueError("details 'authorized' needs a details_token (a token, or 'env:VARIABLE')")
        if self.details_token is not None and self.details != "authorized":
            raise ValueError(f"details_token is only used with details 'authorized', not {self.details!r}")
        if self.interval is not None and self.refresh != "background":
            raise ValueError("interval is only used with refresh 'background'")
        if self.cache is not None and not self.cache.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"cache must be a redis:// URL (or rediss://, unix://), got {scrub_text(repr(self.cache))}"
            )
        if self.cache_namespace is not None and self.cache is None:
            raise ValueError("cache_namespace is only used with cache")
        if self.cache_secret is not None and self.cache is None:
            raise ValueError("cache_secret is only used with cache")
        if self.cache_secret is not None and not self.cache_secret.strip():
            raise ValueError("cache_secret must not be empty (leave it out to share unsigned results)")
        if self.format == "prometheus":
            import_extra("prometheus_client", "prometheus", "format 'prometheus'")
        self.selected_checks()  # duplicate names and unknown tags fail here, at build time
        return self

    def all_checks(self) -> list[Check]:
        """Every check the configuration names: services, the callable, then ``checks``."""
        checks = [service_check(name) for name in self.services]
        if self.callable is not None:
            checks.append(Check(self.callable, falsy_fails=True))
        if isinstance(self.checks, dict):
            checks.extend(
                dataclasses.replace(item, name=name) if isinstance(item, Check) else Check(item, name=name)
                for name, item in self.checks.items()
            )
        else:
            checks.extend(item if isinstance(item, Check) else Check(item) for item in self.checks)
        names = [check.label for check in checks]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(
                f"check names must be unique; more than one check is named {', '.join(duplicates)}: "
                "give each its own with name=... (skiesish.Check(func, name=...), or the ready-made "
                "checks' name= argument), or use a dict of name -> check"
            )
        return checks

    def selected_checks(self) -> list[Check]:
        """The checks this handler runs: all of them, or those carrying one of ``tags``."""
        checks = self.all_checks()
        if not self.tags:
            return checks
        selected = [check for check in checks if set(check.tags) & set(self.tags)]
        if not selected:
            raise ValueError(f"no check carries any of the tags {self.tags}")
        return selected
