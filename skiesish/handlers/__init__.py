"""Declarative handlers: a class plus a config dict, validated at build time."""

from .base import Handler
from .callable import Callable
from .config import HandlerConfig
from .health_check import HealthCheck

__all__ = ["Callable", "Handler", "HandlerConfig", "HealthCheck"]
