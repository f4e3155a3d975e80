"""Whether this process should receive traffic: shutting down, switched out of service, or wedged."""

from __future__ import annotations

import threading

from .log import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .health import CheckResult
    from .probe_listener import WorkerWatch

__all__ = ["ServiceState", "service_state_of"]


class ServiceState:
    """A switch readiness probes consult, shared through DI as ``service_state``.

    ``skiesish serve`` calls :meth:`start_draining` on SIGTERM; operators and
    code can take the process out of service (and back) by hand.

    Example:
        >>> def maintenance(service_state):
        ...     service_state.set_out_of_service(True)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._is_draining = False
        self._is_out_of_service = False
        self._watches: tuple[WorkerWatch, ...] = ()
        #: Counts every change, so that an answer made before one can tell it is out of date.
        self.version = 0

    @property
    def is_draining(self) -> bool:
        """Whether the process is shutting down."""
        return self._is_draining

    @property
    def is_out_of_service(self) -> bool:
        """Whether the process was switched out of service by hand."""
        return self._is_out_of_service

    def start_draining(self) -> None:
        """Mark the process as shutting down: readiness fails from now on."""
        with self._lock:
            self._is_draining = True
            self.version += 1
        logger.info("shutting down: readiness now fails")

    def set_out_of_service(self, is_out_of_service: bool) -> None:
        """Take the process out of service (``True``) or put it back (``False``)."""
        with self._lock:
            self._is_out_of_service = is_out_of_service
            self.version += 1
        logger.info("out of service" if is_out_of_service else "back in service")

    def add_watch(self, watch: WorkerWatch) -> None:
        """Let the heartbeat of the application's workers join liveness and readiness.

        The probe listener does this, so that probes answered apart from the
        workers still fail when those workers are wedged.
        """
        with self._lock:
            self._watches = (*self._watches, watch)
            self.version += 1

    @property
    def has_watches(self) -> bool:
        """Whether a heartbeat was added (its result is read anew for every probe)."""
        return bool(self._watches)

    def watch_results(self) -> tuple[CheckResult, ...]:
        """Each watched heartbeat's result now (none unless a probe listener added one)."""
        return tuple(watch.result() for watch in self._watches)

    def reason_not_ready(self) -> str | None:
        """Why readiness must fail, or ``None`` when nothing here stands in its way."""
        if self._is_draining:
            return "shutting down"
        if self._is_out_of_service:
            return "out of service"
        return None


def service_state_of(application: object) -> ServiceState | None:
    """The ``service_state`` of a skiesish context, or ``None`` for any other application."""
    di = getattr(application, "di", None)
    can_provide = getattr(di, "can_provide", None)
    if not callable(can_provide) or not can_provide("service_state"):
        return None
    state = di.build_from_name("service_state")  # type: ignore[union-attr]
    return state if isinstance(state, ServiceState) else None
