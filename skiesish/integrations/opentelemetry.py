"""Health as OpenTelemetry metrics (and, optionally, spans): :class:`HealthMetrics`.

``pip install 'skiesish[otel]'``. A :class:`HealthMetrics` is a health
listener (``{"listeners": [HealthMetrics()]}`` in a HealthCheck's config);
it records through the OpenTelemetry API, so the SDK and exporters the
application set up (or the ones given) decide where the data goes:

- ``health.check.status``: an observable gauge, per check, 1 while the check
  passes and 0 while it fails, with the attributes ``health.check.name``
  and ``health.check.state`` (``pass``, ``warn`` or ``fail``, as reported:
  damped, see ``failure_threshold``);
- ``health.check.duration``: a histogram of each run's duration in seconds
  (unit ``s``), with ``health.check.name``; cached results are not runs,
  nor are results another process ran (a shared cache), which it records;
- ``health.status``: an observable gauge, 1 while the whole is healthy
  (``pass`` or ``warn``) and 0 otherwise, with ``health.state`` (``pass``,
  ``warn``, ``fail`` or ``unknown``).

No semantic convention for health checks exists yet
(open-telemetry/semantic-conventions#1106); the names follow the style of
the others and may change to match one when it comes.

The gauges are observable rather than synchronous: a collection reports
each check's latest state only, so that a check that went from ``pass`` to
``fail`` is not also still reported, stale, under ``pass``.

With ``spans=True`` each run (not a cached result) becomes a span named
``health check <name>``, made after the fact with the run's own start and
end times. It is always a root span: one run serves every probe until its
result expires, so it belongs to none of them, and probes (every few
seconds, from every load balancer) are kept out of the traces of real
requests.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..extras import import_extra
from ..health import CheckRun, Report
from ..scrubbing import scrub_text

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
    from opentelemetry.trace import TracerProvider

__all__ = [
    "CHECK_DURATION",
    "CHECK_NAME",
    "CHECK_STATE",
    "CHECK_STATUS",
    "DURATION_BUCKETS",
    "HEALTH_STATE",
    "HEALTH_STATUS",
    "HealthMetrics",
]

#: The instrumentation scope the meter and tracer are named after.
SCOPE = "skiesish"
#: Per check: 1 passing, 0 failing (gauge).
CHECK_STATUS = "health.check.status"
#: Per run: seconds the check took (histogram, unit ``s``).
CHECK_DURATION = "health.check.duration"
#: The whole: 1 healthy (``pass`` or ``warn``), 0 not (gauge).
HEALTH_STATUS = "health.status"
#: Attribute: the check's name.
CHECK_NAME = "health.check.name"
#: Attribute: the check's reported status, ``pass``, ``warn`` or ``fail``.
CHECK_STATE = "health.check.state"
#: Attribute: the overall status, ``pass``, ``warn``, ``fail`` or ``unknown``.
HEALTH_STATE = "health.state"
#: Attribute (spans only): whether the run itself passed, whatever damping reports.
RUN_PASSED = "health.check.run.passed"
#: Attribute (spans only): whether a failure of the check fails the whole.
CHECK_CRITICAL = "health.check.critical"
#: Histogram boundaries, in seconds: from a loopback ping to a check's default 5 s deadline and past it.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HealthMetrics:
    """Record the checks' status and durations, and the overall status, as OpenTelemetry metrics.

    Args:
        meter_provider: where the metrics go (default: the global one the
            application set up, ``opentelemetry.metrics.set_meter_provider``).
        tracer_provider: where spans go (default: the global one).
        spans: make a span of each run of a check (see the module's doc).

    Raises:
        MissingExtraError: OpenTelemetry is not installed (``pip install 'skiesish[otel]'``).

    Example:
        >>> skiesish.Application(skiesish.handlers.HealthCheck, {"listeners": [HealthMetrics()]})
    """

    def __init__(
        self,
        meter_provider: MeterProvider | None = None,
        tracer_provider: TracerProvider | None = None,
        spans: bool = False,
    ) -> None:
        metrics, trace, context = _import_opentelemetry()
        self._metrics = metrics
        self._lock = threading.Lock()
        #: Check name -> (1 or 0, state), the latest reported.
        self._checks: dict[str, tuple[int, str]] = {}
        self._overall: tuple[int, str] | None = None
        meter = metrics.get_meter(SCOPE, __version__, meter_provider=meter_provider)
        meter.create_observable_gauge(
            CHECK_STATUS,
            callbacks=[self._observe_checks],
            unit="1",
            description="Whether the health check passes (1) or fails (0), by its latest run.",
        )
        self._duration = _histogram(meter)
        meter.create_observable_gauge(
            HEALTH_STATUS,
            callbacks=[self._observe_overall],
            unit="1",
            description="Whether the service is healthy (1: pass or warn) or not (0: fail or unknown).",
        )
        self._tracer: Any = None
        if spans:
            self._tracer = trace.get_tracer(SCOPE, __version__, tracer_provider=tracer_provider)
            self._trace = trace
            self._empty_context = context.Context()

    def on_run(self, run: CheckRun) -> None:
        """Record one run of one check (called by the engine on its listener thread)."""
        result = run.result
        with self._lock:
            self._checks[result.name] = (1 if result.passed else 0, result.status)
        if result.cached:
            return  # another process's run, read from the shared cache: that process records it
        self._duration.record(result.response_time, {CHECK_NAME: result.name})
        if self._tracer is not None:
            self._record_span(run)

    def on_change(self, report: Report) -> None:
        """Record the new overall status (called by the engine when it changes)."""
        with self._lock:
            self._overall = (1 if report.passed else 0, report.status)

    def _observe_checks(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            checks = list(self._checks.items())
        return [
            self._metrics.Observation(value, {CHECK_NAME: name, CHECK_STATE: state})
            for name, (value, state) in checks
        ]

    def _observe_overall(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            overall = self._overall
        if overall is None:
            return []
        value, state = overall
        return [self._metrics.Observation(value, {HEALTH_STATE: state})]

    def _record_span(self, run: CheckRun) -> None:
        """A root span covering the run, from its start (end minus duration) to its end."""
        result = run.result
        end = _nanoseconds(result.timestamp)
        start = end - round(result.response_time * 1e9)
        passed = result.passed if result.raw_passed is None else result.raw_passed
        span = self._tracer.start_span(
            f"health check {result.name}",
            context=self._empty_context,  # no parent, whatever is current: see the module's doc
            kind=self._trace.SpanKind.INTERNAL,
            attributes={
                CHECK_NAME: result.name,
                CHECK_STATE: result.status,
                CHECK_CRITICAL: result.critical,
                RUN_PASSED: passed,
            },
            start_time=start,
        )
        if not passed:
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, scrub_text(result.output)))
        span.end(end_time=end)


def _import_opentelemetry() -> tuple[ModuleType, ModuleType, ModuleType]:
    """The OpenTelemetry API's metrics, trace and context modules, or MissingExtraError."""
    purpose = "skiesish.integrations.opentelemetry"
    return (
        import_extra("opentelemetry.metrics", "otel", purpose),
        import_extra("opentelemetry.trace", "otel", purpose),
        import_extra("opentelemetry.context", "otel", purpose),
    )


def _histogram(meter: Any) -> Any:
    """The duration histogram, with second-sized buckets where the API can advise them (1.23 on)."""
    arguments = {"unit": "s", "description": "How long each run of the health check took."}
    try:
        return meter.create_histogram(
            CHECK_DURATION, explicit_bucket_boundaries_advisory=DURATION_BUCKETS, **arguments
        )
    except TypeError:  # an API before 1.23 takes no advice: the SDK's default buckets, or a View, apply
        return meter.create_histogram(CHECK_DURATION, **arguments)


def _nanoseconds(moment: datetime.datetime) -> int:
    """``moment`` as nanoseconds since the epoch, as OpenTelemetry takes times."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
