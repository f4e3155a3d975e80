"""Whether this process should receive traffic: shutting down, or switched out of service."""

from __future__ import annotations

import threading

from .log import logger

__all__ = ["ServiceState"]


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
        logger.info("shutting down: readiness now fails")

    def set_out_of_service(self, is_out_of_service: bool) -> None:
        """Take the process out of service (``True``) or put it back (``False``)."""
        with self._lock:
            self._is_out_of_service = is_out_of_service
        logger.info("out of service" if is_out_of_service else "back in service")

    def reason_not_ready(self) -> str | None:
        """Why readiness must fail, or ``None`` when nothing here stands in its way."""
        if self._is_draining:
            return "shutting down"
        if self._is_out_of_service:
            return "out of service"
        return None
