"""Declarative handlers: a class plus a config dict, validated at build time."""

from .base import Handler
from .callable import Callable
from .config import HandlerConfig
from .environment_dump import EnvironmentDump
from .health_check import HealthCheck
from .probes import Probes
from .simple_routing import SimpleRouting

__all__ = [
    "Callable",
    "EnvironmentDump",
    "Handler",
    "HandlerConfig",
    "HealthCheck",
    "Probes",
    "SimpleRouting",
]
