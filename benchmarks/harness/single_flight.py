"""Scenario ``single_flight``: how many check runs a burst of probes causes once the cache expired."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from pathlib import Path

from .bench import Bench, measure_each, table_rows
from .client import Answer, burst, fetch
from .errors import BenchmarkError
from .report import Outcome, Section, Target
from .server import App

__all__ = ["APPS", "TTL_SECONDS", "single_flight"]

TTL_SECONDS = 1.0
COUNTER_FILE_ENV = "BENCH_COUNTER_FILE"

APPS = (
    App("skiesish HealthCheck", "apps.skiesish_single_flight", "main"),
    App("py-healthcheck on Flask", "apps.pyhealthcheck_single_flight", "peers", "/healthcheck"),
)

HEADERS = ["server", "check runs caused by the burst", "burst wall time", "answers"]


@dataclasses.dataclass(frozen=True)
class Burst:
    """The check runs a burst caused and what it answered."""

    runs: int
    seconds: float
    outcomes: list[Answer | BenchmarkError]

    def summary(self) -> str:
        """``"200 OK x32"`` and the like."""
        labels = Counter(
            outcome.status_line if isinstance(outcome, Answer) else f"error ({outcome})"
            for outcome in self.outcomes
        )
        return ", ".join(f"{label} x{count}" for label, count in labels.items())


def count_runs(counter: Path) -> int:
    """How many runs the counted check has recorded."""
    return len(counter.read_text(encoding="ascii").splitlines()) if counter.exists() else 0


def measure(bench: Bench, app: App) -> Burst:
    """Warm the cache, let it expire, fire the burst and count the runs it caused."""
    counter = bench.servers.workdir / f"{app.module}.count"
    counter.write_text("", encoding="ascii")
    with bench.servers.running(app, {COUNTER_FILE_ENV: str(counter)}) as url:
        fetch(url, timeout=10)
        time.sleep(TTL_SECONDS + 0.2)
        before = count_runs(counter)
        started = time.perf_counter()
        outcomes = burst(url, bench.settings.burst, timeout=15)
        seconds = time.perf_counter() - started
        time.sleep(0.1)
        return Burst(count_runs(counter) - before, seconds, outcomes)


def skiesish_target(measured: Burst | BenchmarkError) -> Target:
    """The verdict on exactly one run, every answer a 200."""
    goal = "exactly 1 run, 200"
    if isinstance(measured, BenchmarkError):
        return Target("single_flight", "skiesish", goal, str(measured), Outcome.ERROR)
    answered = all(isinstance(outcome, Answer) and outcome.status == 200 for outcome in measured.outcomes)
    outcome = Outcome.MET if measured.runs == 1 and answered else Outcome.MISSED
    return Target("single_flight", "skiesish", goal, f"{measured.runs} run(s), {measured.summary()}", outcome)


def concurrency_note(threads: int, burst_size: int) -> str:
    """How many runs a cache without single-flight can cause here, given waitress's thread count."""
    note = (
        f"waitress runs at most {threads} requests at once (`--threads {threads}`), so a cache without "
        f"single-flight runs the check up to {min(threads, burst_size)} times in this burst"
    )
    if threads < burst_size:
        note += f"; with `--threads {burst_size}` it can run it {burst_size} times"
    return note + "."


def single_flight(bench: Bench) -> Section:
    """Count the runs of a 200 ms check caused by simultaneous probes after its cached result expired."""
    settings = bench.settings
    section = Section(
        name="single_flight",
        title="3. single_flight: check runs caused by a burst after the cache expired",
        description=(
            f"One check takes 200 ms and records each run; results are cached for {TTL_SECONDS:g} s. One "
            f"request fills the cache, then after {TTL_SECONDS + 0.2:g} s {settings.burst} requests are "
            "sent at once (threads behind a barrier, connections opened beforehand) and the runs they "
            "caused are counted. With single-flight, the whole burst shares one run."
        ),
        headers=HEADERS,
        notes=[concurrency_note(settings.threads, settings.burst)],
    )
    results = measure_each("single_flight", APPS, measure, bench)
    section.rows += table_rows(
        APPS,
        results,
        lambda app, burst: [app.label, str(burst.runs), f"{burst.seconds * 1000:.0f} ms", burst.summary()],
        len(HEADERS),
    )
    section.targets.append(skiesish_target(results["apps.skiesish_single_flight"]))
    return section
