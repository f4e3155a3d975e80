"""Contexts: how an application is called (test, cli, wsgi) and how their bindings merge."""

from __future__ import annotations

import io

import pytest

import skiesish
from skiesish.handlers import Callable, HealthCheck


def test_test_context_returns_body_status_and_headers():
    """The test context answers (parsed body, status code, headers)."""
    body, status, headers = skiesish.contexts.test(skiesish.Application(HealthCheck, {}))()
    assert body["status"] == "success"
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"


def test_test_context_passes_method_url_headers_query_and_body():
    """Everything given to the test context reaches the handler's input_output."""

    def echo(input_output):
        return {
            "method": input_output.method,
            "path": input_output.path,
            "query": input_output.query_parameters,
            "header": input_output.header("X-Probe"),
            "body": input_output.json_body(),
        }

    body, status, _ = skiesish.contexts.test(echo)(
        method="POST",
        url="healthz?a=1",
        headers={"X-Probe": "yes"},
        query_parameters={"b": ["2", "3"]},
        body={"hello": "world"},
    )
    assert status == 200
    assert body["data"] == {
        "method": "POST",
        "path": "/healthz",
        "query": {"a": ["1"], "b": ["2", "3"]},
        "header": "yes",
        "body": {"hello": "world"},
    }


def test_application_may_be_a_dict():
    """A dict with handler_class and handler_config works where an Application does."""
    context = skiesish.contexts.test(
        {"handler_class": HealthCheck, "handler_config": {"callable": lambda: False}}
    )
    assert context()[1] == 500


def test_application_may_be_a_plain_function():
    """A plain function is run by the Callable handler; its return value becomes data."""
    body, status, _ = skiesish.contexts.test(lambda memory_backend: {"ok": memory_backend.ping()})()
    assert (body["data"], status) == ({"ok": True}, 200)


@pytest.mark.parametrize(
    ("application", "match"),
    [
        ({"handler_config": {}}, r"no 'handler_class'"),
        ({"handler_class": HealthCheck, "handler_confg": {}}, r"unknown keys \['handler_confg'\]"),
        (42, r"a context needs a skiesish.Application.*got int 42"),
        (HealthCheck, r"got type"),
    ],
)
def test_bad_application_fails_at_build_time(application, match):
    """Contexts reject what is not an application, saying what they expected."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        skiesish.contexts.wsgi(application)


def test_application_needs_a_handler_class():
    """Application rejects something that is not a Handler subclass."""
    with pytest.raises(skiesish.ConfigurationError, match=r"needs a handler class.*got function"):
        skiesish.Application(lambda: True, {})


def test_context_bindings_win_over_application_bindings():
    """Bindings given to the context override the application's own."""
    application = skiesish.Application(
        Callable, {"callable": lambda greeting: greeting}, bindings={"greeting": "app", "other": 1}
    )
    body, _, _ = skiesish.contexts.test(application, bindings={"greeting": "context"})()
    assert body["data"] == "context"


def test_binding_classes_merge():
    """Classes from the application and from the context are both available."""

    class Apples:
        pass

    class Pears:
        pass

    application = skiesish.Application(
        Callable,
        {"callable": lambda apples, pears: [type(apples).__name__, type(pears).__name__]},
        binding_classes=[Apples],
    )
    body, _, _ = skiesish.contexts.test(application, binding_classes=[Pears])()
    assert body["data"] == ["Apples", "Pears"]


def test_test_context_can_keep_the_real_cursor_backend(tmp_path):
    """With the memory swap off, cursor_backend is the configured SQL database."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    application = skiesish.Application(
        Callable, {"callable": lambda cursor_backend: type(cursor_backend).__name__}
    )
    environment = skiesish.environment.Environment(environ={"DATABASE_URL": url}, env_file=tmp_path / ".env")
    body, _, _ = skiesish.contexts.test(
        application, bindings={"environment": environment}, cursor_backend_to_memory_backend=False
    )()
    assert body["data"] == "CursorBackend"
    body, _, _ = skiesish.contexts.test(application, bindings={"environment": environment})()
    assert body["data"] == "MemoryBackend"


def test_custom_di_class():
    """di_class replaces the container; its provide_ methods are used."""

    class MyDependencies(skiesish.di.StandardDependencies):
        def provide_answer(self):
            return 42

    body, _, _ = skiesish.contexts.test(lambda answer: answer, di_class=MyDependencies)()
    assert body["data"] == 42


def test_di_class_must_be_a_container():
    """A di_class that is not a DI subclass is rejected."""
    with pytest.raises(skiesish.ConfigurationError, match="di_class must be a subclass"):
        skiesish.contexts.test(lambda: 1, di_class=dict)


def test_input_output_is_injected_per_request():
    """A callable asking for input_output gets the current request."""
    context = skiesish.contexts.test(lambda input_output: input_output.path)
    assert context(url="/one")[0]["data"] == "/one"
    assert context(url="/two")[0]["data"] == "/two"


@pytest.mark.parametrize(("config", "expected_status"), [({}, 0), ({"callable": lambda: False}, 1)])
def test_cli_context_prints_the_body_and_exits(config, expected_status):
    """The cli context prints the JSON body and exits 0 on success, 1 on failure."""
    output = io.StringIO()
    context = skiesish.contexts.cli(skiesish.Application(HealthCheck, config))
    assert context.run([], stdout=output) == expected_status
    assert '"status": "' in output.getvalue()
    with pytest.raises(SystemExit) as exit_info:
        context([])
    assert exit_info.value.code == expected_status


def test_cli_context_reads_path_and_query_from_arguments():
    """A positional argument is the path and --name=value arguments are query parameters."""
    output = io.StringIO()
    context = skiesish.contexts.cli(lambda input_output: [input_output.path, input_output.query("verbose")])
    context.run(["/readyz", "--verbose=1"], stdout=output)
    assert '"data": ["/readyz", "1"]' in output.getvalue()
