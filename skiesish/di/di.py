"""The name-based dependency-injection container.

A parameter called ``cursor_backend`` receives the dependency named
``cursor_backend``. One container serves every thread of a server: built
values are cached behind a lock per name, and the chain used to detect
circular dependencies is kept per thread, so concurrent builds never see each
other's work in progress.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import threading
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..exceptions import CircularDependencyError, ConfigurationError, UnknownDependencyError
from ..log import logger
from .additional_config import AdditionalConfig
from .binding_config import BindingConfig
from .naming import snake_case

__all__ = ["DI"]

_NOT_FOUND = object()


def _injectable_parameters(function: Callable[..., Any]) -> tuple[tuple[str, bool, bool], ...] | None:
    """Describe ``function``'s parameters as ``(name, has_default, positional_only)``.

    ``*args`` and ``**kwargs`` are left out; ``None`` means the signature
    cannot be read (some builtins), so nothing is injected. Signatures are
    read once per function: probes call the same checks over and over.
    """
    if inspect.ismethod(function):
        # Caching bound methods would keep their objects (containers, connections) alive.
        return _read_parameters(function)
    try:
        return _cached_parameters(function)
    except TypeError:  # an unhashable callable
        return _read_parameters(function)


@functools.lru_cache(maxsize=2048)
def _cached_parameters(function: Callable[..., Any]) -> tuple[tuple[str, bool, bool], ...] | None:
    return _read_parameters(function)


def _read_parameters(function: Callable[..., Any]) -> tuple[tuple[str, bool, bool], ...] | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    return tuple(
        (
            parameter.name,
            parameter.default is not inspect.Parameter.empty,
            parameter.kind is inspect.Parameter.POSITIONAL_ONLY,
        )
        for parameter in signature.parameters.values()
        if parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    )


def _accepts_any_keyword(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters)


class DI:
    """A container that builds named dependencies on demand.

    Resolution order for a name: ``di`` (the container itself); values and
    classes bound with :meth:`bind`; classes added with ``binding_classes`` or
    ``binding_modules`` (under their snake_case name); additional configs,
    the latest added first; finally the container's own ``provide_<name>``
    methods. Built dependencies are cached per container unless the provider
    says otherwise (see :meth:`can_cache`).

    Args:
        bindings: name -> value, class or :class:`BindingConfig`.
        binding_classes: classes available under their snake_case name.
        binding_modules: modules whose classes become available likewise.
        additional_configs: :class:`AdditionalConfig` instances or classes.

    Example:
        >>> di = DI(bindings={"greeting": "hello"})
        >>> di.call_function(lambda greeting: greeting.upper())
        'HELLO'
    """

    #: Names whose providers must run again at every request for them.
    uncached_names: frozenset[str] = frozenset()

    def __init__(
        self,
        bindings: Mapping[str, Any] | None = None,
        binding_classes: Iterable[type] | None = None,
        binding_modules: Iterable[types.ModuleType] | None = None,
        additional_configs: Iterable[AdditionalConfig | type[AdditionalConfig]] | None = None,
    ) -> None:
        self._bindings: dict[str, Any] = {}
        self._classes: dict[str, type] = {}
        self._additional_configs: list[AdditionalConfig] = []
        self._cache: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._local = threading.local()
        for name, value in (bindings or {}).items():
            self.bind(name, value)
        self.add_binding_classes(binding_classes or ())
        self.add_modules(binding_modules or ())
        self.add_additional_configs(additional_configs or ())

    # -- registering -----------------------------------------------------

    def bind(self, name: str, value: Any) -> None:
        """Make ``name`` resolve to ``value``.

        A class is built by the container on first use, a
        :class:`BindingConfig` is built and then configured, anything else is
        returned as it is.
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigurationError(
                f"a binding name must be a Python identifier, got {type(name).__name__} {name!r}"
            )
        if name == "di":
            raise ConfigurationError("'di' is reserved for the container itself and cannot be bound")
        self._bindings[name] = value
        self._cache.pop(name, None)

    def add_binding_classes(self, classes: Iterable[type]) -> None:
        """Make each class available under its snake_case name."""
        for cls in classes:
            if not isinstance(cls, type):
                raise ConfigurationError(f"binding_classes takes classes, got {type(cls).__name__} {cls!r}")
            self._classes[snake_case(cls.__name__)] = cls

    def add_modules(self, modules: Iterable[types.ModuleType]) -> None:
        """Make every class defined in each module available under its snake_case name."""
        for module in modules:
            if not isinstance(module, types.ModuleType):
                raise ConfigurationError(
                    f"binding_modules takes modules, got {type(module).__name__} {module!r}"
                )
            self.add_binding_classes(
                value
                for value in vars(module).values()
                if isinstance(value, type) and value.__module__ == module.__name__
            )

    def add_additional_configs(self, configs: Iterable[AdditionalConfig | type[AdditionalConfig]]) -> None:
        """Add providers; a config added later takes precedence over earlier ones."""
        for config in configs:
            if isinstance(config, type) and issubclass(config, AdditionalConfig):
                config = self.build_class(config)
            if not isinstance(config, AdditionalConfig):
                raise ConfigurationError(
                    "additional_configs takes AdditionalConfig instances or subclasses, "
                    f"got {type(config).__name__} {config!r}"
                )
            self._additional_configs.append(config)

    # -- building --------------------------------------------------------

    def build(self, thing: Any, context: str | None = None, cache: bool = True) -> Any:
        """Build a dependency from a name, a class or a :class:`BindingConfig`.

        Args:
            thing: what to build.
            context: who asked, named in error messages.
            cache: whether a built value may come from, and go into, the cache.
        """
        if isinstance(thing, str):
            return self.build_from_name(thing, context=context, cache=cache)
        if isinstance(thing, BindingConfig):
            return self._build_binding_config(thing)
        if isinstance(thing, type):
            return self.build_class(thing, cache=cache)
        raise TypeError(
            f"DI.build takes a name, a class or a BindingConfig, got {type(thing).__name__} {thing!r}"
        )

    def build_from_name(self, name: str, context: str | None = None, cache: bool = True) -> Any:
        """Build the dependency called ``name``.

        Raises:
            UnknownDependencyError: nothing provides ``name``.
            CircularDependencyError: building ``name`` needs ``name``.
        """
        if name == "di":
            return self
        if cache:
            cached = self._cache.get(name, _NOT_FOUND)
            if cached is not _NOT_FOUND:
                return cached

        if name in self._bindings:
            value = self._bindings[name]
            if isinstance(value, BindingConfig):
                return self._cached(name, lambda: self._build_binding_config(value), cache)
            if isinstance(value, type):
                return self._cached(name, lambda: self._construct(value), cache)
            return value

        if name in self._classes:
            cls = self._classes[name]
            return self._cached(name, lambda: self._construct(cls), cache)

        config = next(
            (config for config in reversed(self._additional_configs) if config.can_build(name)), None
        )
        if config is not None:
            return self._cached(name, lambda: config.build(name, self), cache and config.can_cache(name))

        provider = getattr(self, f"provide_{name}", None)
        if callable(provider):
            return self._cached(name, lambda: self.call_function(provider), cache and self.can_cache(name))

        raise UnknownDependencyError(self._unknown_message(name, context))

    def build_class(self, cls: type, cache: bool = True) -> Any:
        """Build ``cls``, injecting its constructor's parameters by name."""
        return self._cached(cls, lambda: self._construct(cls), cache)

    def call_function(self, function: Callable[..., Any], **kwargs: Any) -> Any:
        """Call ``function`` with every parameter that has no default injected.

        Explicit ``kwargs`` win over the container. A function that takes only
        ``*args``/``**kwargs`` (a ``MagicMock``, say) is called with nothing
        but the explicit ``kwargs``.
        """
        parameters = _injectable_parameters(function)
        if parameters is None:
            return function(**kwargs)
        context = getattr(function, "__qualname__", None) or repr(function)
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for name, has_default, positional_only in parameters:
            if name in kwargs:
                value = kwargs[name]
            elif has_default:
                continue
            else:
                value = self.build_from_name(name, context=context)
            if positional_only:
                positional.append(value)
            else:
                keywords[name] = value
        if kwargs and _accepts_any_keyword(function):
            keywords.update((key, value) for key, value in kwargs.items() if key not in keywords)
        return function(*positional, **keywords)

    def can_cache(self, name: str) -> bool:
        """Whether the value of this container's ``provide_<name>`` may be cached."""
        return name not in self.uncached_names

    def can_provide(self, name: str) -> bool:
        """Whether some binding, class or provider answers to ``name`` (nothing is built)."""
        return name in self.known_names()

    def known_names(self) -> set[str]:
        """Every name this container knows how to provide."""
        names = {"di", *self._bindings, *self._classes}
        for config in self._additional_configs:
            names.update(config.provided_names())
        names.update(
            attribute[len("provide_") :] for attribute in dir(type(self)) if attribute.startswith("provide_")
        )
        return names

    def close(self) -> None:
        """Close every cached dependency that has a ``close()`` method, newest first, and forget them.

        Call it when the application stops, so that database connections
        end cleanly instead of being dropped by the garbage collector.
        """
        values = list(self._cache.values())
        self._cache.clear()
        for value in reversed(values):
            close = getattr(value, "close", None)
            if callable(close) and not isinstance(value, (types.ModuleType, type)):
                try:
                    close()
                except Exception:  # noqa: BLE001 - logged; one failing close must not stop the others
                    logger.exception("closing %r failed", value)

    # -- internals -------------------------------------------------------

    def _building(self) -> list[str]:
        chain: list[str] | None = getattr(self._local, "chain", None)
        if chain is None:
            chain = self._local.chain = []
        return chain

    def _cached(self, key: Any, factory: Callable[[], Any], cache: bool) -> Any:
        label = key if isinstance(key, str) else key.__name__
        chain = self._building()
        if label in chain:
            raise CircularDependencyError(
                "circular dependency: " + " -> ".join([*chain[chain.index(label) :], label])
            )
        if not cache:
            return self._run_in_chain(chain, label, factory)
        value = self._cache.get(key, _NOT_FOUND)
        if value is not _NOT_FOUND:
            return value
        with self._lock_for(key):
            value = self._cache.get(key, _NOT_FOUND)
            if value is _NOT_FOUND:
                value = self._run_in_chain(chain, label, factory)
                self._cache[key] = value
        return value

    @staticmethod
    def _run_in_chain(chain: list[str], label: str, factory: Callable[[], Any]) -> Any:
        chain.append(label)
        try:
            return factory()
        finally:
            chain.pop()

    def _lock_for(self, key: Any) -> threading.Lock:
        lock = self._locks.get(key)
        if lock is None:
            with self._locks_guard:
                lock = self._locks.setdefault(key, threading.Lock())
        return lock

    def _construct(self, cls: type) -> Any:
        return self.call_function(cls)

    def _build_binding_config(self, binding: BindingConfig) -> Any:
        instance = self._construct(binding.cls)
        configure = getattr(instance, "configure", None)
        if not callable(configure):
            raise ConfigurationError(
                f"BindingConfig({binding.cls.__name__}, ...) needs {binding.cls.__name__} "
                "to have a configure() method"
            )
        configure(*binding.args, **binding.kwargs)
        return instance

    def _unknown_message(self, name: str, context: str | None) -> str:
        asked_by = f" (asked for by {context})" if context else ""
        message = f"no dependency named '{name}'{asked_by}"
        close = difflib.get_close_matches(name, sorted(self.known_names()), n=3)
        if close:
            message += "; did you mean " + ", ".join(f"'{known}'" for known in close) + "?"
        return message
