"""py-healthcheck's and Runscope's calling conventions, kept by skiesish.integrations' classes."""

from __future__ import annotations

import datetime
import json

import flask
import pytest

from skiesish.exceptions import ConfigurationError
from skiesish.integrations import flask as flask_integration
from skiesish.integrations.healthcheck import EnvironmentDump, HealthCheck, safe_dict
from skiesish.scrubbing import MASK

BARE = {"include_os": False, "include_python": False, "include_process": False}


@pytest.fixture
def app() -> flask.Flask:
    """A Flask application with a secret and a database URL in its config."""
    application = flask.Flask("test_integration_compatibility")
    application.config.update(
        SECRET_KEY="s3cr3t-value", DATABASE_URL="postgres://app:hunter2@db/app", REGION="eu-west-1"
    )
    return application


def passing() -> tuple[bool, str]:
    return True, "all good"


# -- EnvironmentDump: Runscope's arguments ------------------------------------------------------


def test_runscope_positional_app_and_path_register_the_route(app):
    """``EnvironmentDump(app, "/environment")``, Runscope's usage, answers at that path."""
    EnvironmentDump(app, "/environment")
    response = app.test_client().get("/environment")
    assert (response.status_code, list(response.get_json())) == (200, ["os", "python", "process", "config"])


def test_init_app_registers_the_route_later(app):
    """``EnvironmentDump().init_app(app, path)`` answers at path, with the config section."""
    dump = EnvironmentDump(**BARE)
    dump.init_app(app, "/env")
    assert list(app.test_client().get("/env").get_json()) == ["config"]


def test_init_app_without_a_path_adds_no_route(app):
    """Without a path nothing is registered; the config section still comes from the app."""
    dump = EnvironmentDump(**BARE)
    dump.init_app(app)
    assert ("/env" in {rule.rule for rule in app.url_map.iter_rules()}, list(json.loads(dump.run()[0]))) == (
        False,
        ["config"],
    )


def test_the_config_section_is_the_apps_config_scrubbed(app):
    """Runscope's ``config`` section shows app.config, secrets masked by name and by shape."""
    EnvironmentDump(app, "/environment", **BARE)
    shown = app.test_client().get("/environment").get_json()["config"]
    assert (shown["SECRET_KEY"], shown["DATABASE_URL"], shown["REGION"]) == (
        MASK,
        f"postgres://app:{MASK}@db/app",
        "eu-west-1",
    )


def test_the_config_section_can_be_left_out(app):
    """Runscope's ``include_config=False`` drops the section instead of becoming one."""
    dump = EnvironmentDump(app, "/environment", include_config=False, **BARE)
    assert json.loads(dump.run()[0]) == {}


def test_runscope_positional_flags_follow_its_order(app):
    """After app and path, Runscope's order is include_os, include_python, include_config, include_process."""
    dump = EnvironmentDump(app, None, False, False, True, False)
    assert list(json.loads(dump.run()[0])) == ["config"]


def test_runscope_app_keyword_is_the_application(app):
    """``EnvironmentDump(app=app, path=...)`` registers the route rather than adding sections."""
    EnvironmentDump(app=app, path="/environment", **BARE)
    assert list(app.test_client().get("/environment").get_json()) == ["config"]


def test_dump_environment_is_run(app):
    """Runscope's view method ``dump_environment`` answers as ``run`` does."""
    dump = EnvironmentDump(**BARE, version="1.4.2")
    assert dump.dump_environment() == ('{"version": "1.4.2"}', 200, {"Content-Type": "application/json"})


# -- EnvironmentDump: py-healthcheck's arguments ------------------------------------------------


def test_without_an_app_there_is_no_config_section():
    """py-healthcheck's dump had no config section, so a custom one may take the name."""
    dump = EnvironmentDump(**BARE)
    dump.add_section("config", {"region": "eu-west-1"})
    assert json.loads(dump.run()[0]) == {"config": {"region": "eu-west-1"}}


def test_py_healthcheck_positional_flags_still_work():
    """Positional flags in py-healthcheck's order: include_os, include_python, include_process."""
    assert list(json.loads(EnvironmentDump(False, True, False).run()[0])) == ["python"]


def test_app_and_path_keywords_that_are_no_application_stay_sections():
    """py-healthcheck's ``EnvironmentDump(app={...}, path="/srv")`` made two sections; so it does here."""
    dump = EnvironmentDump(**BARE, app={"name": "shop"}, path="/srv")
    assert json.loads(dump.run()[0]) == {"app": {"name": "shop"}, "path": "/srv"}


def test_include_config_without_an_app_explains_outside_flask():
    """Asked for the config section with no application at hand, the section says what it needs."""
    shown = json.loads(EnvironmentDump(include_config=True, **BARE).run()[0])["config"]
    assert shown == (
        "error: ConfigurationError: the config section needs a Flask application: "
        "pass app= or call init_app(app)"
    )


def test_include_config_without_an_app_reads_the_serving_app(app):
    """Served as a plain view, the config section reads the application serving the request."""
    dump = EnvironmentDump(include_config=True, **BARE)
    app.add_url_rule("/environment", "environment", view_func=dump.run)
    assert app.test_client().get("/environment").get_json()["config"]["REGION"] == "eu-west-1"


def test_too_many_positional_arguments_are_refused():
    """Four positional flags fit neither library: a TypeError names py-healthcheck's three."""
    with pytest.raises(TypeError, match=r"at most 3 positional arguments \(include_os, include_python"):
        EnvironmentDump(True, True, True, True)


def test_an_argument_given_twice_is_refused(app):
    """A flag given by position and by keyword raises, as a Python call would."""
    with pytest.raises(TypeError, match="'include_os' both by position and by keyword"):
        EnvironmentDump(app, "/environment", True, include_os=False)


def test_a_positional_app_that_is_not_an_application_is_refused():
    """``EnvironmentDump("shop")`` is neither library's call: ConfigurationError says what arrived."""
    with pytest.raises(
        ConfigurationError, match="EnvironmentDump's app must be a Flask application, got str"
    ):
        EnvironmentDump("shop")


# -- HealthCheck ----------------------------------------------------------------------------------


def test_check_is_run():
    """Runscope's view method ``check`` answers as ``run`` does."""
    health = HealthCheck(checkers=[passing], success_handler=None)
    assert health.check() == ("OK", 200, {"Content-Type": "application/json"})


def test_runscope_route_options_reach_add_url_rule(app):
    """Runscope passed extra keywords to add_url_rule: endpoint and methods here set the route."""
    health = HealthCheck(app, "/status", checkers=[passing], endpoint="status", methods=["GET"])
    rule = next(rule for rule in app.url_map.iter_rules() if rule.rule == "/status")
    body = json.loads(health.run()[0])
    assert (rule.endpoint, sorted(rule.methods or ()), "endpoint" in body) == (
        "status",
        ["GET", "HEAD", "OPTIONS"],
        False,
    )


def test_a_positional_status_is_refused():
    """py-healthcheck's ``HealthCheck(200)`` meant success_status; here it would be an app, so it raises."""
    with pytest.raises(ConfigurationError, match="the arguments after app and path are keyword-only"):
        HealthCheck(200)  # type: ignore[arg-type]


# -- safe_dict ------------------------------------------------------------------------------------


def test_safe_dict_masks_py_healthcheck_words_at_any_depth():
    """Keys holding key, token or pass are masked, however deep (py-healthcheck stopped at max_deep)."""
    nested = {"a": {"b": {"c": {"d": {"e": {"f": {"api_token": "abc"}}}}}}}
    masked = safe_dict({"SOME_KEY": "fake-key", "Password": 1, "user": "ann", **nested}, max_deep=2)
    assert (masked["SOME_KEY"], masked["Password"], masked["user"]) == (MASK, MASK, "ann")
    assert masked["a"]["b"]["c"]["d"]["e"]["f"] == {"api_token": MASK}


def test_safe_dict_blacklist_adds_words():
    """A blacklist word of one's own masks more; the built-in words still apply."""
    masked = safe_dict({"pin": "1234", "API_KEY": "x", "name": "shop"}, blacklist=("pin",))
    assert masked == {"pin": MASK, "API_KEY": MASK, "name": "shop"}


def test_safe_dict_masks_secrets_by_shape():
    """A URL's password is masked under an innocent key, as the project's scrubber does everywhere."""
    assert safe_dict({"CACHE_URL": "redis://:hunter2@cache:6379"}) == {
        "CACHE_URL": f"redis://:{MASK}@cache:6379"
    }


def test_safe_dict_returns_json_ready_values():
    """A value JSON cannot hold comes back as its text (py-healthcheck returned the object)."""
    moment = datetime.datetime(2024, 5, 1, 12, 0)
    assert safe_dict({"started": moment, "workers": 4}) == {"started": "2024-05-01 12:00:00", "workers": 4}


def test_safe_dict_needs_a_mapping():
    """A list is refused with a TypeError naming what arrived."""
    with pytest.raises(TypeError, match="safe_dict needs a mapping, got list"):
        safe_dict(["KEY=x"])  # type: ignore[arg-type]


def test_flask_integration_exports_safe_dict():
    """Flask users import safe_dict from skiesish.integrations.flask, with the rest."""
    assert flask_integration.safe_dict is safe_dict
