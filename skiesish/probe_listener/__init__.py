"""Probes answered on their own socket and threads, and the heartbeat that keeps them honest.

:class:`ProbeListener` serves a probes application apart from the
application's workers, so a saturated application still answers its
liveness probe in milliseconds. A :class:`WorkerWatch` (a thread pool's,
an event loop's, or gunicorn's workers') joins its liveness and readiness
as the check ``worker_pool``, so a wedged application still fails it.
"""

from __future__ import annotations

from .asgi import ProbeListenerMiddleware, with_probe_listener
from .event_loop import EventLoopWatch
from .listener import ProbeListener, accepting, builtin_probes, start_probe_listener
from .watch import DEFAULT_STALL_AFTER, WATCH_NAME, ThreadPoolWatch, WorkerWatch, stall_seconds

__all__ = [
    "DEFAULT_STALL_AFTER",
    "WATCH_NAME",
    "EventLoopWatch",
    "ProbeListener",
    "ProbeListenerMiddleware",
    "ThreadPoolWatch",
    "WorkerWatch",
    "accepting",
    "builtin_probes",
    "stall_seconds",
    "start_probe_listener",
    "with_probe_listener",
]
