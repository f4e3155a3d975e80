"""Scenario ``parallel``: how long one uncached probe takes when five checks each take 100 ms."""

from __future__ import annotations

import statistics
from collections import Counter

from .bench import Bench, measure_each, ratio, table_rows
from .client import Answer, fetch
from .errors import BenchmarkError
from .report import Outcome, Section, Target
from .server import App

__all__ = ["APPS", "CHECK_SECONDS", "TARGET_RATIO", "parallel"]

CHECK_SECONDS = 0.1
TARGET_RATIO = 1.2

APPS = (
    App("skiesish HealthCheck", "apps.skiesish_parallel", "main"),
    App("py-healthcheck on Flask", "apps.pyhealthcheck_parallel", "peers", "/healthcheck"),
)

HEADERS = ["server", "answer time (median)", "min - max", "vs slowest check (100 ms)", "answers"]


def timed_answers(bench: Bench, app: App) -> list[Answer]:
    """Start ``app``, send one request to warm it, then time the sequential requests."""
    with bench.servers.running(app) as url:
        fetch(url, timeout=10)
        return [fetch(url, timeout=10) for _ in range(bench.settings.sequential_requests)]


def row(app: App, answers: list[Answer]) -> list[str]:
    """One table row for a measured server."""
    milliseconds = [answer.seconds * 1000 for answer in answers]
    median = statistics.median(milliseconds)
    statuses = Counter(answer.status_line for answer in answers)
    return [
        app.label,
        f"{median:.0f} ms",
        f"{min(milliseconds):.0f} - {max(milliseconds):.0f} ms",
        ratio(median, CHECK_SECONDS * 1000),
        ", ".join(f"{status} x{count}" for status, count in statuses.items()),
    ]


def skiesish_target(measured: list[Answer] | BenchmarkError) -> Target:
    """The verdict on skiesish <= 1.2x the slowest check, every answer a 200."""
    goal = f"<= {TARGET_RATIO}x the slowest check, 200"
    if isinstance(measured, BenchmarkError):
        return Target("parallel", "skiesish", goal, str(measured), Outcome.ERROR)
    share = statistics.median(answer.seconds for answer in measured) / CHECK_SECONDS
    passed = share <= TARGET_RATIO and all(answer.status == 200 for answer in measured)
    outcome = Outcome.MET if passed else Outcome.MISSED
    return Target("parallel", "skiesish", goal, f"{share:.2f}x", outcome)


def parallel(bench: Bench) -> Section:
    """Time single probes of five 100 ms checks with caching off."""
    section = Section(
        name="parallel",
        title="2. parallel: five 100 ms checks, caching off, time of one probe",
        description=(
            f"Five checks each sleep {CHECK_SECONDS * 1000:.0f} ms and caching is off, so every request "
            f"runs all five. After one warm-up request, {bench.settings.sequential_requests} sequential "
            "requests are timed (connection included); the median is reported. Checks run one after the "
            "other take about 5x; run concurrently, about 1x."
        ),
        headers=HEADERS,
    )
    results = measure_each("parallel", APPS, timed_answers, bench)
    section.rows += table_rows(APPS, results, row, len(HEADERS))
    section.targets.append(skiesish_target(results["apps.skiesish_parallel"]))
    return section
