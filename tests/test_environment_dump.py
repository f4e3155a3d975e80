"""The EnvironmentDump handler: sections, scrubbing, and who may see them."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import sys

import pytest
import webtest
from test_scrubbing import SECRET_ROWS

import skiesish
from skiesish.environment import Environment
from skiesish.handlers import EnvironmentDump
from skiesish.scrubbing import MASK

TOKEN = "dump-t0ken"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
ENVELOPE_KEYS = {"status", "error", "data", "pagination", "input_errors"}
BUILT_IN = ["os", "python", "process", "config"]


def context(config, **context_arguments):
    """A test context around an EnvironmentDump with ``config``."""
    return skiesish.contexts.test(skiesish.Application(EnvironmentDump, config), **context_arguments)


def dump(config=None, **request):
    """Build an EnvironmentDump shown to everyone (plus ``config``) and answer one request."""
    return context({"details": "always", **(config or {})})(**request)


def web(config, **context_arguments):
    """A webtest app (lint on) around an EnvironmentDump with ``config``."""
    application = skiesish.Application(EnvironmentDump, config)
    return webtest.TestApp(skiesish.contexts.wsgi(application, **context_arguments), lint=True)


def protected(**config):
    """A webtest app whose dump needs TOKEN."""
    return web({"details_token": TOKEN, **config})


# -- build-time errors ----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({}, r"details 'authorized' \(the default\) needs a details_token"),
        ({"details": "authorized", "details_token": ""}, r"'details_token': must not be empty"),
        ({"details": "never"}, r"'details': 'never' would hide everything EnvironmentDump shows"),
        ({"details": "sometimes"}, r"'details'.*'always' or 'authorized'.*'sometimes'"),
        (
            {"details": "always", "details_token": TOKEN},
            r"details_token is only used with details 'authorized', not 'always'",
        ),
        ({"details": "always", "scrub_keys": ["licence", " "]}, r"'scrub_keys'.*non-empty word"),
        ({"details": "always", "include_env": False}, r"unknown key 'include_env'.*'include_config'"),
    ],
)
def test_bad_configuration_fails_at_build_time(config, match):
    """Wrong or inconsistent keys are refused when the Application is built, with a sentence why."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        skiesish.Application(EnvironmentDump, config)


@pytest.mark.parametrize("name", BUILT_IN)
def test_custom_sections_may_not_take_built_in_names(name):
    """A custom section named like a built-in one fails at build time, even when that one is off."""
    config = {"details": "always", f"include_{name}": False, "sections": {name: "mine"}}
    with pytest.raises(
        skiesish.ConfigurationError, match=rf"'sections'.*section names \['{name}'\] are built-in"
    ):
        skiesish.Application(EnvironmentDump, config)


def test_a_token_from_a_missing_variable_fails_at_build_time():
    """details_token "env:VAR" with VAR unset fails when the context is built."""
    environment = Environment(environ={}, env_file="/nonexistent/skiesish-test.env")
    with pytest.raises(skiesish.ConfigurationError, match=r"'DUMP_TOKEN'.*not set or empty"):
        context({"details_token": "env:DUMP_TOKEN"}, bindings={"environment": environment})


# -- who may see it -------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}])
def test_no_credentials_get_401_asking_for_a_bearer_token(headers):
    """Without an Authorization header the answer is 401, WWW-Authenticate: Bearer, and an envelope."""
    response = protected().get("/", headers=headers, status=401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json == {
        "status": "client_error",
        "error": "this endpoint needs an 'Authorization: Bearer <token>' header",
        "data": [],
        "pagination": {},
        "input_errors": {},
    }


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"Token {TOKEN}"],
)
def test_wrong_credentials_get_403(authorization):
    """A wrong token or scheme is answered 403 with an envelope, and nothing of the dump."""
    response = protected().get("/", headers={"Authorization": authorization}, status=403)
    assert set(response.json) == ENVELOPE_KEYS
    assert response.json["status"] == "client_error"
    assert response.json["data"] == []
    assert "WWW-Authenticate" not in response.headers
    assert os.environ["PATH"].encode() not in response.body


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_the_token_opens_the_dump(scheme):
    """`Authorization: Bearer <token>` gets the success envelope with every section."""
    response = protected().get("/", headers={"Authorization": f"{scheme} {TOKEN}"}, status=200)
    assert set(response.json) == ENVELOPE_KEYS
    assert response.json["status"] == "success"
    assert list(response.json["data"]) == BUILT_IN


def test_the_token_may_come_from_the_environment():
    """details_token "env:VAR" reads the token from the `environment` dependency."""
    environment = Environment(environ={"DUMP_TOKEN": "from-env"}, env_file="/nonexistent/skiesish-test.env")
    application = web({"details_token": "env:DUMP_TOKEN"}, bindings={"environment": environment})
    application.get("/", headers={"Authorization": "Bearer from-env"}, status=200)
    application.get("/", headers={"Authorization": "Bearer env:DUMP_TOKEN"}, status=403)


def test_sections_are_not_computed_for_unauthorized_requests():
    """A refused request does not call the section callables."""
    calls = []
    application = protected(sections={"version": lambda: calls.append(1) or "1.0"})
    application.get("/", status=401)
    application.get("/", headers={"Authorization": "Bearer nope"}, status=403)
    assert calls == []
    assert application.get("/", headers=AUTHORIZED).json["data"]["version"] == "1.0"
    assert calls == [1]


@pytest.mark.parametrize(
    ("config", "statuses"),
    [({"details_token": TOKEN}, ["200", "401", "403"]), ({"details": "always"}, ["200"])],
    ids=["authorized", "always"],
)
def test_openapi_responses_name_every_answer(config, statuses):
    """The OpenAPI description lists the refusals only when a token is required."""
    assert sorted(context(config).handler.openapi_responses()) == statuses


# -- sections ---------------------------------------------------------------------------


def test_every_built_in_section_by_default():
    """By default data holds os, python, process and config, in that order."""
    body, status, _ = dump()
    assert status == 200
    assert body["status"] == "success"
    assert list(body["data"]) == BUILT_IN


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_flag_switches_its_section_off(name):
    """include_<name>: False leaves that section out and keeps the others."""
    body, _, _ = dump({f"include_{name}": False})
    assert list(body["data"]) == [section for section in BUILT_IN if section != name]


def test_os_section():
    """os: the platform, os.name and uname."""
    section = dump()[0]["data"]["os"]
    assert set(section) == {"platform", "name", "uname"}
    assert section["name"] == os.name
    assert set(section["uname"]) == {"system", "node", "release", "version", "machine"}


def test_python_section():
    """python: version, version_info, executable and path of this interpreter."""
    section = dump()[0]["data"]["python"]
    assert section["version"] == sys.version
    assert section["version_info"] == {
        "major": sys.version_info.major,
        "minor": sys.version_info.minor,
        "micro": sys.version_info.micro,
        "releaselevel": sys.version_info.releaselevel,
        "serial": sys.version_info.serial,
    }
    assert section["executable"] == sys.executable
    assert section["path"] == sys.path


def test_distributions_are_listed_with_their_versions():
    """python.distributions lists what importlib.metadata finds, once each, sorted by normalized name."""
    distributions = dump()[0]["data"]["python"]["distributions"]
    versions = {item["name"].lower(): item["version"] for item in distributions}
    assert versions["pydantic"] == importlib.metadata.version("pydantic")
    assert versions["skiesish"] == importlib.metadata.version("skiesish")
    assert versions["waitress"] == importlib.metadata.version("waitress")
    assert all(set(item) == {"name", "version"} for item in distributions)
    names = [re.sub(r"[-_.]+", "-", item["name"]).lower() for item in distributions]
    assert names == sorted(set(names))


def test_distributions_are_listed_without_pip(monkeypatch):
    """With pip unimportable the distributions are still listed: only importlib.metadata is used."""
    monkeypatch.setitem(sys.modules, "pip", None)
    distributions = dump()[0]["data"]["python"]["distributions"]
    assert "pydantic" in {item["name"].lower() for item in distributions}


def test_process_section(monkeypatch):
    """process: pid, argv, cwd, user and the environment variables, secrets masked."""
    monkeypatch.setenv("SKIESISH_DUMP_PLAIN", "visible")
    monkeypatch.setenv("SKIESISH_DUMP_API_KEY", "hidden-key")
    monkeypatch.setattr(sys, "argv", ["app.py", "--port", "80", "--password", "cli-pw"])
    section = dump()[0]["data"]["process"]
    assert set(section) == {"pid", "argv", "cwd", "user", "environment"}
    assert section["pid"] == os.getpid()
    assert section["argv"] == ["app.py", "--port", "80", "--password", MASK]
    assert section["cwd"] == os.getcwd()
    assert isinstance(section["user"], str)
    assert section["user"]
    assert section["environment"]["SKIESISH_DUMP_PLAIN"] == "visible"
    assert section["environment"]["SKIESISH_DUMP_API_KEY"] == MASK


def test_the_dump_is_fresh_on_every_request(monkeypatch):
    """A variable changed between two requests shows its new value: nothing is cached."""
    run = context({"details": "always"})
    monkeypatch.setenv("SKIESISH_DUMP_STAGE", "one")
    assert run()[0]["data"]["process"]["environment"]["SKIESISH_DUMP_STAGE"] == "one"
    monkeypatch.setenv("SKIESISH_DUMP_STAGE", "two")
    assert run()[0]["data"]["process"]["environment"]["SKIESISH_DUMP_STAGE"] == "two"


def report_version():
    """A section callable."""
    return "1.2.3"


def test_config_section_shows_the_handlers_configuration_scrubbed():
    """config: every key of the handler's configuration; the token masked, callables by qualified name."""
    sections = {"version": report_version, "database": "postgres://app:cfg-pw@db/app"}
    body, _, _ = context({"details_token": TOKEN, "sections": sections, "scrub_keys": ["licence"]})(
        headers=AUTHORIZED
    )
    config = body["data"]["config"]
    assert set(config) == set(EnvironmentDump.config_class.model_fields)
    assert config["details"] == "authorized"
    assert config["details_token"] == MASK
    assert config["include_os"] is True
    assert config["sections"] == {
        "version": f"{__name__}.report_version",
        "database": "postgres://app:********@db/app",
    }
    assert TOKEN not in json.dumps(body)


def test_custom_sections_are_values_or_injected_callables():
    """Custom sections follow the built-in ones; callables get their parameters injected."""

    def backend_kind(memory_backend):
        return type(memory_backend).__name__

    body, status, _ = dump(
        {"sections": {"version": "1.2.3", "build": {"sha": "abc"}, "backend": backend_kind}}
    )
    assert status == 200
    assert list(body["data"]) == [*BUILT_IN, "version", "build", "backend"]
    assert body["data"]["version"] == "1.2.3"
    assert body["data"]["build"] == {"sha": "abc"}
    assert body["data"]["backend"] == "MemoryBackend"


def test_a_raising_section_shows_its_error_not_a_500():
    """A section callable that raises shows "error: ..." (scrubbed) and the dump still answers 200."""

    def broken():
        raise ConnectionError("cannot reach postgres://app:err-pw@db/app")

    def needs_unknown(no_such_service):
        return no_such_service

    body, status, _ = dump({"sections": {"broken": broken, "unknown": needs_unknown}})
    assert status == 200
    assert body["data"]["broken"] == "error: ConnectionError: cannot reach postgres://app:********@db/app"
    assert body["data"]["unknown"].startswith("error: UnknownDependencyError: ")


def test_custom_sections_are_scrubbed():
    """Secrets in custom sections, by key or by shape, are masked."""
    section = {"smtp": {"host": "mail", "password": "smtp-pw"}, "feeds": ["https://u:feed-pw@feeds/x"]}
    body, _, _ = dump({"sections": {"integrations": section}})
    assert body["data"]["integrations"] == {
        "smtp": {"host": "mail", "password": MASK},
        "feeds": ["https://u:********@feeds/x"],
    }


def test_scrub_keys_add_words(monkeypatch):
    """scrub_keys make more names secret, in the environment as everywhere else."""
    monkeypatch.setenv("ACME_LICENCE", "L-1234")
    body, _, _ = dump({"scrub_keys": ["licence"], "include_config": False})
    assert body["data"]["process"]["environment"]["ACME_LICENCE"] == MASK
    assert dump()[0]["data"]["process"]["environment"]["ACME_LICENCE"] == "L-1234"


def test_the_leak_table_does_not_leak_through_the_handler(monkeypatch):
    """Every row of the scrubbing table, as environment variables and as a section, shows no secret."""
    for name, value, _ in SECRET_ROWS:
        monkeypatch.setenv(f"SKIESISH_LEAK_{name}", value if isinstance(value, str) else json.dumps(value))
    rows = {name: value for name, value, _ in SECRET_ROWS}
    response = web({"details": "always", "sections": {"settings": rows}}).get("/")
    leaks = [
        secret for _, _, secrets in SECRET_ROWS for secret in secrets if secret.encode() in response.body
    ]
    assert leaks == []
    assert b"SKIESISH_LEAK_DATABASE_URL" in response.body


# -- webtest's lint -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize(
    ("headers", "status"),
    [(AUTHORIZED, 200), ({}, 401), ({"Authorization": "Bearer nope"}, 403)],
    ids=["authorized", "anonymous", "wrong-token"],
)
def test_lint_is_quiet(method, headers, status):
    """Every answer, GET or HEAD, passes webtest's lint, with Content-Length and no-store."""
    response = getattr(protected(sections={"version": "1"}), method)("/", headers=headers, status=status)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_type == "application/json"
    if method == "head":
        assert response.body == b""
        assert int(response.headers["Content-Length"]) > 0
    else:
        assert response.headers["Content-Length"] == str(len(response.body))
        assert json.loads(response.body)
