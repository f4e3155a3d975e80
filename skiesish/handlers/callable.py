"""A handler that answers with whatever a function returns."""

from __future__ import annotations

from collections.abc import Callable as CallableType
from typing import Any

from ..input_outputs import InputOutput
from ..responses import Response, envelope, json_response
from .base import Handler
from .config import HandlerConfig

__all__ = ["Callable", "CallableConfig"]


class CallableConfig(HandlerConfig):
    """Configuration of :class:`Callable`.

    Attributes:
        callable: the function to run; its parameters are injected by name.
    """

    callable: CallableType[..., Any]


class Callable(Handler):
    """Run a function with its parameters injected; its return value becomes ``data``.

    Example:
        >>> skiesish.Application(Callable, {"callable": lambda utcnow: {"time": utcnow}})
    """

    config_class = CallableConfig
    config: CallableConfig

    def handle(self, input_output: InputOutput) -> Response:
        data = self.di.call_function(self.config.callable)
        return json_response(envelope("success", data))
