"""Kubernetes probes: liveness, readiness (with draining and out of service) and startup."""

from __future__ import annotations

import logging

import pytest

import skiesish
from skiesish import Check, ConfigurationError


def counted(result=True, name="check"):
    """A named check counting its runs in ``.runs``."""

    def check():
        check.runs += 1
        return result() if callable(result) else result

    check.runs = 0
    check.__name__ = name
    return check


def context(**probes):
    """A test context around skiesish.probes(...)."""
    return skiesish.contexts.test(skiesish.probes(**probes))


@pytest.mark.parametrize("path", ["/livez", "/healthz/live"])
def test_liveness_runs_no_dependency_check_by_default(path):
    """Liveness passes without running the readiness checks."""
    database = counted(False, "database")
    run = context(ready=[database])
    assert run(url=path)[1] == 200
    assert database.runs == 0


@pytest.mark.parametrize("path", ["/readyz", "/healthz/ready"])
def test_readiness_runs_the_ready_checks(path):
    """Readiness fails when a ready check fails."""
    assert context(ready=[counted(False, "database")])(url=path)[1] == 500


def test_probes_share_one_engine_and_cache():
    """A check serving both liveness and readiness runs once within its TTL."""
    shared = counted(True, "shared")
    run = context(live=[shared], ready=[shared], success_ttl=60)
    run(url="/livez")
    run(url="/readyz")
    run(url="/healthz/ready")
    assert shared.runs == 1


def test_readiness_fails_while_out_of_service():
    """The out-of-service switch in DI fails readiness, and not liveness; switching back restores it."""
    run = context(ready=[counted(True, "database")], details="always")
    state = run.di.build("service_state")
    state.set_out_of_service(True)
    body, status, _ = run(url="/readyz")
    assert status == 500
    assert body["data"]["checks"]["service_state"]["output"] == "out of service"
    assert run(url="/livez")[1] == 200
    state.set_out_of_service(False)
    assert run(url="/readyz")[1] == 200


def test_readiness_fails_while_draining():
    """Once shutting down, readiness fails."""
    run = context(details="always")
    run.di.build("service_state").start_draining()
    body, status, _ = run(url="/readyz")
    assert (status, body["data"]["checks"]["service_state"]["output"]) == (500, "shutting down")


def test_startup_passes_once_every_check_has_passed_once():
    """Startup fails until each startup check has passed at least once, then passes without running them."""
    state = {"migrated": False, "warm": False}
    migrated = counted(lambda: state["migrated"], "migrated")
    warm = counted(lambda: state["warm"], "warm")
    run = context(startup=[migrated, warm], success_ttl=None, failed_ttl=None)
    assert run(url="/startupz")[1] == 500
    state["migrated"] = True
    assert run(url="/startupz")[1] == 500
    state["migrated"], state["warm"] = False, True  # each has passed once, not at the same time
    assert run(url="/startupz")[1] == 200
    runs = (migrated.runs, warm.runs)
    assert run(url="/startupz")[1] == 200
    assert (migrated.runs, warm.runs) == runs


def test_no_startup_checks_means_started():
    """Without startup checks, startup passes at once."""
    assert context()(url="/startupz")[1] == 200


def test_unknown_probe_path_is_a_404():
    """A path that is not a probe is a 404 envelope listing the probes."""
    body, status, _ = context()(url="/healthz/nope")
    assert status == 404
    assert "/livez" in body["error"]


def test_health_options_apply_to_every_probe():
    """`health` keys (format, statuses) shape every probe's answer."""
    run = context(ready=[counted(False, "db")], format="problem+json", failed_status=503)
    body, status, headers = run(url="/readyz")
    assert (status, body, headers["Content-Type"]) == (
        503,
        {"status": 503, "title": "Service Unavailable"},
        "application/problem+json",
    )


def test_status_changes_are_logged_per_probe(caplog):
    """A readiness change is logged once, naming the probe."""
    state = {"up": True}
    run = context(ready=[Check(lambda: state["up"], name="db")], success_ttl=None, failed_ttl=None)
    with caplog.at_level(logging.INFO, logger="skiesish"):
        run(url="/readyz")
        state["up"] = False
        run(url="/readyz")
        run(url="/readyz")
    messages = [record.getMessage() for record in caplog.records if record.name == "skiesish"]
    assert messages == [
        "ready health is now pass (was not yet known)",
        "ready health is now fail (was pass): db: returned False",
    ]


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"health": {"checks": []}}, r"health may not set \['checks'\]"),
        (
            {"health": {"timeout": -1}},
            r"'timeout': must be a number of seconds greater than 0 and at most 600, got int -1",
        ),
        ({"ready": [3]}, "a check must be callable"),
    ],
)
def test_bad_probe_configuration_fails_at_build_time(arguments, match):
    """Mistakes in the probes' configuration raise at build time."""
    with pytest.raises((skiesish.ConfigurationError, TypeError), match=match):
        skiesish.Application(skiesish.handlers.Probes, arguments)


@pytest.mark.parametrize("key", ["bogus", "cach", "secrets"])
def test_an_unknown_key_in_the_nested_health_config_lists_every_allowed_key_unmasked(key):
    """The HealthCheck error inside the probes' error names 'cache' and the others as they are, not masked."""
    with pytest.raises(ConfigurationError) as caught:
        skiesish.contexts.TestContext(skiesish.probes(**{key: 1}))
    message = str(caught.value)
    assert f"unknown key '{key}'" in message
    assert "allowed keys are 'cache', 'cache_namespace', 'cache_secret'" in message
    assert "*" not in message
