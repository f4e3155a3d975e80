"""skiesish: a small dependency-injection framework whose HealthCheck handler tells the truth.

Example:
    >>> import skiesish
    >>> application = skiesish.contexts.wsgi(skiesish.Application(
    ...     skiesish.handlers.HealthCheck, {"services": ["memory_backend"]},
    ... ))

Names are imported on first use, so that ``skiesish check --url`` (a probe
run by Docker or Kubernetes every few seconds) starts as fast as Python
itself and loads nothing but the standard library.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing would slow every probe's start

__version__ = "0.1.0"

__all__ = [
    "Application",
    "BindingConfig",
    "Check",
    "ConfigurationError",
    "EventLoopWatch",
    "HealthError",
    "Heartbeat",
    "ProbeListener",
    "SkiesishError",
    "ThreadPoolWatch",
    "WorkerWatch",
    "__version__",
    "backends",
    "checks",
    "contexts",
    "di",
    "handlers",
    "probes",
    "start_probe_listener",
    "with_probe_listener",
]

_NAMES = {
    "Application": "skiesish.application",
    "BindingConfig": "skiesish.di",
    "Check": "skiesish.health",
    "ConfigurationError": "skiesish.exceptions",
    "HealthError": "skiesish.exceptions",
    "Heartbeat": "skiesish.heartbeat",
    "SkiesishError": "skiesish.exceptions",
    "probes": "skiesish.handlers.probes",
    "EventLoopWatch": "skiesish.probe_listener",
    "ProbeListener": "skiesish.probe_listener",
    "ThreadPoolWatch": "skiesish.probe_listener",
    "WorkerWatch": "skiesish.probe_listener",
    "start_probe_listener": "skiesish.probe_listener",
    "with_probe_listener": "skiesish.probe_listener",
}
_SUBMODULES = frozenset({"backends", "checks", "contexts", "di", "handlers", "logging"})

if TYPE_CHECKING:
    from typing import Any

    from . import backends, checks, contexts, di, handlers
    from .application import Application
    from .di import BindingConfig
    from .exceptions import ConfigurationError, HealthError, SkiesishError
    from .handlers.probes import probes
    from .health import Check
    from .heartbeat import Heartbeat
    from .probe_listener import (
        EventLoopWatch,
        ProbeListener,
        ThreadPoolWatch,
        WorkerWatch,
        start_probe_listener,
        with_probe_listener,
    )


def __getattr__(name: str) -> Any:
    # __import__ rather than importlib.import_module: importing importlib (and the warnings
    # module it loads) would add about a twentieth to every `skiesish check --url`.
    if name in _NAMES:
        __import__(_NAMES[name])
        value = getattr(sys.modules[_NAMES[name]], name)
    elif name in _SUBMODULES:
        __import__(f"skiesish.{name}")
        value = sys.modules[f"skiesish.{name}"]
    else:
        raise AttributeError(f"module 'skiesish' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
