"""An application: one handler class, its configuration and its bindings."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .di import DI, AdditionalConfig
from .exceptions import ConfigurationError
from .handlers import Callable as CallableHandler
from .handlers import Handler

__all__ = ["Application"]

_DICT_KEYS = (
    "handler_class",
    "handler_config",
    "bindings",
    "binding_classes",
    "binding_modules",
    "additional_configs",
)


class Application:
    """A handler class with its configuration, ready to be put in a context.

    The configuration is validated here, when the application is built, so a
    typo fails before any server starts.

    Args:
        handler_class: a :class:`~skiesish.handlers.Handler` subclass.
        handler_config: the handler's configuration dict.
        bindings, binding_classes, binding_modules, additional_configs: what
            the DI container gets, merged with (and overridden by) the
            context's own.

    Example:
        >>> Application(skiesish.handlers.HealthCheck, {"services": ["memory_backend"]})
    """

    def __init__(
        self,
        handler_class: type[Handler],
        handler_config: Mapping[str, Any] | None = None,
        bindings: Mapping[str, Any] | None = None,
        binding_classes: Iterable[type] | None = None,
        binding_modules: Iterable[types.ModuleType] | None = None,
        additional_configs: Iterable[AdditionalConfig | type[AdditionalConfig]] | None = None,
    ) -> None:
        if not (isinstance(handler_class, type) and issubclass(handler_class, Handler)):
            raise ConfigurationError(
                "Application needs a handler class from skiesish.handlers (or a subclass of "
                f"skiesish.handlers.Handler), got {type(handler_class).__name__} {handler_class!r:.80}"
            )
        self.handler_class = handler_class
        self.handler_config = handler_class.validate_config(handler_config or {})
        self.bindings = dict(bindings or {})
        self.binding_classes = list(binding_classes or [])
        self.binding_modules = list(binding_modules or [])
        self.additional_configs = list(additional_configs or [])

    @classmethod
    def coerce(cls, application: Application | Mapping[str, Any] | Callable[..., Any]) -> Application:
        """Accept an :class:`Application`, a dict of its arguments, or a plain function.

        A plain function is run by the :class:`~skiesish.handlers.Callable` handler.
        """
        if isinstance(application, Application):
            return application
        if isinstance(application, Mapping):
            unknown = sorted(set(application) - set(_DICT_KEYS))
            if unknown or "handler_class" not in application:
                problem = f"unknown keys {unknown}" if unknown else "no 'handler_class'"
                raise ConfigurationError(
                    f"an application dict has {problem}; allowed keys are " + ", ".join(_DICT_KEYS)
                )
            return cls(**application)
        if callable(application) and not isinstance(application, type):
            return cls(CallableHandler, {"callable": application})
        raise ConfigurationError(
            "a context needs a skiesish.Application, a dict with 'handler_class' and "
            f"'handler_config', or a function; got {type(application).__name__} {application!r:.80}"
        )

    def build_handler(self, di: DI) -> Handler:
        """Build the handler through ``di`` and configure it."""
        handler: Handler = di.build_class(self.handler_class, cache=False)
        handler.configure(self.handler_config)
        return handler
