"""The WSGI surface: status lines, headers, HEAD, malformed requests, webtest's lint."""

from __future__ import annotations

import json

import pytest
import webtest
from conftest import wsgi_environ

import skiesish
from skiesish.handlers import HealthCheck

SUCCESS_BYTES = b'{"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}'
FAILURE_BYTES = b'{"status": "failure", "error": "", "data": [], "pagination": {}, "input_errors": {}}'


def health_app(config):
    """A webtest app (lint on) around a HealthCheck with ``config``."""
    return webtest.TestApp(skiesish.contexts.wsgi(skiesish.Application(HealthCheck, config)), lint=True)


def test_success_is_exactly_the_envelope():
    """A healthy service answers 200 OK with the exact success body."""
    response = health_app({"services": ["memory_backend"]}).get("/")
    assert response.status == "200 OK"
    assert response.body == SUCCESS_BYTES


def test_failure_is_exactly_the_envelope():
    """A failing check answers 500 Internal Server Error (never "500 Ok") with the exact failure body."""
    response = health_app({"callable": lambda: False}).get("/", status=500)
    assert response.status == "500 Internal Server Error"
    assert response.body == FAILURE_BYTES


@pytest.mark.parametrize("config", [{}, {"callable": lambda: False}])
def test_headers(config):
    """Every answer carries JSON Content-Type, Content-Length and Cache-Control: no-store."""
    response = health_app(config).get("/", expect_errors=True)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Content-Length"] == str(len(response.body))
    assert response.headers["Cache-Control"] == "no-store"


def test_head_has_headers_and_no_body():
    """HEAD gets GET's status and headers, and no body."""
    response = health_app({}).head("/")
    assert response.status == "200 OK"
    assert response.body == b""
    assert response.headers["Content-Length"] == str(len(SUCCESS_BYTES))


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "options"])
def test_any_method_is_answered(method):
    """Like clearskies, the health check answers whatever method a prober uses."""
    response = getattr(health_app({}), method)("/")
    assert response.body == SUCCESS_BYTES


def call_raw(application, environ_overrides):
    """Call a WSGI application with a hand-made environ; return (status, headers, body)."""
    environ = wsgi_environ(**environ_overrides)
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured.update(status=status, headers=headers)

    body = b"".join(application(environ, start_response))
    return captured["status"], dict(captured["headers"]), body


@pytest.mark.parametrize(
    "overrides",
    [
        {"QUERY_STRING": "a=%zz&b=%"},
        {"QUERY_STRING": "x=\xff\xfe"},
        {"PATH_INFO": "/\xc3\x28"},
        {"HTTP_ACCEPT": "\x00\x01"},
        {"REQUEST_METHOD": "BREW"},
        {"CONTENT_LENGTH": "not-a-number"},
        {"PATH_INFO": ""},
    ],
)
def test_malformed_requests_get_a_well_formed_envelope(overrides):
    """Broken encodings and odd headers still get a JSON envelope with a valid status line."""
    application = skiesish.contexts.wsgi(skiesish.Application(HealthCheck, {}))
    status, headers, body = call_raw(application, overrides)
    assert status == "200 OK"
    assert json.loads(body)["status"] == "success"
    assert headers["Content-Length"] == str(len(body))


def test_an_unexpected_handler_error_is_a_500_envelope(caplog):
    """A handler that blows up yields the failure envelope, with the error logged, not shown."""

    class Exploding(HealthCheck):
        def handle(self, input_output):
            raise RuntimeError("secret detail")

    application = webtest.TestApp(skiesish.contexts.wsgi(skiesish.Application(Exploding, {})), lint=True)
    response = application.get("/", status=500)
    assert response.body == FAILURE_BYTES
    assert "secret detail" in caplog.text


def test_a_bad_request_body_is_a_400_envelope():
    """A body that is not JSON, read by a handler, is a client_error envelope naming the problem."""

    def echo(input_output):
        return input_output.json_body()

    application = webtest.TestApp(skiesish.contexts.wsgi(echo), lint=True)
    response = application.post("/", "{not json", content_type="application/json", status=400)
    assert response.json["status"] == "client_error"
    assert "not valid JSON" in response.json["error"]
