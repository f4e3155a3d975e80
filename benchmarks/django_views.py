"""Cached probe throughput of skiesish's Django view, against a bare Django view and django-health-check's.

Run with the project's virtualenv: ``.venv/bin/python benchmarks/django_views.py [--quick]
[--threads N] [--runs N] [--duration S] [--no-install]``. Progress goes to stderr; the report
(Markdown, ready for docs/performance.md) goes to stdout.

The servers are Django projects with the same settings (``apps/django_common.py``), each
under waitress with the same threads, served at once and loaded by wrk in turn, run after run
(so that a change in the machine's load weighs on each alike), as ``run.py``'s throughput
scenario loads them:

- a bare Django view answering skiesish's success envelope with the same headers (the limit);
- skiesish's ``HealthView`` for ``/readyz`` running the cache check, cached, routed as the bare
  view is (the target's subject), and the same through ``include("skiesish.integrations.django.urls")``;
- django-health-check's ``HealthCheckView`` running its cache check, in the peers' virtualenv
  (it caches nothing: each request runs the check), asked for JSON.

django-health-check and Django are added to ``benchmarks/.venv-peers`` on first use.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.bench import Bench, table_rows
from harness.client import fetch
from harness.environment import Machine, describe_machine, ensure_peers_venv
from harness.errors import BenchmarkError
from harness.load import LoadResult
from harness.report import Outcome, Section, Target, markdown_table, render_section, render_targets
from harness.server import App, Servers
from harness.settings import BENCHMARKS_DIR, PEERS_VENV, Settings
from harness.throughput import HEADERS, Measurement, row
from run import prepare_load, progress, versions_line

TARGET_RATIO = 0.9
BARE = App("bare Django view (upper limit)", "apps.django_bare", "main", "/health/readyz")
SKIESISH = App(
    "skiesish `HealthView`, routed as the bare view", "apps.django_skiesish", "main", "/health/readyz"
)
INCLUDED = App(
    "skiesish `HealthView` through `include(...urls)`",
    "apps.django_skiesish_include",
    "main",
    "/health/readyz",
)
PEER = App("django-health-check `HealthCheckView` (JSON)", "apps.django_health_check", "peers", "/health/")
APPS = (BARE, SKIESISH, INCLUDED, PEER)
PEER_REQUIREMENTS = ("django-health-check", "Django")
MAIN_DISTRIBUTIONS = ("skiesish", "Django", "waitress", "pydantic")
PEER_DISTRIBUTIONS = ("django-health-check", "Django", "waitress")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """How long, how many threads, whether to install."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 runs x 2 s per server")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads of every server (default 4)")
    parser.add_argument("--runs", type=int, help="runs per server (default 5, quick 3)")
    parser.add_argument("--duration", type=float, help="seconds per run (default 10, quick 2)")
    parser.add_argument(
        "--no-install", action="store_true", help="never pip install the peers nor apt install wrk"
    )
    arguments = parser.parse_args(argv)
    if arguments.threads < 1 or (arguments.runs is not None and arguments.runs < 1):
        parser.error("--threads and --runs must be at least 1")
    return arguments


def ensure_django_peers(install: bool) -> Path:
    """The peers' interpreter, with django-health-check and Django installed into it if need be.

    Raises:
        BenchmarkError: the virtualenv could not be made, or pip failed.
    """
    python = ensure_peers_venv(install)
    probe = [str(python), "-c", "import django, health_check.views"]
    if subprocess.run(probe, capture_output=True, timeout=60, check=False).returncode == 0:
        return python
    if not install:
        raise BenchmarkError(
            f"django-health-check is not installed in {PEERS_VENV} and --no-install was given"
        )
    progress(f"[setup] pip install {' '.join(PEER_REQUIREMENTS)} into {PEERS_VENV}")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *PEER_REQUIREMENTS]
    installed = subprocess.run(pip, capture_output=True, text=True, timeout=900, check=False)
    if installed.returncode != 0:
        raise BenchmarkError(
            f"pip install of {' '.join(PEER_REQUIREMENTS)} failed: {installed.stderr[-300:]}"
        )
    return python


def measure_interleaved(bench: Bench, apps: tuple[App, ...]) -> dict[str, Measurement | BenchmarkError]:
    """Serve every app at once and load them in turn, run after run, so that a change in the machine's
    load during the run weighs on each alike; a server that fails is kept as its error."""
    settings = bench.settings
    results: dict[str, Measurement | BenchmarkError] = {}
    with contextlib.ExitStack() as stack:
        urls, answers, runs = {}, {}, {}
        for app in apps:
            try:
                url = stack.enter_context(bench.servers.running(app))
                first = fetch(url, timeout=10)
                answers[app.module] = f"{first.status_line}, {len(first.body)} B"
                if first.status != 200:
                    raise BenchmarkError(f"the first answer was {answers[app.module]}: {first.body[:120]!r}")
                bench.load.run(url, settings.warmup)
            except BenchmarkError as error:
                results[app.module] = error
                continue
            urls[app.module], runs[app.module] = url, []
        for number in range(1, settings.runs + 1):
            for app in apps:
                if app.module not in urls:
                    continue
                progress(f"  [django] run {number}/{settings.runs}: {app.label}")
                try:
                    result: LoadResult = bench.load.run(urls[app.module], settings.duration)
                except BenchmarkError as error:
                    results[app.module] = error
                    del urls[app.module]
                    continue
                runs[app.module].append(result)
    for module, measured in runs.items():
        results.setdefault(module, Measurement(measured, answers[module]))
    return results


def targets(results: dict[str, Measurement | BenchmarkError]) -> list[Target]:
    """skiesish at least 0.9x the bare view, and ahead of django-health-check."""
    bare, ours, peer = (results[app.module] for app in (BARE, SKIESISH, PEER))
    if not isinstance(ours, Measurement):
        return [Target("django", "skiesish", f">= {TARGET_RATIO}x bare", str(ours), Outcome.ERROR)]
    found = []
    if isinstance(bare, Measurement):
        share = ours.median / bare.median
        met = share >= TARGET_RATIO and ours.errors == 0
        found.append(
            Target(
                "django",
                "skiesish",
                f">= {TARGET_RATIO}x bare Django view",
                f"{share:.2f}x ({ours.median:,.0f} against {bare.median:,.0f} req/s)",
                Outcome.MET if met else Outcome.MISSED,
            )
        )
    if isinstance(peer, Measurement):
        ahead = ours.median / peer.median
        found.append(
            Target(
                "django",
                "skiesish",
                "ahead of django-health-check",
                f"{ahead:.2f}x ({ours.median:,.0f} against {peer.median:,.0f} req/s)",
                Outcome.MET if ahead > 1 else Outcome.MISSED,
            )
        )
    return found


#: Times one app's WSGI callable in its own interpreter, without a server: Django's whole request
#: handling (middleware, URL resolution, the view, the response), one thread. Standard library only.
_IN_PROCESS_SCRIPT = """
import importlib, io, sys, time
module, path, calls, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
application = importlib.import_module(module).application
def environ():
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False}
def start_response(status, headers):
    if not status.startswith("200"):
        raise SystemExit("answered " + status)
def call_many(count):
    for _ in range(count):
        answer = application(environ(), start_response)
        b"".join(answer)
        answer.close()
call_many(calls // 2)
times = []
for _ in range(repeat):
    started = time.perf_counter()
    call_many(calls)
    times.append((time.perf_counter() - started) / calls * 1e6)
print(min(times))
"""


def in_process_cost(python: Path, app: App, calls: int, repeat: int) -> float:
    """Microseconds per request of ``app``'s WSGI callable, no server (the least of ``repeat`` x ``calls``).

    Raises:
        BenchmarkError: the app could not be loaded or did not answer 200.
    """
    command = [str(python), "-c", _IN_PROCESS_SCRIPT, app.module, app.path, str(calls), str(repeat)]
    finished = subprocess.run(
        command, cwd=BENCHMARKS_DIR, capture_output=True, text=True, timeout=300, check=False
    )
    if finished.returncode != 0:
        raise BenchmarkError(f"timing {app.module} failed: {finished.stderr.strip()[-300:]}")
    return float(finished.stdout)


def cost_section(pythons: dict[str, Path], unavailable: dict[str, str], quick: bool) -> Section:
    """Each app's cost per request in process, one thread, no server: the part the view decides.

    The apps are timed in turn, round after round, and each one's least time is kept: other work
    on the machine only ever adds to a time, so the least is the closest to the code's own cost.
    """
    calls, repeat, rounds = (2_000, 2, 2) if quick else (5_000, 3, 5)
    costs: dict[str, float | BenchmarkError] = {}
    for number in range(1, rounds + 1):
        for app in APPS:
            if isinstance(costs.get(app.module), BenchmarkError):
                continue
            progress(f"[django] in process, round {number}/{rounds}: {app.label}")
            try:
                if app.venv in unavailable:
                    raise BenchmarkError(f"{app.venv} virtualenv unavailable: {unavailable[app.venv]}")
                cost = in_process_cost(pythons[app.venv], app, calls, repeat)
            except BenchmarkError as error:
                costs[app.module] = error
                continue
            known = costs.get(app.module)
            costs[app.module] = cost if not isinstance(known, float) else min(known, cost)
    bare = costs[BARE.module]
    rows = []
    for app in APPS:
        found = costs[app.module]
        if isinstance(found, BenchmarkError):
            rows.append([app.label, f"error: {found}", "", ""])
            continue
        added = f"{found - bare:+.1f} µs" if isinstance(bare, float) and app is not BARE else ""
        share = f"{bare / found:.2f}x" if isinstance(bare, float) else "n/a"
        rows.append([app.label, f"{found:.1f} µs", added, share])
    return Section(
        name="django_in_process",
        title="Cost per request in process, no server",
        description=(
            f"Each app's WSGI callable called directly, one thread, {calls:,} calls after {calls // 2:,} "
            f"to warm up, {repeat} times per process, in {rounds} rounds taking the apps in turn; the "
            "least time is kept. It is Django's whole request handling (middleware, URL resolution, "
            "view, response) without waitress or the network, which add the same to every row above."
        ),
        headers=["server", "per request", "added to the bare view", "bare / this"],
        rows=rows,
    )


def header(machine: Machine, bench: Bench, argv: list[str], versions: dict[str, str]) -> str:
    """When, where, with what and how."""
    settings = bench.settings
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join(["python", "benchmarks/django_views.py", *argv])
    rows = [
        ["CPU", f"{machine.cpu}, {machine.cores} cores"],
        ["Python", machine.python],
        ["load average at start (1 / 5 / 15 min)", machine.load_average],
        ["server", f"waitress, {settings.threads} threads each, on 127.0.0.1, loaded one at a time in turn"],
        ["load", bench.load.description],
        [
            "runs",
            f"{settings.runs} x {settings.duration:g} s per server after a {settings.warmup:g} s warm-up",
        ],
        ["skiesish", machine.skiesish_source],
        *[[name, line] for name, line in versions.items()],
    ]
    return "\n\n".join(
        [
            "## Django: cached probe throughput",
            f"Measured on {now} with `{command}`.",
            markdown_table(["", "value"], rows),
        ]
    )


def main(argv: list[str]) -> int:
    """Prepare, measure the servers, print the report."""
    arguments = parse_arguments(argv)
    started = time.monotonic()
    settings = Settings.choose(arguments.quick, arguments.threads, arguments.runs, arguments.duration)
    install = not arguments.no_install
    progress("[setup] peers virtualenv (benchmarks/.venv-peers)")
    try:
        peers, peers_problem = ensure_django_peers(install), None
    except BenchmarkError as error:
        peers, peers_problem = None, str(error)
    load = prepare_load(settings, install)
    machine = describe_machine()
    versions = {
        "project venv": versions_line(Path(sys.executable), MAIN_DISTRIBUTIONS, None),
        "peers venv": versions_line(peers, PEER_DISTRIBUTIONS, peers_problem),
    }
    with tempfile.TemporaryDirectory(prefix="skiesish-bench-django-") as workdir:
        pythons = {"main": Path(sys.executable)} | ({"peers": peers} if peers else {})
        unavailable = {"peers": peers_problem} if peers_problem else {}
        bench = Bench(settings, Servers(pythons, unavailable, settings.threads, Path(workdir)), load)
        results = measure_interleaved(bench, APPS)
    costs = cost_section(pythons, unavailable, settings.quick)
    bare = results[BARE.module]
    section = Section(
        name="django",
        title="Cached probe throughput, requests/s",
        description=(
            f"Each server answers GET on its probe under `{load.description}` for {settings.runs} runs x "
            f"{settings.duration:g} s after a {settings.warmup:g} s warm-up; the median run is reported. "
            "All are served at once and loaded in turn, run after run, so that a change in the "
            "machine's load weighs on each alike. "
            "All are Django projects with the same settings and middleware (SecurityMiddleware, "
            "CommonMiddleware); the bare view returns skiesish's success envelope with the same headers, "
            "at the same route as the first skiesish row."
        ),
        headers=HEADERS,
        rows=table_rows(
            APPS,
            results,
            lambda app, result: row(app, result, bare.median if isinstance(bare, Measurement) else None),
            len(HEADERS),
        ),
        notes=[
            "django-health-check caches nothing: each of its requests runs its cache check (set, get).",
            "errors counts non-2xx answers and socket errors over all runs.",
        ],
        targets=targets(results),
    )
    report = [
        header(machine, bench, argv, versions),
        render_section(section),
        render_section(costs),
        render_targets([section]),
    ]
    report.append(f"_Whole run: {time.monotonic() - started:.0f} s._")
    print("\n\n".join(part for part in report if part))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
