"""The Prometheus exposition (format: "prometheus"), read back with prometheus-client's parser."""

from __future__ import annotations

import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

import skiesish
from skiesish import Check
from skiesish.exceptions import MissingExtraError


def scrape(context):
    """Scrape once; return (status, {metric name: {check: value}})."""
    body, status, headers = context()
    assert headers["Content-Type"].startswith("text/plain; version=")
    metrics = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            metrics.setdefault(sample.name, {})[sample.labels["check"]] = sample.value
    return status, metrics


def metrics_context(checks, **config):
    """A test context whose HealthCheck answers in the Prometheus format."""
    return skiesish.contexts.test(
        skiesish.Application(
            skiesish.handlers.HealthCheck, {"checks": checks, "format": "prometheus", **config}
        )
    )


def test_every_metric_is_exposed_per_check():
    """up, duration, last success and status changes appear for each check, labelled by name."""
    status, metrics = scrape(metrics_context({"database": lambda: True, "queue": lambda: False}))
    assert status == 200
    assert metrics["skiesish_check_up"] == {"database": 1.0, "queue": 0.0}
    assert set(metrics["skiesish_check_duration_seconds"]) == {"database", "queue"}
    assert set(metrics["skiesish_check_last_success_timestamp_seconds"]) == {"database"}
    assert metrics["skiesish_check_status_changes_total"] == {"database": 0.0, "queue": 0.0}


def test_an_unhealthy_service_still_answers_200():
    """Prometheus needs the values, not a failed scrape: the answer is 200 whatever the health."""
    status, metrics = scrape(metrics_context([Check(lambda: False, name="down")], failed_status=503))
    assert (status, metrics["skiesish_check_up"]) == (200, {"down": 0.0})


def test_a_scrape_runs_nothing_beyond_the_ttl_runs():
    """Scrapes within success_ttl reuse the result: the dependency is called once."""
    runs = []

    def counted():
        runs.append(1)
        return True

    context = metrics_context([counted], success_ttl=60)
    for _ in range(5):
        scrape(context)
    assert runs == [1]


def test_status_changes_are_counted():
    """Each flip between pass and fail adds one to skiesish_check_status_changes_total."""
    state = {"healthy": True}
    context = metrics_context(
        [Check(lambda: state["healthy"], name="flappy")], success_ttl=None, failed_ttl=None
    )
    scrape(context)
    state["healthy"] = False
    scrape(context)
    state["healthy"] = True
    _, metrics = scrape(context)
    assert metrics["skiesish_check_status_changes_total"] == {"flappy": 2.0}


def test_last_success_stays_when_a_check_fails():
    """After a failure, the last success timestamp is still the earlier passing run's."""
    state = {"healthy": True}
    context = metrics_context(
        [Check(lambda: state["healthy"], name="flappy")], success_ttl=None, failed_ttl=None
    )
    _, before = scrape(context)
    state["healthy"] = False
    _, after = scrape(context)
    assert after["skiesish_check_up"] == {"flappy": 0.0}
    assert (
        after["skiesish_check_last_success_timestamp_seconds"]
        == before["skiesish_check_last_success_timestamp_seconds"]
    )


def test_outputs_are_never_exposed():
    """A failing check's output (which may hold secrets) does not appear in the exposition."""
    body, _, _ = metrics_context([Check(lambda: (False, "password=hunter2"), name="leaky")])()
    assert "hunter2" not in body


def test_missing_prometheus_client_names_the_extra(monkeypatch):
    """Without prometheus-client the format fails at build time, naming the extra to install."""
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'skiesish\[prometheus\]'"):
        skiesish.Application(skiesish.handlers.HealthCheck, {"format": "prometheus"})
