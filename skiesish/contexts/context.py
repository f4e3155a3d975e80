"""What every context shares: one container, one handler, and a safe way to answer."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..application import Application
from ..di import DI, AdditionalConfig, StandardDependencies
from ..di.scope import reset_input_output, set_input_output
from ..exceptions import ConfigurationError, stops_the_interpreter
from ..input_outputs import ClientError, InputOutput, shown_path
from ..log import logger
from ..responses import Response, body_response, envelope, json_body, json_response

__all__ = ["Context"]

ERROR_BODY = json_body(envelope("failure", []))


class Context:
    """Adapts one application to a way of being called (WSGI, tests, the command line).

    The container and the handler are built once, here, so configuration
    errors surface at build time. Context-level bindings are merged with the
    application's, the context's winning.

    Args:
        application: an :class:`~skiesish.Application`, a dict of its
            arguments, or a plain function (run by the ``Callable`` handler).
        bindings, binding_classes, binding_modules, additional_configs: added
            to the application's.
        di_class: the container class; :class:`~skiesish.di.StandardDependencies` by default.
    """

    def __init__(
        self,
        application: Application | Mapping[str, Any] | Callable[..., Any],
        bindings: Mapping[str, Any] | None = None,
        binding_classes: Iterable[type] | None = None,
        binding_modules: Iterable[types.ModuleType] | None = None,
        additional_configs: Iterable[AdditionalConfig | type[AdditionalConfig]] | None = None,
        di_class: type[DI] | None = None,
    ) -> None:
        self.application = Application.coerce(application)
        di_class = StandardDependencies if di_class is None else di_class
        if not (isinstance(di_class, type) and issubclass(di_class, DI)):
            raise ConfigurationError(
                f"di_class must be a subclass of skiesish.di.DI, got {type(di_class).__name__} {di_class!r}"
            )
        self.di = di_class(
            bindings={**self.application.bindings, **(bindings or {})},
            binding_classes=[*self.application.binding_classes, *(binding_classes or [])],
            binding_modules=[*self.application.binding_modules, *(binding_modules or [])],
            additional_configs=[*self.application.additional_configs, *(additional_configs or [])],
        )
        self.prepare_di(self.di)
        self.handler = self.application.build_handler(self.di)

    def close(self) -> None:
        """Stop the handler's background work and release what the container built."""
        self.handler.close()
        self.di.close()

    def prepare_di(self, di: DI) -> None:
        """Hook for contexts that bind something of their own before the handler is built."""

    def respond(self, input_output: InputOutput) -> Response:
        """Let the handler answer ``input_output``; never raise, but to stop the interpreter.

        A :class:`~skiesish.input_outputs.ClientError` becomes a 4xx envelope
        naming the problem; any other exception a 500 envelope without its
        text, which is logged (scrubbed) instead. That includes
        ``BaseException``s such as ``GeneratorExit`` or
        ``asyncio.CancelledError`` raised by a handler's code: a request
        left without an answer holds its connection open, and enough of them
        wedge the server. Only ``KeyboardInterrupt`` and ``SystemExit`` on the
        main thread (Ctrl-C, a signal handler stopping the process) go on.
        """
        token = set_input_output(input_output)
        try:
            return self.handler.handle(input_output)
        except ClientError as error:
            return json_response(
                envelope("client_error", [], error=str(error)), error.status_code, error.headers
            )
        except BaseException as error:
            if stops_the_interpreter(error):
                raise
            logger.error(
                "%s failed to answer %s %s",
                type(self.handler).__name__,
                shown_path(input_output.method),
                shown_path(input_output.path),
                exc_info=error,
            )
            return body_response(ERROR_BODY, 500)
        finally:
            reset_input_output(token)
