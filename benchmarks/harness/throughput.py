"""Scenario ``throughput``: requests/s of a cached health probe, against a bare WSGI app."""

from __future__ import annotations

import dataclasses
import statistics
import sys

from .bench import Bench, measure_each, ratio, table_rows
from .client import fetch
from .errors import BenchmarkError
from .load import LoadResult
from .report import Outcome, Section, Target
from .server import App

__all__ = ["APPS", "TARGET_RATIO", "throughput"]

TARGET_RATIO = 0.85

APPS = (
    App("bare WSGI function (upper limit)", "apps.bare", "main"),
    App("skiesish HealthCheck", "apps.skiesish_throughput", "main"),
    App("skiesish HealthCheck, history and OpenTelemetry on", "apps.skiesish_listeners", "main"),
    App("clearskies v1 HealthCheck", "apps.clearskies_throughput", "peers"),
    App("py-healthcheck on Flask", "apps.pyhealthcheck_throughput", "peers", "/healthcheck"),
    App("flask-healthz on Flask", "apps.flask_healthz_throughput", "peers", "/healthz/live"),
)

HEADERS = ["server", "req/s (median)", "min - max", "vs bare", "p50 latency", "errors", "answer"]


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One server's load runs and the answer it gave to a single request first."""

    runs: list[LoadResult]
    answer: str

    @property
    def median(self) -> float:
        """The median requests/s over the runs."""
        return statistics.median(run.requests_per_second for run in self.runs)

    @property
    def errors(self) -> int:
        """Non-2xx responses and socket errors over all runs."""
        return sum(run.non_2xx + run.socket_errors for run in self.runs)


def measure(bench: Bench, app: App) -> Measurement:
    """Start ``app``, check one answer, warm it up, then load it ``runs`` times."""
    settings = bench.settings
    with bench.servers.running(app) as url:
        first = fetch(url, timeout=10)
        answer = f"{first.status_line}, {len(first.body)} B"
        if first.status != 200:
            raise BenchmarkError(f"the first answer was {answer}: {first.body[:120]!r}")
        bench.load.run(url, settings.warmup)
        runs = []
        for number in range(1, settings.runs + 1):
            print(f"  [throughput] {app.label}: run {number}/{settings.runs}", file=sys.stderr, flush=True)
            runs.append(bench.load.run(url, settings.duration))
    return Measurement(runs, answer)


def row(app: App, measurement: Measurement, bare: float | None) -> list[str]:
    """One table row for a measured server."""
    speeds = [run.requests_per_second for run in measurement.runs]
    latencies = [run.latency_p50_ms for run in measurement.runs if run.latency_p50_ms is not None]
    return [
        app.label,
        f"{measurement.median:,.0f}",
        f"{min(speeds):,.0f} - {max(speeds):,.0f}",
        ratio(measurement.median, bare),
        f"{statistics.median(latencies):.2f} ms" if latencies else "n/a",
        str(measurement.errors),
        measurement.answer,
    ]


def skiesish_target(
    measured: Measurement | BenchmarkError,
    bare: float | None,
    goal_ratio: float = TARGET_RATIO,
    scenario: str = "throughput",
    subject: str = "skiesish",
) -> Target:
    """The verdict on skiesish >= ``goal_ratio`` x bare (0.85 here), with no error responses."""
    goal = f">= {goal_ratio}x bare"
    if isinstance(measured, BenchmarkError) or not bare:
        reason = str(measured) if isinstance(measured, BenchmarkError) else "the bare app failed"
        return Target(scenario, subject, goal, reason, Outcome.ERROR)
    share = measured.median / bare
    outcome = Outcome.MET if share >= goal_ratio and measured.errors == 0 else Outcome.MISSED
    return Target(scenario, subject, goal, f"{share:.2f}x ({measured.median:,.0f} req/s)", outcome)


def throughput(bench: Bench) -> Section:
    """Measure every server's probe throughput and compare it with the bare app's."""
    settings = bench.settings
    section = Section(
        name="throughput",
        title="1. throughput: cached health probe, requests/s",
        description=(
            f"Each server answers GET on its health path under `{bench.load.description}` for "
            f"{settings.runs} runs x {settings.duration:g} s after a {settings.warmup:g} s warm-up; the "
            "median run is reported. The bare WSGI function returns the success envelope with fixed "
            "headers: no framework can beat it, so it is the upper limit."
        ),
        headers=HEADERS,
    )
    results = measure_each("throughput", APPS, measure, bench)
    bare_result = results["apps.bare"]
    bare = bare_result.median if isinstance(bare_result, Measurement) else None
    section.rows += table_rows(APPS, results, lambda app, result: row(app, result, bare), len(HEADERS))
    section.targets.append(skiesish_target(results["apps.skiesish_throughput"], bare))
    section.targets.append(
        skiesish_target(
            results["apps.skiesish_listeners"], bare, subject="skiesish, history and OpenTelemetry on"
        )
    )
    section.notes.append(
        "errors counts non-2xx answers and socket errors over all runs; a server with errors is "
        "not answering its probes correctly, whatever its speed."
    )
    return section
