"""What a hostile or careless caller can send costs little, and every answer shows only scrubbed text."""

from __future__ import annotations

import pytest
import webtest
from conftest import wsgi_environ

import skiesish
from skiesish.environment import Environment
from skiesish.handlers import HealthCheck, SimpleRouting
from skiesish.input_outputs.base import MAX_QUERY_FIELDS, MAX_QUERY_LENGTH

TOKEN = "s3cret-token-123"
LEAKED = "hunter2"
DSN = f"postgres://app:{LEAKED}@db/app"


def failing_with_dsn():
    """A check whose failure quotes a connection string."""
    raise skiesish.HealthError(f"cannot reach {DSN}")


def passing():
    """A check that passes."""
    return True


def web(config, **context):
    """A webtest app (lint on) around a HealthCheck with ``config``."""
    application = skiesish.contexts.wsgi(skiesish.Application(HealthCheck, config), **context)
    return webtest.TestApp(application, lint=True)


NAMES = {f"check_{index}": passing for index in range(50)}


# -- bounded, linear request costs -----------------------------------------------------


@pytest.mark.parametrize("parameter", ["check", "exclude"])
def test_a_huge_filter_query_is_refused_with_414(parameter):
    """A 216 kB ?check= or ?exclude= query is answered 414 without comparing any names."""
    query = "&".join(f"{parameter}=check_{index % 50}" for index in range(20_000))
    assert len(query) > 200_000
    response = web({"checks": NAMES}).get(f"/?{query}", status=414)
    assert response.json["status"] == "client_error"
    assert f"at most {MAX_QUERY_LENGTH} are read" in response.json["error"]


def test_too_many_query_fields_are_refused_with_400():
    """More than MAX_QUERY_FIELDS fields, within the length limit, is a 400."""
    query = "&".join(f"check=check_{index}" for index in range(MAX_QUERY_FIELDS + 1))
    assert len(query) <= MAX_QUERY_LENGTH
    response = web({"checks": NAMES}).get(f"/?{query}", status=400)
    assert f"more than {MAX_QUERY_FIELDS} fields" in response.json["error"]


def test_the_largest_accepted_selection_still_works():
    """As many ?check= names as the limits allow are all honoured."""
    query = "&".join(f"check=check_{index % 50}" for index in range(MAX_QUERY_FIELDS))
    response = web({"checks": NAMES, "details": "always"}).get(f"/?{query}")
    assert len(response.json["data"]["checks"]) == 50


def test_an_unknown_name_is_quoted_short():
    """A long unknown check name is quoted back cut short."""
    response = web({"checks": NAMES}).get("/?check=" + "x" * 3000, status=400)
    assert len(response.json["error"]) < 500
    assert response.json["error"].startswith("unknown check 'xxxx")


def test_an_unknown_path_is_quoted_short():
    """A 404 for a long path quotes the path cut short."""
    routes = [{"path": "healthz", "handler_class": HealthCheck, "handler_config": {}}]
    app = webtest.TestApp(skiesish.contexts.wsgi(skiesish.Application(SimpleRouting, {"routes": routes})))
    response = app.get("/" + "a" * 50_000, status=404)
    assert len(response.json["error"]) < 300


def test_excluding_every_check_is_a_400():
    """?exclude= of every check leaves nothing to report, which is refused rather than answered 200."""
    app = web({"checks": {"bad": failing_with_dsn, "good": passing}})
    response = app.get("/?exclude=bad&exclude=good", status=400)
    assert "leave no check to run" in response.json["error"]
    assert app.get("/?check=good&exclude=good", status=400).json["status"] == "client_error"


def test_excluding_some_checks_still_answers():
    """?exclude= of the failing check alone answers from the others."""
    app = web({"checks": {"bad": failing_with_dsn, "good": passing}})
    assert app.get("/?exclude=bad").status_int == 200


@pytest.mark.parametrize("method", ["head", "Head", "hEAD"])
def test_methods_are_case_sensitive(method):
    """A method that is HEAD only when upper-cased is not HEAD: it gets the body its Content-Length counts."""
    application = skiesish.contexts.wsgi(skiesish.Application(HealthCheck, {}))
    captured = {}
    body = b"".join(
        application(
            wsgi_environ(REQUEST_METHOD=method), lambda status, headers: captured.update(headers=headers)
        )
    )
    assert dict(captured["headers"])["Content-Length"] == str(len(body))
    assert body.startswith(b'{"status": "success"')


def test_real_head_has_no_body_and_the_get_length():
    """HEAD gets no body and the Content-Length a GET would have."""
    app = web({})
    get, head = app.get("/"), app.head("/")
    assert head.body == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


# -- every answer is scrubbed --------------------------------------------------------------

FORMATS = ["envelope", "health+json", "text", "runscope", "problem+json", "html"]


@pytest.mark.parametrize("format_name", FORMATS)
@pytest.mark.parametrize("details", ["always", "authorized"])
def test_details_are_scrubbed_in_every_format(format_name, details):
    """With details shown (always, or to the token's holder), outputs and sections are scrubbed."""
    config = {
        "checks": {"database": failing_with_dsn},
        "format": format_name,
        "details": details,
        "sections": {"database_url": DSN, "note": f"see {DSN}", "getter": lambda: {"dsn": DSN}},
    }
    if details == "authorized":
        config["details_token"] = TOKEN
    response = web(config).get("/?verbose", headers={"Authorization": f"Bearer {TOKEN}"}, status=500)
    assert LEAKED not in response.text
    if format_name != "problem+json":
        assert "app:********@db" in response.text or "********" in response.text


def test_a_browser_gets_a_scrubbed_status_page():
    """The status page a browser is given quotes outputs scrubbed."""
    app = web({"checks": {"database": failing_with_dsn}, "details": "always"})
    response = app.get("/", headers={"Accept": "text/html"}, status=500)
    assert LEAKED not in response.text
    assert "cannot reach postgres://app:********@db/app" in response.text


# -- custom handlers ----------------------------------------------------------------------


def echo_outputs(report):
    """A failed_handler that puts every output into its body."""
    return {"outputs": [result.output for result in report.results]}


def test_custom_handlers_get_no_outputs_for_anonymous_callers():
    """Under details "authorized", a failed_handler called for an anonymous caller sees no outputs."""
    config = {
        "checks": {"database": failing_with_dsn},
        "failed_handler": echo_outputs,
        "details": "authorized",
        "details_token": TOKEN,
    }
    response = web(config).get("/", status=500)
    assert response.json == {"outputs": [""]}


def test_custom_handlers_get_scrubbed_outputs_for_the_token_holder():
    """The token's holder gets the custom body with the outputs, scrubbed."""
    config = {
        "checks": {"database": failing_with_dsn},
        "failed_handler": echo_outputs,
        "details": "authorized",
        "details_token": TOKEN,
    }
    response = web(config).get("/", headers={"Authorization": f"Bearer {TOKEN}"}, status=500)
    assert response.json == {"outputs": ["cannot reach postgres://app:********@db/app"]}


@pytest.mark.parametrize(
    "body",
    [
        {"dsn": DSN},
        f"plain text {DSN}",
        f'{{"dsn": "{DSN}"}}',
        f"bytes {DSN}".encode(),
    ],
    ids=["dict", "text", "json-text", "bytes"],
)
def test_what_a_custom_handler_returns_is_scrubbed(body):
    """A custom handler's own body, in every form it may take, passes through the scrubber."""
    response = web({"checks": [passing], "success_handler": lambda report: body}).get("/")
    assert LEAKED not in response.text


# -- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["   ", "\n", "abc\n", " abc", "ab c", "abc\t", "t\u00f6ken"],
    ids=["spaces", "newline", "trailing-newline", "leading-space", "inner-space", "tab", "non-ascii"],
)
def test_tokens_nobody_could_present_are_refused(token):
    """A token that is whitespace, or holds whitespace or line breaks, fails at build time."""
    with pytest.raises(skiesish.ConfigurationError, match="details_token"):
        skiesish.Application(HealthCheck, {"details": "authorized", "details_token": token})


@pytest.mark.parametrize("value", ["abc\n", "  ", "a b"])
def test_tokens_read_from_the_environment_are_checked_too(value):
    """An env:VAR token whose value ends in a newline (or holds spaces) fails when the context is built."""
    config = {"details": "authorized", "details_token": "env:HEALTH_TOKEN"}
    environment = Environment(environ={"HEALTH_TOKEN": value})
    with pytest.raises(skiesish.ConfigurationError, match="HEALTH_TOKEN"):
        skiesish.contexts.test(
            skiesish.Application(HealthCheck, config), bindings={"environment": environment}
        )


@pytest.mark.parametrize("token", [123456789, b"bytes-token-123", ["list-token-123"]])
def test_a_token_of_the_wrong_type_is_never_quoted(token):
    """A details_token of the wrong type is refused without its value in the message."""
    with pytest.raises(skiesish.ConfigurationError) as error:
        skiesish.Application(HealthCheck, {"details": "authorized", "details_token": token})
    assert "value not shown" in str(error.value)
    assert str(token).strip("[]'b") not in str(error.value)


def test_a_cache_url_with_a_password_is_not_quoted():
    """An invalid cache URL is refused without its password."""
    with pytest.raises(skiesish.ConfigurationError) as error:
        skiesish.Application(HealthCheck, {"cache": "http://:hunter2@cache:6379/0"})
    assert LEAKED not in str(error.value)


# -- headers and statuses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({"X-A": "b\r\nSet-Cookie: session=1"}, "control characters"),
        ({"X-A": "b\nInjected: 1"}, "control characters"),
        ({"X-A": "b\x00"}, "control characters"),
        ({"X-A": "\u2713"}, "latin-1"),
        ({"X A": "b"}, "must be a token"),
        ({"X-A\r\nB": "b"}, "must be a token"),
        ({"Content-Length": "3"}, "set by the server"),
        ({"transfer-encoding": "chunked"}, "set by the server"),
        ({"Connection": "close"}, "set by the server"),
        ({"X-A": 3}, "latin-1 text"),
    ],
)
@pytest.mark.parametrize("key", ["success_headers", "failed_headers"])
def test_unsafe_headers_are_refused_at_build_time(key, headers, match):
    """Header names and values that would split, frame or corrupt the response are refused, naming the key."""
    with pytest.raises(skiesish.ConfigurationError, match=rf"'{key}'.*{match}"):
        skiesish.Application(HealthCheck, {key: headers})


def test_a_content_type_header_replaces_the_default():
    """A configured Content-Type is sent once, instead of the default."""
    response = web({"success_headers": {"Content-Type": "application/vnd.health+json"}}).get("/")
    assert response.headers.getall("Content-Type") == ["application/vnd.health+json"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("failed_status", 200),
        ("failed_status", 204),
        ("failed_status", 302),
        ("failed_status", 399),
        ("failed_status", 600),
        ("success_status", 500),
        ("success_status", 302),
        ("success_status", 199),
        ("success_status", True),
        ("failed_status", "503"),
    ],
)
def test_statuses_that_would_mislead_probes_are_refused(key, value):
    """A failure answered 2xx/3xx (which probes read as healthy), or a success as an error, is refused."""
    with pytest.raises(skiesish.ConfigurationError, match=rf"'{key}': must be an int from"):
        skiesish.Application(HealthCheck, {key: value})


# -- probes under a router ------------------------------------------------------------------------


def test_probes_can_be_routed():
    """skiesish.probes() as a SimpleRouting route answers its probes below the route's path."""
    probes = skiesish.probes(ready=[failing_with_dsn], details="always")
    routes = [{"path": "health", "application": probes}]
    app = webtest.TestApp(
        skiesish.contexts.wsgi(
            skiesish.Application(SimpleRouting, {"routes": routes, "schema_route": "schema"})
        ),
        lint=True,
    )
    assert app.get("/health/livez").status_int == 200
    assert app.get("/health/readyz", status=500).json["status"] == "failure"
    assert app.get("/health/healthz/live").status_int == 200
    assert app.get("/health/nope", status=404).json["status"] == "client_error"
    paths = app.get("/schema").json["paths"]
    assert {"/health/livez", "/health/readyz", "/health/startupz"} <= set(paths)
