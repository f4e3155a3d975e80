"""Kubernetes liveness, readiness and startup endpoints on one engine and one cache."""

from __future__ import annotations

import dataclasses
import datetime
import threading
from collections.abc import Callable
from typing import Any

import pydantic

from ..health import Check, CheckResult, Report
from ..input_outputs import ClientError, InputOutput, shown_path
from ..responses import Response
from ..service_state import ServiceState
from .base import Handler
from .config import HandlerConfig
from .health_check import HealthCheck

__all__ = ["PROBE_PATHS", "Probes", "ProbesConfig", "probes"]

#: Path -> probe. ``livez``/``readyz``/``startupz`` as Kubernetes' own
#: components name them, and flask-healthz's ``healthz/live`` and ``healthz/ready``.
PROBE_PATHS = {
    "livez": "live",
    "healthz/live": "live",
    "readyz": "ready",
    "healthz/ready": "ready",
    "startupz": "startup",
    "healthz/startup": "startup",
}


class ProbesConfig(HandlerConfig):
    """Configuration of :class:`Probes`; see docs/configuration.md."""

    live: list[Any] = pydantic.Field(default_factory=list)
    ready: list[Any] = pydantic.Field(default_factory=list)
    startup: list[Any] = pydantic.Field(default_factory=list)
    health: dict[str, Any] = pydantic.Field(default_factory=dict)

    @pydantic.model_validator(mode="after")
    def _valid(self) -> ProbesConfig:
        reserved = sorted({"checks", "services", "callable", "tags"} & set(self.health))
        if reserved:
            raise ValueError(f"health may not set {reserved}: the checks come from live, ready and startup")
        HealthCheck.validate_config({**self.health, "checks": self.all_checks()})
        return self

    def checks_by_item(self) -> dict[int, Check]:
        """Each configured item (by identity) -> its Check; an item in several probes appears once."""
        unique: dict[int, Check] = {}
        for item in (*self.live, *self.ready, *self.startup):
            if id(item) not in unique:
                unique[id(item)] = item if isinstance(item, Check) else Check(item)
        return unique

    def all_checks(self) -> list[Check]:
        """Every check once, in the order first met."""
        return list(self.checks_by_item().values())

    def names_for(self, probe: str) -> list[str]:
        """The names of the checks one probe (``live``, ``ready``, ``startup``) runs."""
        checks = self.checks_by_item()
        return [checks[id(item)].label for item in getattr(self, probe)]


class Probes(Handler):
    """``/livez``, ``/readyz``, ``/startupz`` (and ``/healthz/live``, ``/healthz/ready``).

    - Liveness runs only the ``live`` checks: none by default, because a
      process that answers HTTP is alive, and restarting it will not mend
      a database.
    - Readiness runs the ``ready`` checks, and fails while the process shuts
      down or is switched out of service (``service_state`` in DI).
    - Behind a probe listener, both also report the main server's workers'
      heartbeat as the check ``worker_pool``.
    - Startup passes once every ``startup`` check has passed at least once,
      and never runs them again.

    All three share one engine, so one cache: a check in both ``live`` and
    ``ready`` runs once per TTL. ``health`` takes HealthCheck's other keys
    (``timeout``, TTLs, ``details``, ``format``, ...).

    Example:
        >>> skiesish.probes(ready=[skiesish.checks.sql()], startup=[migrations_done])
    """

    config_class = ProbesConfig
    config: ProbesConfig
    takes_subpaths = True
    subpaths = tuple(PROBE_PATHS)

    def __init__(self, di: Any, service_state: ServiceState) -> None:
        super().__init__(di)
        self.service_state = service_state

    def prepare(self) -> None:
        self.health = HealthCheck(self.di)
        self.health.configure({**self.config.health, "checks": self.config.all_checks()})
        # The probes never report on all checks at once: listeners (a webhook, metrics) hear readiness.
        self.health.engine.status_watch.listened_label = "ready"
        self.names = {probe: self.config.names_for(probe) for probe in ("live", "ready", "startup")}
        self._started: set[str] = set()
        self._has_started = not self.names["startup"]
        self._started_lock = threading.Lock()

    def close(self) -> None:
        self.health.close()

    def handle(self, input_output: InputOutput) -> Response:
        probe = self._probe(input_output)
        version = self.service_state.version
        report = self.report(probe)
        response = self.health.answer(report, input_output)
        if self.health.is_reusable(input_output):
            input_output.reusable_while = self._reusable_while(probe, report, version)
        return response

    def health_report(self, input_output: InputOutput) -> Report:
        """The report of the probe the request's path names.

        Raises:
            ClientError: (404) the path names no probe.
        """
        return self.report(self._probe(input_output))

    def _probe(self, input_output: InputOutput) -> str:
        probe = PROBE_PATHS.get(input_output.routing_path.strip("/"))
        if probe is None:
            raise ClientError(
                f"no probe at {shown_path(input_output.path)}; probes: /" + ", /".join(PROBE_PATHS), 404
            )
        return probe

    def _reusable_while(self, probe: str, report: Report, version: int) -> Callable[[], bool] | None:
        """How long an answer made from ``report`` holds: while its results and the service state do.

        Never with a heartbeat watched: ``worker_pool`` is read anew for every probe.
        """
        state = self.service_state
        if state.has_watches or state.version != version:
            return None
        if probe == "startup":
            return _always if self._has_started else None
        fresh = self.health.engine.fresh_while(report, self.names[probe])
        if fresh is None:
            return None
        return lambda: state.version == version and fresh()

    def report(self, probe: str) -> Report:
        """Evaluate one probe: ``"live"``, ``"ready"`` or ``"startup"``."""
        if probe == "startup":
            return self._startup_report()
        report = self.health.engine.evaluate(self.names[probe], label=probe)
        added = self.service_state.watch_results()
        reason = self.service_state.reason_not_ready() if probe == "ready" else None
        if reason is not None:
            now = datetime.datetime.now(datetime.timezone.utc)
            added = (*added, CheckResult("service_state", False, reason, 0.0, now))
        if not added:
            return report
        return dataclasses.replace(report, results=(*report.results, *added))

    def _startup_report(self) -> Report:
        if self._has_started:
            return Report(())
        report = self.health.engine.evaluate(self.names["startup"], label="startup")
        with self._started_lock:
            self._started.update(result.name for result in report.results if result.passed)
            if self._started >= set(self.names["startup"]):
                self._has_started = True
                return Report(())  # started: each check passed once, whatever they say now
        return report

    def openapi_responses(self) -> dict[str, Any]:
        return self.health.openapi_responses()


def _always() -> bool:
    return True


def probes(
    live: list[Any] | None = None,
    ready: list[Any] | None = None,
    startup: list[Any] | None = None,
    **health: Any,
) -> Any:
    """An application answering Kubernetes' liveness, readiness and startup probes.

    Args:
        live: checks for ``/livez`` (none by default: see :class:`Probes`).
        ready: checks for ``/readyz``.
        startup: checks for ``/startupz``.
        **health: HealthCheck's other keys (``timeout``, ``success_ttl``, ``details``, ``format``...).

    Example:
        >>> application = skiesish.contexts.wsgi(skiesish.probes(ready=[skiesish.checks.sql()]))
    """
    from ..application import Application

    return Application(
        Probes, {"live": live or [], "ready": ready or [], "startup": startup or [], "health": health}
    )
