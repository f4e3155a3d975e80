"""skiesish.integrations.opentelemetry.HealthMetrics: health as OpenTelemetry metrics and spans."""

from __future__ import annotations

import datetime
import sys

import pytest
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from skiesish.exceptions import MissingExtraError
from skiesish.health import CheckResult, CheckRun
from skiesish.integrations.opentelemetry import HealthMetrics

WAIT = 60  # a hang guard, never a speed target


@pytest.fixture
def reader():
    """An in-memory metric reader on a meter provider of its own."""
    metric_reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[metric_reader])
    metric_reader.provider = provider
    yield metric_reader
    provider.shutdown()


@pytest.fixture
def exporter():
    """An in-memory span exporter on a tracer provider of its own."""
    span_exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    span_exporter.provider = provider
    yield span_exporter
    provider.shutdown()


def points(metric_reader: InMemoryMetricReader, name: str) -> list:
    """The data points of the metric ``name`` in one collection."""
    data = metric_reader.get_metrics_data()
    return [
        point
        for resource in (data.resource_metrics if data else [])
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def metric(metric_reader: InMemoryMetricReader, name: str):
    """The metric ``name`` itself (its unit, description and data), from one collection."""
    data = metric_reader.get_metrics_data()
    [found] = [
        metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
    ]
    return found


def gauge_values(metric_reader: InMemoryMetricReader, name: str) -> set[tuple]:
    """The gauge ``name`` as a set of (sorted attributes, value)."""
    return {(tuple(sorted(point.attributes.items())), point.value) for point in points(metric_reader, name)}


#: The database check's failure output: holds a secret, which no span may show.
SECRET_OUTPUT = "connection refused: password=hunter2"


def check_status(database: tuple[str, int], cache: tuple[str, int]) -> set[tuple]:
    """The expected ``health.check.status`` points for the two checks' (state, value)."""
    return {
        ((("health.check.name", "database"), ("health.check.state", database[0])), database[1]),
        ((("health.check.name", "cache"), ("health.check.state", cache[0])), cache[1]),
    }


def test_check_status_follows_each_check_through_fail_and_pass(reader, service_for):
    """Each check's gauge is 1 while passing and 0 while failing, its state attribute pass, warn or fail."""
    service = service_for(HealthMetrics(meter_provider=reader.provider), database_output=SECRET_OUTPUT)
    service.probe()
    assert gauge_values(reader, "health.check.status") == check_status(("pass", 1), ("pass", 1))
    service.probe(database=False, cache=False)
    assert gauge_values(reader, "health.check.status") == check_status(("fail", 0), ("warn", 0))
    service.probe()
    assert gauge_values(reader, "health.check.status") == check_status(("pass", 1), ("pass", 1))


def test_the_overall_status_gauge_follows_the_report(reader, service_for):
    """health.status is 1 for pass and warn, 0 for fail, with the state as its attribute."""
    service = service_for(HealthMetrics(meter_provider=reader.provider), database_output=SECRET_OUTPUT)
    assert points(reader, "health.status") == []  # nothing known yet
    expected = []
    seen = []
    for database, cache, state, value in [
        (True, True, "pass", 1),
        (True, False, "warn", 1),
        (False, False, "fail", 0),
        (True, True, "pass", 1),
    ]:
        service.probe(database=database, cache=cache)
        expected.append({((("health.state", state),), value)})
        seen.append(gauge_values(reader, "health.status"))
    assert seen == expected


def test_each_run_is_a_duration_in_seconds(reader, service_for):
    """Every run (not a cached result) adds one observation, in seconds, to its check's histogram."""
    service = service_for(HealthMetrics(meter_provider=reader.provider), database_output=SECRET_OUTPUT)
    for database in (True, False, True):
        service.probe(database=database)
    duration = metric(reader, "health.check.duration")
    assert duration.unit == "s"
    counts = {point.attributes["health.check.name"]: point.count for point in duration.data.data_points}
    assert counts == {"database": 3, "cache": 3}
    assert all(0 <= point.sum < WAIT for point in duration.data.data_points)
    assert list(duration.data.data_points[0].explicit_bounds)[:2] == [0.001, 0.0025]


def test_the_gauges_carry_units_and_descriptions(reader, service_for):
    """The gauges are dimensionless ("1") and described."""
    service = service_for(HealthMetrics(meter_provider=reader.provider), database_output=SECRET_OUTPUT)
    service.probe()
    data = reader.get_metrics_data()
    found = {
        metric.name: metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert found.keys() == {"health.check.status", "health.check.duration", "health.status"}
    assert {found[name].unit for name in ("health.check.status", "health.status")} == {"1"}
    assert all(metric.description for metric in found.values())


def test_spans_are_made_only_when_asked(reader, exporter, service_for):
    """Without spans=True no span is made."""
    service = service_for(
        HealthMetrics(meter_provider=reader.provider, tracer_provider=exporter.provider),
        database_output=SECRET_OUTPUT,
    )
    service.probe(database=False)
    assert exporter.get_finished_spans() == ()


def test_each_run_is_a_root_span_with_its_own_times(reader, exporter, service_for):
    """A run is a root span named after its check, an error when it failed (its output scrubbed)."""
    listener = HealthMetrics(meter_provider=reader.provider, tracer_provider=exporter.provider, spans=True)
    service = service_for(listener, database_output=SECRET_OUTPUT)
    service.probe()
    service.probe(database=False)
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans if span.attributes["health.check.name"] == "database"] == [
        "health check database",
        "health check database",
    ]
    assert all(span.parent is None for span in spans)
    assert len({span.context.trace_id for span in spans}) == len(spans)  # each its own trace
    failed = [span for span in spans if span.status.status_code is StatusCode.ERROR]
    assert len(failed) == 1
    assert failed[0].attributes["health.check.state"] == "fail"
    assert failed[0].attributes["health.check.run.passed"] is False
    assert "hunter2" not in failed[0].status.description
    assert all(span.start_time <= span.end_time for span in spans)


def test_a_span_spans_the_run_it_describes(exporter):
    """The span ends at the run's timestamp, starts its response time earlier, and has no parent."""
    listener = HealthMetrics(NoOpMeterProvider(), exporter.provider, spans=True)
    ended = datetime.datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=datetime.timezone.utc)
    result = CheckResult("database", True, "", 0.125, ended)
    tracer = exporter.provider.get_tracer("test")
    with tracer.start_as_current_span("a request"):
        listener.on_run(CheckRun(result, None))
    [request, run] = sorted(exporter.get_finished_spans(), key=lambda span: span.name)
    assert run.name == "health check database"
    assert run.end_time == 1_714_564_800_250_000_000
    assert run.start_time == 1_714_564_800_125_000_000
    assert run.parent is None
    assert run.context.trace_id != request.context.trace_id
    assert run.status.status_code is StatusCode.UNSET


def test_a_run_held_passing_by_damping_is_an_error_span(exporter):
    """A failed run whose status damping still reports passing is an error span: the span is the run's."""
    listener = HealthMetrics(NoOpMeterProvider(), exporter.provider, spans=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    held = CheckResult("database", True, "connection refused", 0.01, now, raw_passed=False)
    listener.on_run(CheckRun(held, None))
    [span] = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes["health.check.state"], span.attributes["health.check.run.passed"]) == (
        "pass",
        False,
    )


def test_another_process_run_updates_the_gauge_but_is_not_recorded_again(reader, exporter):
    """A result another process ran (shared cache) sets the gauge, but adds no duration or span."""
    listener = HealthMetrics(reader.provider, exporter.provider, spans=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    shared = CheckResult("database", False, "connection refused", 0.01, now, cached=True)
    listener.on_run(CheckRun(shared, None))
    assert gauge_values(reader, "health.check.status") == {
        ((("health.check.name", "database"), ("health.check.state", "fail")), 0)
    }
    assert points(reader, "health.check.duration") == []
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize("module", ["opentelemetry.metrics", "opentelemetry.trace"])
def test_without_the_extra_the_error_names_it(monkeypatch, module):
    """Missing OpenTelemetry raises MissingExtraError naming pip install 'skiesish[otel]'."""
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtraError, match=r"pip install 'skiesish\[otel\]'"):
        HealthMetrics()
