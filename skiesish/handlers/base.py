"""What every handler shares: a validated configuration and a way to answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..di import DI
from ..input_outputs import InputOutput
from ..responses import Response
from .config import HandlerConfig, validate_config

if TYPE_CHECKING:
    from ..health import Report

__all__ = ["ENVELOPE_CONTENT", "Handler"]

#: An OpenAPI ``content`` object for answers in the standard envelope.
ENVELOPE_CONTENT: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}


class Handler:
    """A declarative handler: a class, plus a config dict validated once at build time.

    Subclasses set :attr:`config_class` to their pydantic model and implement
    :meth:`handle`. A handler is built once per context and then serves
    every request, from many threads: request data lives on the
    ``input_output``, never on the handler.

    Args:
        di: the container of the context that built the handler.
    """

    config_class: ClassVar[type[HandlerConfig]] = HandlerConfig
    #: Whether a router's route to this handler also takes every path below the route's own
    #: (true of routers and of the probes, which tell their paths apart themselves).
    takes_subpaths: ClassVar[bool] = False
    #: The paths below a route that the handler answers, for the OpenAPI document (``""``: the route's own).
    subpaths: ClassVar[tuple[str, ...]] = ("",)

    def __init__(self, di: DI) -> None:
        self.di = di

    @classmethod
    def validate_config(cls, config: Mapping[str, Any] | HandlerConfig) -> HandlerConfig:
        """Check ``config`` against :attr:`config_class`; raise ``ConfigurationError`` naming the problem."""
        return validate_config(cls.__name__, cls.config_class, config)

    def configure(self, config: Mapping[str, Any] | HandlerConfig) -> None:
        """Validate and keep ``config``, then let the handler prepare itself."""
        self.config = self.validate_config(config)
        self.prepare()

    def prepare(self) -> None:
        """Hook run once after configuration: build what every request will reuse."""

    def close(self) -> None:
        """Hook run when the context closes: stop threads, release resources."""

    def openapi_responses(self) -> dict[str, Any]:
        """The answers this handler gives, as an OpenAPI ``responses`` object."""
        return {"200": {"description": "Success: the standard envelope.", "content": ENVELOPE_CONTENT}}

    def handle(self, input_output: InputOutput) -> Response:
        """Answer one request."""
        raise NotImplementedError(f"{type(self).__name__} must implement handle()")

    def health_report(self, input_output: InputOutput) -> Report | None:
        """The health report this handler would answer ``input_output`` with; ``None`` if it reports none.

        Used by ``skiesish check --verbose`` to say why, not only that, a probe fails.
        """
        return None
