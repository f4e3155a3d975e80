"""SimpleRouting: routes in order, nesting, 404/405 envelopes, and the OpenAPI document."""

from __future__ import annotations

import pytest
import webtest
from openapi_spec_validator import validate

import skiesish
from skiesish.handlers import Callable, HealthCheck, SimpleRouting


def router(routes, **config):
    """A webtest app (lint on) around a SimpleRouting with ``routes``."""
    application = skiesish.Application(SimpleRouting, {"routes": routes, **config})
    return webtest.TestApp(skiesish.contexts.wsgi(application), lint=True)


def echo(text):
    """A Callable route answering ``text``."""
    return {"handler_class": Callable, "handler_config": {"callable": lambda: text}}


def test_routes_match_their_path():
    """Each path reaches its own handler."""
    app = router([{"path": "one", **echo("one")}, {"path": "two/deep", **echo("two")}])
    assert app.get("/one").json["data"] == "one"
    assert app.get("/two/deep").json["data"] == "two"


def test_routes_match_in_order():
    """When two routes could take a path, the first one does."""
    nested = skiesish.Application(SimpleRouting, {"routes": [{"path": "x", **echo("nested")}]})
    app = router([{"path": "a", "application": nested}, {"path": "a/x", **echo("later")}])
    assert app.get("/a/x").json["data"] == "nested"


def test_nested_routing():
    """A routed SimpleRouting takes the paths below its own, and nests further."""
    innermost = skiesish.Application(SimpleRouting, {"routes": [{"path": "ready", **echo("deep")}]})
    middle = skiesish.Application(SimpleRouting, {"routes": [{"path": "healthz", "application": innermost}]})
    app = router([{"path": "api", "application": middle}])
    assert app.get("/api/healthz/ready").json["data"] == "deep"


def test_health_check_route():
    """A HealthCheck route answers its own envelope and status."""
    app = router(
        [{"path": "healthz", "handler_class": HealthCheck, "handler_config": {"callable": lambda: False}}]
    )
    response = app.get("/healthz", status=500)
    assert response.json["status"] == "failure"


def test_unknown_path_is_a_404_envelope():
    """A path no route takes is a 404 client_error envelope naming the path."""
    response = router([{"path": "one", **echo("one")}]).get("/nope", status=404)
    assert response.json["status"] == "client_error"
    assert response.json["error"] == "no route for /nope"


def test_wrong_method_is_a_405_with_allow():
    """A method the route does not take is a 405 envelope with an Allow header."""
    app = router([{"path": "one", **echo("one"), "methods": ["POST"]}])
    response = app.get("/one", status=405)
    assert response.headers["Allow"] == "POST"
    assert response.json["error"] == "GET is not allowed on /one; allowed: POST"


def test_head_is_allowed_wherever_get_is():
    """HEAD reaches a GET route, without a body."""
    response = router([{"path": "one", **echo("one")}]).head("/one")
    assert (response.status_int, response.body) == (200, b"")


def test_routed_application_bindings_join_the_container():
    """A routed application's bindings are available to its handler."""
    inner = skiesish.Application(
        Callable, {"callable": lambda greeting: greeting}, bindings={"greeting": "hi"}
    )
    assert router([{"path": "greet", "application": inner}]).get("/greet").json["data"] == "hi"


def test_schema_is_a_valid_openapi_document():
    """schema_route serves an OpenAPI 3 document that openapi-spec-validator accepts."""
    nested = skiesish.Application(SimpleRouting, {"routes": [{"path": "live", **echo("x")}]})
    app = router(
        [
            {"path": "healthz/ready", "handler_class": HealthCheck, "handler_config": {"failed_status": 503}},
            {"path": "k8s", "application": nested},
            {"path": "time", **echo("now"), "methods": ["POST"]},
        ],
        schema_route="schema",
        title="demo",
    )
    document = app.get("/schema").json
    validate(document)
    assert document["info"]["title"] == "demo"
    assert set(document["paths"]) == {"/healthz/ready", "/k8s/live", "/time"}
    assert set(document["paths"]["/healthz/ready"]["get"]["responses"]) == {"200", "503", "400"}
    assert set(document["paths"]["/time"]) == {"post"}


def test_schema_describes_other_formats_by_media_type():
    """A HealthCheck answering health+json is documented with that media type."""
    app = router(
        [{"path": "health", "handler_class": HealthCheck, "handler_config": {"format": "health+json"}}],
        schema_route="schema",
    )
    document = app.get("/schema").json
    validate(document)
    assert "application/health+json" in document["paths"]["/health"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize(
    ("routes", "match"),
    [
        ([{"path": "a"}], "route 'a' needs either handler_class"),
        ([{"path": "a", "handler_class": HealthCheck, "application": object()}], "route 'a' needs either"),
        ([{"path": "a", "application": "nope"}], "application must be a skiesish.Application"),
        (
            [{"path": "a", "handler_class": HealthCheck, "handler_config": {"servics": []}}],
            "unknown key 'servics'",
        ),
        ([{"path": "a", **echo("1")}, {"path": "/a/", **echo("2")}], "more than one route has the path /a"),
        ([{"path": "a", **echo("1"), "methods": []}], "methods must not be empty"),
        ([{"path": "a", **echo("1"), "colour": "red"}], "unknown key 'routes.0.colour'"),
    ],
)
def test_bad_routes_fail_at_build_time(routes, match):
    """Route mistakes raise ConfigurationError when the application is built."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        skiesish.Application(SimpleRouting, {"routes": routes})
