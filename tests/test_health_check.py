"""The HealthCheck handler: clearskies' documented behaviour, byte for byte."""

from __future__ import annotations

import logging

import pytest

import skiesish
from skiesish.handlers import HealthCheck

SUCCESS = {"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}
FAILURE = {"status": "failure", "error": "", "data": [], "pagination": {}, "input_errors": {}}


def run(config, **context_arguments):
    """Build a test context for a HealthCheck and answer one GET."""
    return skiesish.contexts.test(skiesish.Application(HealthCheck, config), **context_arguments)()


class Pinging:
    """A service whose ping() says what it is told to."""

    def __init__(self):
        self.answer = True
        self.pings = 0

    def ping(self):
        self.pings += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_no_configuration_succeeds():
    """With nothing to check, the answer is 200 and the success envelope."""
    assert run({})[:2] == (SUCCESS, 200)


def test_memory_backend_service_succeeds():
    """memory_backend can always be built and pinged."""
    assert run({"services": ["memory_backend"]})[:2] == (SUCCESS, 200)


def test_cursor_backend_is_memory_backend_in_the_test_context():
    """Like clearskies' test context, cursor_backend is a memory backend by default."""
    assert run({"services": ["cursor_backend"]})[:2] == (SUCCESS, 200)


def test_cursor_backend_without_a_database_fails(tmp_path, monkeypatch):
    """With no database configured, cursor_backend cannot be built: 500 and the failure envelope."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("db_host", raising=False)
    body, status, _ = run({"services": ["cursor_backend"]}, cursor_backend_to_memory_backend=False)
    assert (body, status) == (FAILURE, 500)


def test_unknown_service_fails():
    """A name the container cannot build fails the check rather than crashing."""
    assert run({"services": ["no_such_service"]})[:2] == (FAILURE, 500)


def test_ping_is_called_on_every_check():
    """A service with ping() is exercised on every probe, not only when first built."""
    service = Pinging()
    context = skiesish.contexts.test(
        skiesish.Application(
            HealthCheck, {"services": ["pinging"], "success_ttl": None}, bindings={"pinging": service}
        )
    )
    context()
    context()
    assert service.pings == 2


def test_a_service_that_dies_is_reported_on_the_next_probe():
    """Once ping() starts raising, the very next probe answers 500."""
    service = Pinging()
    context = skiesish.contexts.test(
        skiesish.Application(
            HealthCheck, {"services": ["pinging"], "success_ttl": None}, bindings={"pinging": service}
        )
    )
    assert context()[1] == 200
    service.answer = ConnectionError("gone")
    assert context()[1] == 500


@pytest.mark.parametrize("answer", [True, None])
def test_ping_returning_true_or_none_passes(answer):
    """ping() may return True or nothing at all."""
    service = Pinging()
    service.answer = answer
    assert run({"services": ["pinging"]}, bindings={"pinging": service})[1] == 200


def test_ping_returning_false_fails():
    """ping() returning False is a failure."""
    service = Pinging()
    service.answer = False
    assert run({"services": ["pinging"]}, bindings={"pinging": service})[1] == 500


def test_service_whose_build_raises_fails():
    """A service class whose constructor raises fails the check."""

    class Broken:
        def __init__(self):
            raise RuntimeError("cannot connect")

    assert run({"services": ["broken"]}, binding_classes=[Broken])[1] == 500


def test_callable_gets_its_parameters_injected():
    """The callable's parameters are filled from the container by name."""
    seen = {}

    def is_healthy(memory_backend, di):
        seen.update(memory_backend=memory_backend, di=di)
        return True

    context = skiesish.contexts.test(skiesish.Application(HealthCheck, {"callable": is_healthy}))
    assert context()[1] == 200
    assert seen["memory_backend"] is context.di.build("memory_backend")
    assert seen["di"] is context.di


@pytest.mark.parametrize("value", [False, None, 0, "", [], {}])
def test_falsy_callable_return_fails(value):
    """Any falsy return fails the callable, None included (clearskies' contract)."""
    assert run({"callable": lambda: value})[:2] == (FAILURE, 500)


@pytest.mark.parametrize("value", [True, 1, "yes", [0]])
def test_truthy_callable_return_passes(value):
    """Any truthy return passes the callable."""
    assert run({"callable": lambda: value})[:2] == (SUCCESS, 200)


def test_callable_that_raises_fails():
    """An exception in the callable is a failed check, and its text is not shown."""

    def is_healthy():
        raise RuntimeError("password=hunter2")

    body, status, _ = run({"callable": is_healthy})
    assert (body, status) == (FAILURE, 500)
    assert "hunter2" not in str(body)


def test_services_and_callable_must_both_pass():
    """With both keys, a failing service fails the whole even if the callable passes."""
    assert run({"services": ["no_such_service"], "callable": lambda: True})[1] == 500
    assert run({"services": ["memory_backend"], "callable": lambda: False})[1] == 500
    assert run({"services": ["memory_backend"], "callable": lambda: True})[1] == 200


def test_failure_reason_is_logged_with_the_service_name(caplog):
    """The reason for a failure goes to the skiesish logger, naming the failing service."""
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        run({"services": ["memory_backend", "no_such_service"]})
    assert "no_such_service" in caplog.text
    assert "UnknownDependencyError" in caplog.text


@pytest.mark.parametrize(
    ("config", "match"),
    [
        (
            {"servics": ["x"]},
            r"HealthCheck configuration: unknown key 'servics' \(did you mean 'services'\?\); "
            r"allowed keys are 'cache', 'cache_namespace', 'cache_secret', 'callable', 'checks', "
            r".*'services',",
        ),
        (
            {"services": "cursor_backend"},
            r"'services': input should be a valid list, got str 'cursor_backend'",
        ),
        ({"services": [1]}, r"'services.0': input should be a valid string, got int 1"),
        ({"callable": "is_healthy"}, r"'callable': input should be callable, got str 'is_healthy'"),
        (["services"], r"HealthCheck: the configuration must be a dict, got list"),
    ],
)
def test_bad_configuration_fails_at_build_time(config, match):
    """Configuration mistakes raise when the application is built, naming handler and key."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        skiesish.Application(HealthCheck, config)


def test_unknown_service_is_warned_about_at_build_time(caplog):
    """A service name nothing provides is logged when the context is built."""
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        skiesish.contexts.test(skiesish.Application(HealthCheck, {"services": ["cursr_backend"]}))
    assert "cursr_backend" in caplog.text
