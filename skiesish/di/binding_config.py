"""A class to build by DI and then configure."""

from __future__ import annotations

from typing import Any


class BindingConfig:
    """Build ``cls`` through the container, then call ``configure(*args, **kwargs)``.

    Example:
        >>> application = skiesish.Application(
        ...     skiesish.handlers.HealthCheck,
        ...     {"services": ["weather"]},
        ...     bindings={"weather": skiesish.BindingConfig(WeatherApi, "https://...")},
        ... )
    """

    __slots__ = ("args", "cls", "kwargs")

    def __init__(self, cls: type, *args: Any, **kwargs: Any) -> None:
        if not isinstance(cls, type):
            raise TypeError(
                f"BindingConfig needs a class as its first argument, got {type(cls).__name__} {cls!r}"
            )
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"BindingConfig({self.cls.__name__}, args={self.args!r}, kwargs={self.kwargs!r})"
