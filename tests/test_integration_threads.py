"""Replacing an integration's engine gives its threads back: no growth with add_check or HEALTHZ changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import flask

from skiesish.integrations.flask import Healthz
from skiesish.integrations.healthcheck import HealthCheck

CHANGES = 40


def engine_threads_started_since(before: set[threading.Thread]) -> set[threading.Thread]:
    """The engines' worker threads alive now that were not alive at ``before``."""
    return {
        thread
        for thread in threading.enumerate()
        if thread.name.startswith("skiesish-check") and thread not in before
    }


def settled_count(before: set[threading.Thread], at_most: int, seconds: float = 5.0) -> int:
    """How many new worker threads remain, waiting up to ``seconds`` for closed engines' threads to end.

    Without closing, an idle worker lives on for a minute, far past this wait.
    """
    deadline = time.monotonic() + seconds
    while len(started := engine_threads_started_since(before)) > at_most and time.monotonic() < deadline:
        time.sleep(0.01)
    return len(started)


def named(name: str) -> Callable[[], tuple[bool, str]]:
    """A passing check called ``name``."""

    def check() -> tuple[bool, str]:
        return True, name

    check.__name__ = name
    return check


def test_add_check_between_runs_leaves_only_the_last_engines_threads():
    """Forty add_check calls, each followed by a run, end with at most the last engine's 40 threads."""
    before = set(threading.enumerate())
    health = HealthCheck(success_ttl=0, failed_ttl=0)
    for number in range(CHANGES):
        health.add_check(named(f"check_{number}"))
        health.run()
    assert settled_count(before, at_most=CHANGES) <= CHANGES


def test_add_check_keeps_the_checks_own_clients_open():
    """The engine replaced by add_check does not close its checks: the new engine runs them still."""
    closed = []
    client = named("client")
    client.close = lambda: closed.append(True)  # type: ignore[attr-defined]
    health = HealthCheck(checkers=[client])
    health.run()
    health.add_check(named("another"))
    assert (health.run()[1], closed) == (200, [])


def test_changing_healthz_configuration_leaves_only_the_last_engines_threads():
    """Forty changes of app.config["HEALTHZ"], each followed by a probe, end with at most one thread."""
    before = set(threading.enumerate())
    app = flask.Flask("test_integration_threads")
    Healthz(app)
    client = app.test_client()
    for number in range(CHANGES):
        app.config["HEALTHZ"] = {"live": named(f"live_{number}")}
        assert client.get("/healthz/live").status_code == 200
    assert settled_count(before, at_most=1) <= 1
