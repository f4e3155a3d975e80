"""Extra providers for the container, grouped in a class."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .di import DI


class AdditionalConfig:
    """A class whose ``provide_<name>`` methods supply the dependency ``<name>``.

    A provider's own parameters are injected by name, like any callable's.
    Results are cached per container unless :meth:`can_cache` says otherwise.

    Example:
        >>> class Weather(skiesish.di.AdditionalConfig):
        ...     def provide_weather_api(self, environment):
        ...         return WeatherApi(environment.get("WEATHER_URL"))
    """

    def can_build(self, name: str) -> bool:
        """Whether this config has a ``provide_<name>`` method."""
        return callable(getattr(self, f"provide_{name}", None))

    def can_cache(self, name: str) -> bool:
        """Whether the container may keep what ``provide_<name>`` returned."""
        return True

    def build(self, name: str, di: DI) -> Any:
        """Call ``provide_<name>`` with its parameters injected."""
        return di.call_function(getattr(self, f"provide_{name}"))

    def provided_names(self) -> list[str]:
        """Every name this config can provide."""
        return [
            attribute[len("provide_") :]
            for attribute in dir(self)
            if attribute.startswith("provide_") and callable(getattr(self, attribute))
        ]
