"""Scenario ``deadline``: how fast a probe answers when one check hangs, and what it says about each check."""

from __future__ import annotations

from typing import Any

from .bench import Bench, measure_each, table_rows
from .client import Answer, fetch
from .errors import BenchmarkError
from .report import Outcome, Section, Target
from .server import App

__all__ = ["APPS", "TARGET_SECONDS", "check_statuses", "deadline"]

TARGET_SECONDS = 1.1
HUNG, HEALTHY = "hung", "healthy"
SIGNAL_ERROR = "signal only works in main thread"

APPS = (
    App("skiesish HealthCheck", "apps.skiesish_deadline", "main"),
    App("py-healthcheck on Flask", "apps.pyhealthcheck_deadline", "peers", "/healthcheck"),
)

HEADERS = ["server", "answer time", "status", f"`{HUNG}` check", f"`{HEALTHY}` check"]


def _describe(status: str, output: Any) -> str:
    return f"{status} ({str(output)[:70]})" if output else status


def check_statuses(body: Any) -> dict[str, str]:
    """Each check's ``pass``/``fail`` (and its output) from a skiesish or py-healthcheck body.

    skiesish with details: ``data["checks"][name]["status"]``; py-healthcheck:
    ``results[i]`` with ``checker`` and ``passed``. Anything else yields ``{}``.
    """
    if not isinstance(body, dict):
        return {}
    data = body.get("data")
    checks = data.get("checks") if isinstance(data, dict) else None
    if isinstance(checks, dict):
        return {
            str(name): _describe(str(check.get("status")), check.get("output"))
            for name, check in checks.items()
            if isinstance(check, dict)
        }
    results = body.get("results")
    if isinstance(results, list):
        return {
            str(result.get("checker")): _describe(
                "pass" if result.get("passed") else "fail", result.get("output")
            )
            for result in results
            if isinstance(result, dict)
        }
    return {}


def measure(bench: Bench, app: App) -> Answer:
    """Start ``app`` and time one request (the hung check sleeps 10 s; the client waits up to 15 s)."""
    with bench.servers.running(app) as url:
        return fetch(url, timeout=15)


def row(app: App, answer: Answer) -> list[str]:
    """One table row for a measured server."""
    statuses = check_statuses(answer.json())
    unreported = "not reported" if statuses else "not reported (no per-check details in the body)"
    return [
        app.label,
        f"{answer.seconds:.2f} s",
        answer.status_line,
        statuses.get(HUNG, unreported),
        statuses.get(HEALTHY, unreported),
    ]


def skiesish_target(measured: Answer | BenchmarkError) -> Target:
    """The verdict on an answer within 1.1 s that fails the hung check and passes the healthy one."""
    goal = f"<= {TARGET_SECONDS} s; {HUNG} fail, {HEALTHY} pass"
    if isinstance(measured, BenchmarkError):
        return Target("deadline", "skiesish", goal, str(measured), Outcome.ERROR)
    statuses = check_statuses(measured.json())
    hung, healthy = statuses.get(HUNG, "?").split(" ")[0], statuses.get(HEALTHY, "?").split(" ")[0]
    passed = measured.seconds <= TARGET_SECONDS and hung == "fail" and healthy == "pass"
    summary = f"{measured.seconds:.2f} s, {measured.status}; {HUNG} {hung}, {HEALTHY} {healthy}"
    return Target("deadline", "skiesish", goal, summary, Outcome.MET if passed else Outcome.MISSED)


def deadline(bench: Bench) -> Section:
    """Time one probe with a 10 s hung check and a 1 s deadline, and read each check's verdict."""
    section = Section(
        name="deadline",
        title="4. deadline: one check hung for 10 s, deadline 1 s",
        description=(
            f"One check sleeps 10 s, another passes at once; the deadline is 1 s and caching is off. One "
            f"request is timed (the client gives up after 15 s) and the per-check verdicts are read from "
            f"the body. The answer should come by {TARGET_SECONDS} s with `{HUNG}` failed and "
            f"`{HEALTHY}` passed."
        ),
        headers=HEADERS,
    )
    results = measure_each("deadline", APPS, measure, bench)
    section.rows += table_rows(APPS, results, row, len(HEADERS))
    section.targets.append(skiesish_target(results["apps.skiesish_deadline"]))
    section.notes += signal_notes(results)
    return section


def signal_notes(results: dict[str, Answer | BenchmarkError]) -> list[str]:
    """Explain a check failed by ``signal`` refusing to work outside the main thread, when one was."""
    labels = {app.module: app.label for app in APPS}
    return [
        f"{labels[module]}: its timeout arms `signal.alarm`, which Python refuses outside the main "
        "thread; under waitress every request runs in a worker thread, so arming it raises ValueError, "
        "which is reported as each check's failure: the healthy check fails too and the hung one never runs."
        for module, result in results.items()
        if isinstance(result, Answer) and SIGNAL_ERROR in result.body.decode(errors="replace")
    ]
