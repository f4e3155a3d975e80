"""The serving status of each gRPC health service, read from a skiesish handler's engine.

Knows nothing of protobuf: statuses are the numbers ``grpc.health.v1``
gives them (:data:`SERVING`, :data:`NOT_SERVING`, :data:`SERVICE_UNKNOWN`),
so that the sync and asyncio servicers, the standalone server and the tests
share one piece of logic.

A service is a selection of the engine's checks. Its status is the report
of that selection (cached, single-flight, deadline-bound, as for HTTP),
``NOT_SERVING`` from the moment the process starts shutting down or is
switched out of service (``service_state``), and ``NOT_SERVING`` for every
service once :meth:`HealthStatuses.shut_down` is called. Watchers
subscribe to a service and are told of each change, whether a ``Check``
call or the background refresh (which runs only while someone watches)
noticed it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ...durations import MAX_INTERVAL, seconds
from ...exceptions import ConfigurationError
from ...handlers.health_check import HealthCheck
from ...handlers.probes import Probes
from ...health import HealthEngine, Report
from ...log import logger
from ...service_state import ServiceState
from ...serving import is_service_name
from .codes import NOT_SERVING, SERVICE_UNKNOWN, SERVING, UNKNOWN

__all__ = [
    "DEFAULT_WATCH_INTERVAL",
    "NOT_SERVING",
    "SERVICE_UNKNOWN",
    "SERVING",
    "UNKNOWN",
    "HealthStatuses",
    "Subscription",
]

#: Seconds between the background refresh's looks at the watched services.
DEFAULT_WATCH_INTERVAL = 1.0
#: The fewest seconds allowed between two looks (each look only reruns expired checks).
MIN_WATCH_INTERVAL = 0.05


class Subscription:
    """One watcher of one service: the latest status it was told of, and how to wake it."""

    __slots__ = ("_wake", "is_closed", "latest", "service")

    def __init__(self, service: str, wake: Callable[[], Any]) -> None:
        self.service = service
        #: The latest status told to this watcher (``None`` before the first change it saw).
        self.latest: int | None = None
        self.is_closed = False
        self._wake = wake

    def offer(self, status: int) -> None:
        """Take ``status`` as the latest and wake the watcher."""
        self.latest = status
        self.wake()

    def wake(self) -> None:
        """Wake the watcher; a wake-up that cannot be delivered (its event loop is gone) is dropped."""
        try:
            self._wake()
        except RuntimeError:  # loop.call_soon_threadsafe on a closed loop: the watcher is gone too
            self.is_closed = True


class HealthStatuses:
    """Each configured gRPC service's serving status, with subscriptions for ``Watch``.

    Args:
        handler: a built :class:`~skiesish.handlers.HealthCheck` or
            :class:`~skiesish.handlers.Probes` (a context's ``handler``).
        services: gRPC service name -> check names or tags. ``None`` gives the
            defaults: ``""`` for every check (for ``probes``: the readiness
            checks), one service per check name, and for ``probes`` also
            ``"live"`` and ``"ready"``. A mapping without ``""`` gets ``""``
            for every check, since that is what a client asks by default.
        service_state: the process's switch; while it says not ready, every
            service is ``NOT_SERVING``.
        watch_interval: seconds between the background refresh's looks at
            watched services; a look reruns only the checks whose cached
            result expired.

    Raises:
        ConfigurationError: a service names no check or tag the handler has,
            or ``handler`` is neither a HealthCheck nor probes.
    """

    def __init__(
        self,
        handler: Any,
        services: Mapping[str, Sequence[str] | str] | None = None,
        service_state: ServiceState | None = None,
        watch_interval: float = DEFAULT_WATCH_INTERVAL,
    ) -> None:
        self.engine = _engine_of(handler)
        self.watch_interval = float(
            seconds(  # type: ignore[arg-type]
                "watch_interval", watch_interval, minimum=MIN_WATCH_INTERVAL, maximum=MAX_INTERVAL
            )
        )
        self.selections = _selections(self.engine, handler, services)
        self.service_state = service_state
        self._lock = threading.Lock()
        self._last: dict[str, int] = {}
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._is_shut_down = False
        self._refresher: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def services(self) -> list[str]:
        """The configured service names, ``""`` first."""
        return list(self.selections)

    def status(self, service: str) -> int:
        """``service``'s status now, running its checks whose cached results expired.

        Returns :data:`SERVICE_UNKNOWN` for a name that is not configured.
        Takes at most the engine's deadline (a hung check is failed at it).
        """
        status = self._status(service, self.engine.evaluate)
        assert status is not None  # evaluate() always makes a report
        return status

    def fresh_status(self, service: str) -> int | None:
        """``service``'s status when it needs no check run (for an event loop), else ``None``."""
        return self._status(service, self.engine.fresh_report)

    def statuses(self) -> dict[str, int]:
        """Every service's status (``List``): all checks run at once first, then each is read."""
        if self._stopped_status() is None:
            self.engine.evaluate()  # one concurrent run of everything expired, bounded by the deadline
        return {service: self.status(service) for service in self.selections}

    def subscribe(self, service: str, wake: Callable[[], Any]) -> Subscription:
        """Be told (``wake()``, then :attr:`Subscription.latest`) of each change of ``service``'s status.

        The background refresh runs while any known service is watched. Call
        :meth:`unsubscribe` when the watcher goes.
        """
        subscription = Subscription(service, wake)
        with self._lock:
            self._subscriptions.setdefault(service, set()).add(subscription)
            if self._is_shut_down:
                subscription.latest = NOT_SERVING
            if self._stop.is_set():  # closed: the stream sends the current status and ends
                subscription.is_closed = True
            if service in self.selections and self._refresher is None and not self._stop.is_set():
                self._refresher = threading.Thread(
                    target=self._refresh_while_watched, name="skiesish-grpc-watch", daemon=True
                )
                self._refresher.start()
        if subscription.is_closed:
            subscription.wake()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop telling ``subscription`` of changes, and wake it so that its stream can end."""
        subscription.is_closed = True
        with self._lock:
            watchers = self._subscriptions.get(subscription.service)
            if watchers is not None:
                watchers.discard(subscription)
                if not watchers:
                    del self._subscriptions[subscription.service]
        subscription.wake()

    def shut_down(self) -> None:
        """Turn every service ``NOT_SERVING`` now and tell every watcher, before the server stops."""
        with self._lock:
            self._is_shut_down = True
        for service in self.selections:
            self._publish(service, NOT_SERVING)

    def close(self) -> None:
        """Stop the background refresh and wake every watcher (their streams end)."""
        self._stop.set()
        with self._lock:
            watchers = [subscription for group in self._subscriptions.values() for subscription in group]
        for subscription in watchers:
            self.unsubscribe(subscription)

    # -- inside --------------------------------------------------------------

    def _stopped_status(self) -> int | None:
        """``NOT_SERVING`` while shutting down or out of service; ``None`` otherwise."""
        state = self.service_state
        if self._is_shut_down or (state is not None and state.reason_not_ready() is not None):
            return NOT_SERVING
        return None

    def _status(self, service: str, read: Callable[[tuple[str, ...] | None], Report | None]) -> int | None:
        """``service``'s status from the report ``read`` gives its selection (``None`` if it gives none)."""
        if service not in self.selections:
            return SERVICE_UNKNOWN
        status = self._stopped_status()
        if status is None:
            report = read(self.selections[service])
            if report is None:
                return None
            status = SERVING if report.passed else NOT_SERVING
        self._publish(service, status)
        return status

    def _publish(self, service: str, status: int) -> None:
        """Note ``status``; on a change, tell the service's watchers."""
        if self._last.get(service) == status:  # the common case, without the lock
            return
        with self._lock:
            previous = self._last.get(service)
            self._last[service] = status
            watchers = list(self._subscriptions.get(service, ()))
        if previous == status:
            return
        for subscription in watchers:
            subscription.offer(status)

    def _refresh_while_watched(self) -> None:
        """Every ``watch_interval``, read each watched service's status; end when nobody watches."""
        while not self._stop.wait(self.watch_interval):
            with self._lock:
                watched = [service for service in self._subscriptions if service in self.selections]
                if not watched:
                    self._refresher = None
                    return
            for service in watched:
                try:
                    self.status(service)
                except Exception:  # noqa: BLE001 - logged; the refresh must go on for the other watchers
                    logger.exception("the gRPC health watch could not read the service %r", service)
        with self._lock:
            self._refresher = None


def _engine_of(handler: Any) -> HealthEngine:
    """The engine behind ``handler``, which must be a HealthCheck or probes."""
    if isinstance(handler, Probes):
        return handler.health.engine
    if isinstance(handler, HealthCheck):
        return handler.engine
    raise ConfigurationError(
        "the gRPC health service needs an application whose handler is skiesish.handlers.HealthCheck or "
        f"skiesish.probes(...); got {type(handler).__name__}"
    )


def _selections(
    engine: HealthEngine, handler: Any, services: Mapping[str, Sequence[str] | str] | None
) -> dict[str, tuple[str, ...] | None]:
    """Service name -> the check names it runs (``None``: every check), validated."""
    names = engine.names
    everything: tuple[str, ...] | None = None
    probes: dict[str, tuple[str, ...]] = {}
    if isinstance(handler, Probes):
        probes = {probe: tuple(handler.names[probe]) for probe in ("live", "ready")}
        everything = probes["ready"]
    if services is None:
        selections: dict[str, tuple[str, ...] | None] = {"": everything}
        selections.update({name: (name,) for name in names})
        selections.update(probes)
        return selections
    if not isinstance(services, Mapping):
        raise ConfigurationError(
            "services must map each gRPC service name to check names or tags, like "
            f"{{'db': ['postgres'], 'cache': ['redis']}}; got {type(services).__name__}"
        )
    tags: dict[str, list[str]] = {}
    for check in engine.checks:
        for tag in check.tags:
            tags.setdefault(tag, []).append(check.label)
    selections = {} if "" in services else {"": everything}
    for service, wanted in services.items():
        selections[_service_name(service)] = _selection(service, wanted, names, tags)
    return selections


def _service_name(service: Any) -> str:
    if not is_service_name(service):
        raise ConfigurationError(
            f"services: a gRPC service name must be a printable string of at most 200 characters, "
            f"got {service!r:.80}"
        )
    return service


def _selection(service: str, wanted: Any, names: list[str], tags: dict[str, list[str]]) -> tuple[str, ...]:
    """The check names ``wanted`` (names or tags) stands for, in the engine's order."""
    items: Iterable[Any] = (wanted,) if isinstance(wanted, str) else wanted
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(item, str) for item in items):
        raise ConfigurationError(
            f"services[{service!r}] must be a check name or tag, or a non-empty list of them; "
            f"got {wanted!r:.80}"
        )
    chosen: set[str] = set()
    for item in items:
        if item in names:
            chosen.add(item)
        elif item in tags:
            chosen.update(tags[item])
        else:
            known = ", ".join(names) or "(none)"
            known_tags = ", ".join(sorted(tags)) or "(none)"
            raise ConfigurationError(
                f"services[{service!r}] names {item!r}, which is neither a check nor a tag; "
                f"the checks are {known}; the tags are {known_tags}"
            )
    return tuple(name for name in names if name in chosen)
