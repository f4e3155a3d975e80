"""The name-based dependency-injection container: what a name resolves to, when, and how often."""

from __future__ import annotations

import dataclasses
import datetime
import pathlib
import re
import threading
import time
import types
from typing import Any
from unittest.mock import MagicMock

import pytest

import skiesish
from skiesish.di import DI, AdditionalConfig, StandardDependencies
from skiesish.di.scope import request_scope
from skiesish.exceptions import (
    CircularDependencyError,
    ConfigurationError,
    DependencyError,
    UnknownDependencyError,
)
from skiesish.input_outputs import InputOutput

# -- classes and configs the container builds ---------------------------------


class Greeting:
    """Answers to ``greeting`` when registered through ``binding_classes``."""


class Service:
    """Needs two dependencies, injected by the names of its parameters."""

    def __init__(self, greeting: str, number: int) -> None:
        self.greeting = greeting
        self.number = number


class Counter:
    """A class with no dependencies, to tell one instance from another."""


class EarlyConfig(AdditionalConfig):
    def provide_greeting(self) -> str:
        return "early config"


class LateConfig(AdditionalConfig):
    def provide_greeting(self) -> str:
        return "late config"


class ProvidingContainer(DI):
    def provide_greeting(self) -> str:
        return "provide method"


class Alpha:
    def __init__(self, beta: Any) -> None:
        self.beta = beta


class Beta:
    def __init__(self, alpha: Any) -> None:
        self.alpha = alpha


class Client:
    """Configured after it is built, the way BindingConfig expects."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting
        self.configured_with: tuple[tuple[Any, ...], dict[str, Any]] | None = None

    def configure(self, *args: Any, **kwargs: Any) -> None:
        self.configured_with = (args, kwargs)


class Unconfigurable:
    """Has no configure() method."""


# -- injection ----------------------------------------------------------------


def test_constructor_parameters_are_injected_by_name() -> None:
    """A class's constructor receives the dependencies named like its parameters."""
    di = DI(bindings={"greeting": "hello", "number": 7})

    service = di.build(Service)

    assert (service.greeting, service.number) == ("hello", 7)


def test_callable_parameters_are_injected_by_name() -> None:
    """call_function passes each parameter the dependency of the same name."""
    di = DI(bindings={"greeting": "hello", "number": 7})

    assert di.call_function(lambda number, greeting: f"{greeting} {number}") == "hello 7"


def test_di_resolves_to_the_container_itself() -> None:
    """The name ``di`` is the container doing the injecting."""
    di = DI()

    assert di.call_function(lambda di: di) is di


# -- resolution order ---------------------------------------------------------


def test_bind_beats_binding_classes() -> None:
    """A value given to bind() wins over a class of the same snake_case name."""
    di = ProvidingContainer(
        bindings={"greeting": "bound"},
        binding_classes=[Greeting],
        additional_configs=[EarlyConfig, LateConfig],
    )

    assert di.build("greeting") == "bound"


def test_binding_classes_beat_additional_configs() -> None:
    """A class from binding_classes wins over an additional config's provide_ method."""
    di = ProvidingContainer(binding_classes=[Greeting], additional_configs=[EarlyConfig, LateConfig])

    assert isinstance(di.build("greeting"), Greeting)


@pytest.mark.parametrize(
    ("configs", "expected"),
    [
        pytest.param([EarlyConfig, LateConfig], "late config", id="late-added-last"),
        pytest.param([LateConfig, EarlyConfig], "early config", id="early-added-last"),
    ],
)
def test_latest_additional_config_wins(configs: list[type[AdditionalConfig]], expected: str) -> None:
    """Among additional configs providing the same name, the one added last is used."""
    di = ProvidingContainer(additional_configs=configs)

    assert di.build("greeting") == expected


def test_additional_configs_beat_provide_methods() -> None:
    """An additional config wins over the container's own provide_<name> method."""
    di = ProvidingContainer(additional_configs=[EarlyConfig()])

    assert di.build("greeting") == "early config"


def test_provide_methods_are_the_last_resort() -> None:
    """With nothing else bound, the container's provide_<name> method supplies the name."""
    assert ProvidingContainer().build("greeting") == "provide method"


def test_rebinding_replaces_a_built_value() -> None:
    """bind() after a name was built makes the name resolve to the new value."""
    di = DI(bindings={"greeting": "first"})
    di.build("greeting")

    di.bind("greeting", "second")

    assert di.build("greeting") == "second"


# -- binding_classes and binding_modules --------------------------------------


@pytest.mark.parametrize(
    ("class_name", "dependency_name"),
    [
        ("Greeting", "greeting"),
        ("MemoryCache", "memory_cache"),
        ("HTTPClient", "http_client"),
    ],
)
def test_binding_classes_are_registered_under_snake_case(class_name: str, dependency_name: str) -> None:
    """A class in binding_classes answers to its snake_case name."""
    cls = type(class_name, (), {})
    di = DI(binding_classes=[cls])

    assert isinstance(di.build(dependency_name), cls)


def test_binding_modules_register_their_classes_under_snake_case() -> None:
    """Every class defined in a binding module answers to its snake_case name."""
    module = types.ModuleType("weather_services")
    module.WeatherApi = type("WeatherApi", (), {"__module__": "weather_services"})  # type: ignore[attr-defined]
    di = DI(binding_modules=[module])

    assert isinstance(di.build("weather_api"), module.WeatherApi)  # type: ignore[attr-defined]


def test_binding_modules_skip_classes_imported_from_elsewhere() -> None:
    """A class a module merely imports is not registered from that module."""
    module = types.ModuleType("weather_services")
    module.Path = pathlib.Path  # type: ignore[attr-defined]
    di = DI(binding_modules=[module])

    with pytest.raises(UnknownDependencyError, match="no dependency named 'path'"):
        di.build("path")


@pytest.mark.parametrize("not_a_class", ["Greeting", Greeting(), 3])
def test_binding_classes_refuse_anything_but_classes(not_a_class: Any) -> None:
    """binding_classes takes classes only, and says what it got instead."""
    with pytest.raises(ConfigurationError, match="binding_classes takes classes, got"):
        DI(binding_classes=[not_a_class])


# -- BindingConfig ------------------------------------------------------------


def test_binding_config_builds_then_configures() -> None:
    """A BindingConfig is built by injection, then configure(*args, **kwargs) is called."""
    di = DI(bindings={"greeting": "hello", "client": skiesish.BindingConfig(Client, "https://x", retries=3)})

    client = di.build("client")

    assert (client.greeting, client.configured_with) == ("hello", (("https://x",), {"retries": 3}))


def test_binding_config_is_cached_like_other_bindings() -> None:
    """A name bound to a BindingConfig gives the same configured object each time."""
    di = DI(bindings={"greeting": "hello", "client": skiesish.BindingConfig(Client)})

    assert di.build("client") is di.build("client")


def test_binding_config_needs_a_class() -> None:
    """BindingConfig refuses an instance where a class belongs."""
    with pytest.raises(TypeError, match="needs a class as its first argument, got Client"):
        skiesish.BindingConfig(Client("hello"))  # type: ignore[arg-type]


def test_binding_config_needs_a_configure_method() -> None:
    """Building a BindingConfig of a class without configure() names the class."""
    di = DI(bindings={"thing": skiesish.BindingConfig(Unconfigurable)})

    with pytest.raises(ConfigurationError, match=r"needs Unconfigurable to have a configure\(\) method"):
        di.build("thing")


# -- caching ------------------------------------------------------------------


def test_a_built_name_is_cached_per_container() -> None:
    """Asking one container twice for a name gives the very same object."""
    di = DI(binding_classes=[Counter])

    assert di.build("counter") is di.build("counter")


def test_containers_do_not_share_their_cache() -> None:
    """Two containers build their own objects for the same name."""
    first, second = DI(binding_classes=[Counter]), DI(binding_classes=[Counter])

    assert first.build("counter") is not second.build("counter")


def test_cache_false_builds_a_new_object() -> None:
    """build(name, cache=False) constructs afresh even when a cached object exists."""
    di = DI(binding_classes=[Counter])
    cached = di.build("counter")

    assert di.build("counter", cache=False) is not cached


def test_cache_false_leaves_the_cache_alone() -> None:
    """An uncached build does not replace the object later cached builds return."""
    di = DI(binding_classes=[Counter])
    cached = di.build("counter")
    di.build("counter", cache=False)

    assert di.build("counter") is cached


@pytest.mark.parametrize("name", ["now", "utcnow"])
def test_clock_names_are_never_cached(name: str) -> None:
    """``now`` and ``utcnow`` are read again each time they are asked for."""
    di = StandardDependencies()

    assert di.build(name) is not di.build(name)


def test_now_is_timezone_aware() -> None:
    """``now`` carries the local UTC offset rather than being naive."""
    assert StandardDependencies().build("now").utcoffset() is not None


def test_utcnow_is_utc() -> None:
    """``utcnow`` is an aware datetime at offset zero."""
    assert StandardDependencies().build("utcnow").utcoffset() == datetime.timedelta(0)


# -- call_function ------------------------------------------------------------


def test_parameters_with_defaults_are_not_injected() -> None:
    """A parameter with a default keeps it even when the container knows the name."""
    di = DI(bindings={"greeting": "hello", "punctuation": "?"})

    def shout(greeting: str, punctuation: str = "!") -> str:
        return greeting + punctuation

    assert di.call_function(shout) == "hello!"


def test_explicit_kwargs_win_over_the_container() -> None:
    """A keyword given to call_function is used instead of the bound dependency."""
    di = DI(bindings={"greeting": "hello"})

    assert di.call_function(lambda greeting: greeting, greeting="explicit") == "explicit"


def test_explicit_kwargs_fill_parameters_with_defaults() -> None:
    """A keyword given to call_function overrides a parameter's default."""

    def shout(greeting: str, punctuation: str = "!") -> str:
        return greeting + punctuation

    assert DI(bindings={"greeting": "hi"}).call_function(shout, punctuation="?") == "hi?"


def test_a_magic_mock_is_called_with_nothing() -> None:
    """A callable taking only *args/**kwargs, like a MagicMock, gets no injected arguments."""
    di = DI(bindings={"args": 1, "kwargs": 2})
    check = MagicMock(return_value="ok")

    di.call_function(check)

    check.assert_called_once_with()


# -- errors ---------------------------------------------------------------------


def test_circular_dependency_names_the_chain() -> None:
    """A class that needs itself through another raises CircularDependencyError with the chain."""
    di = DI(binding_classes=[Alpha, Beta])

    with pytest.raises(CircularDependencyError, match=re.escape("alpha -> beta -> alpha")):
        di.build("alpha")


def test_self_dependency_is_circular() -> None:
    """A provider that asks for its own name is reported, not recursed into."""

    class Container(DI):
        def provide_loop(self, loop: Any) -> Any:
            return loop

    with pytest.raises(CircularDependencyError, match=re.escape("loop -> loop")):
        Container().build("loop")


def test_a_circular_failure_leaves_the_container_usable() -> None:
    """After a circular dependency is reported, unrelated names still build."""
    di = DI(binding_classes=[Alpha, Beta, Counter])
    with pytest.raises(CircularDependencyError):
        di.build("alpha")

    assert isinstance(di.build("counter"), Counter)


def test_unknown_name_is_named_with_who_asked() -> None:
    """UnknownDependencyError names the missing dependency and the callable that asked."""

    def handler(memory_backnd: Any) -> None:
        raise AssertionError("must not be called")

    with pytest.raises(
        UnknownDependencyError, match=r"no dependency named 'memory_backnd' \(asked for by .*handler\)"
    ):
        StandardDependencies().call_function(handler)


def test_unknown_name_suggests_close_matches() -> None:
    """UnknownDependencyError suggests known names that are spelled similarly."""
    with pytest.raises(UnknownDependencyError, match="did you mean 'memory_backend'"):
        StandardDependencies().build("memory_backnd")


def test_unknown_name_is_a_lookup_error() -> None:
    """Code that catches LookupError also catches an unknown dependency."""
    with pytest.raises(LookupError, match="no dependency named 'nothing_here'"):
        DI().build("nothing_here")


def test_binding_di_is_refused() -> None:
    """The name ``di`` is reserved for the container and cannot be bound."""
    with pytest.raises(ConfigurationError, match="'di' is reserved"):
        DI(bindings={"di": "impostor"})


@pytest.mark.parametrize("name", ["not-valid", "1abc", "", "has space", "a.b", 42, None])
def test_binding_a_non_identifier_is_refused(name: Any) -> None:
    """bind() takes Python identifiers only, and shows what arrived."""
    with pytest.raises(
        ConfigurationError, match=r"must be a Python identifier, got \w+ " + re.escape(repr(name))
    ):
        DI().bind(name, "value")


# -- threads ------------------------------------------------------------------

THREADS = 32


@dataclasses.dataclass
class ConcurrentBuilds:
    """What happened when many threads asked for one slow dependency at once."""

    results: list[Any]
    errors: list[BaseException]
    constructions: int


@pytest.fixture
def concurrent_builds() -> ConcurrentBuilds:
    """Have 32 threads, released together, build one slow class through one container."""
    constructions: list[None] = []

    class SlowService:
        def __init__(self) -> None:
            constructions.append(None)
            time.sleep(0.05)

    di = DI(binding_classes=[SlowService])
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(di.build("slow_service"))
        except Exception as error:  # noqa: BLE001 - any error is what the tests report
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ConcurrentBuilds(results, errors, len(constructions))


def test_concurrent_builds_raise_nothing(concurrent_builds: ConcurrentBuilds) -> None:
    """Threads building the same name at once see no (circular-dependency or other) error."""
    assert concurrent_builds.errors == []


def test_concurrent_builds_get_the_same_object(concurrent_builds: ConcurrentBuilds) -> None:
    """Every thread building the same name at once receives the very same object."""
    assert len(concurrent_builds.results) == THREADS
    assert len({id(result) for result in concurrent_builds.results}) == 1


def test_concurrent_builds_construct_once(concurrent_builds: ConcurrentBuilds) -> None:
    """The slow constructor runs once however many threads ask at the same moment."""
    assert concurrent_builds.constructions == 1


# -- request scope ------------------------------------------------------------


def test_input_output_outside_a_request_is_an_error() -> None:
    """Asking for ``input_output`` with no request in progress raises DependencyError."""
    with pytest.raises(
        DependencyError, match="'input_output' is only available while a request is being handled"
    ):
        StandardDependencies().build("input_output")


def test_input_output_inside_a_request_is_that_request() -> None:
    """Inside request_scope(io), ``input_output`` resolves to that very io."""
    di = StandardDependencies()
    io = InputOutput(path="/health")

    with request_scope(io):
        assert di.build("input_output") is io


def test_input_output_is_gone_after_the_request() -> None:
    """Once the request scope ends, ``input_output`` is unavailable again."""
    di = StandardDependencies()
    with request_scope(InputOutput()):
        di.build("input_output")

    with pytest.raises(DependencyError, match="only available while a request"):
        di.build("input_output")


def test_concurrent_requests_each_see_their_own_input_output() -> None:
    """Two threads in two request scopes, at the same time, each get their own io."""
    di = StandardDependencies()
    barrier = threading.Barrier(2)
    seen: dict[str, Any] = {}
    requests = {"a": InputOutput(path="/a"), "b": InputOutput(path="/b")}

    def handle(key: str) -> None:
        with request_scope(requests[key]):
            barrier.wait()  # both scopes are open now
            seen[key] = di.build("input_output")
            barrier.wait()  # neither closes before the other has looked

    threads = [threading.Thread(target=handle, args=(key,)) for key in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen["a"] is requests["a"]
    assert seen["b"] is requests["b"]
