"""The names users import are pinned: changing them is a decision, not an accident."""

from __future__ import annotations

import skiesish


def test_top_level_names():
    """skiesish exports exactly these names."""
    assert sorted(skiesish.__all__) == sorted(
        [
            "Application",
            "BindingConfig",
            "Check",
            "ConfigurationError",
            "EventLoopWatch",
            "HealthError",
            "Heartbeat",
            "ProbeListener",
            "SkiesishError",
            "ThreadPoolWatch",
            "WorkerWatch",
            "__version__",
            "backends",
            "checks",
            "contexts",
            "di",
            "handlers",
            "probes",
            "start_probe_listener",
            "with_probe_listener",
        ]
    )


def test_context_names():
    """skiesish.contexts exports the four contexts and their classes."""
    assert sorted(skiesish.contexts.__all__) == sorted(
        ["ASGIContext", "CLIContext", "Context", "TestContext", "WSGIContext", "asgi", "cli", "test", "wsgi"]
    )


def test_handler_names():
    """skiesish.handlers exports the handlers and their base classes."""
    assert sorted(skiesish.handlers.__all__) == sorted(
        ["Callable", "EnvironmentDump", "Handler", "HandlerConfig", "HealthCheck", "Probes", "SimpleRouting"]
    )


def test_di_names():
    """skiesish.di exports the container, the standard one and the config helpers."""
    assert sorted(skiesish.di.__all__) == sorted(
        ["AdditionalConfig", "BindingConfig", "DI", "StandardDependencies"]
    )


def test_backend_names():
    """skiesish.backends exports both backends and their plumbing."""
    assert sorted(skiesish.backends.__all__) == sorted(
        ["Backend", "ConnectionDetails", "CursorBackend", "Database", "MemoryBackend"]
    )


def test_every_exported_name_exists_and_is_documented():
    """Every exported name resolves and carries a docstring."""
    for module in (
        skiesish,
        skiesish.contexts,
        skiesish.handlers,
        skiesish.di,
        skiesish.backends,
        skiesish.checks,
    ):
        for name in module.__all__:
            value = getattr(module, name)
            if name != "__version__":
                assert value.__doc__, f"{module.__name__}.{name} has no docstring"


def test_check_names():
    """skiesish.checks exports the ready-made checks."""
    assert sorted(skiesish.checks.__all__) == [
        "amqp",
        "disk",
        "dns",
        "grpc",
        "http",
        "memory",
        "mqtt",
        "nats",
        "redis",
        "smtp",
        "sql",
        "tcp",
        "tls_certificate",
    ]
