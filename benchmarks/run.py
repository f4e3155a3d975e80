"""Measure skiesish's HealthCheck side by side with its peers and print a Markdown report.

Run with the project's virtualenv: ``.venv/bin/python benchmarks/run.py [--quick]
[--only NAME] [--threads N]``. Progress goes to stderr; the report (Markdown,
ready for docs/performance.md) goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness.bench import Bench
from harness.deadline import deadline
from harness.environment import (
    MAIN_DISTRIBUTIONS,
    PEER_DISTRIBUTIONS,
    Machine,
    describe_machine,
    ensure_peers_venv,
    ensure_wrk,
    package_versions,
)
from harness.errors import BenchmarkError
from harness.load import LoadGenerator, PythonLoad, WrkLoad, wrk_version
from harness.parallel import parallel
from harness.report import Outcome, Section, Target, markdown_table, render_section, render_targets
from harness.server import Servers
from harness.settings import Settings
from harness.single_flight import single_flight
from harness.throughput import throughput

Scenario = Callable[[Bench], Section]

SCENARIOS: dict[str, Scenario] = {
    "throughput": throughput,
    "parallel": parallel,
    "single_flight": single_flight,
    "deadline": deadline,
}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command line: which scenarios, how long, how many threads, whether to install."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short durations (about 1 minute in all)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--threads", type=int, default=4, help="waitress threads of every server (default 4)")
    parser.add_argument("--runs", type=int, help="throughput runs per server (default 5, quick 3)")
    parser.add_argument("--duration", type=float, help="seconds per throughput run (default 10, quick 2)")
    parser.add_argument(
        "--no-install", action="store_true", help="never pip install peers nor apt install wrk"
    )
    arguments = parser.parse_args(argv)
    if arguments.threads < 1 or (arguments.runs is not None and arguments.runs < 1):
        parser.error("--threads and --runs must be at least 1")
    return arguments


def progress(message: str) -> None:
    """Say what is happening, on stderr, so stdout stays pure Markdown."""
    print(message, file=sys.stderr, flush=True)


def prepare_peers(install: bool) -> tuple[Path | None, str | None]:
    """The peers' interpreter, or why there is none."""
    progress("[setup] peers virtualenv (benchmarks/.venv-peers)")
    try:
        return ensure_peers_venv(install), None
    except BenchmarkError as error:
        return None, str(error)


def prepare_load(settings: Settings, install: bool) -> LoadGenerator:
    """wrk if it is (or can be) installed, else the Python fallback client."""
    progress("[setup] load generator")
    executable = ensure_wrk(install)
    if executable is None:
        return PythonLoad(settings.connections)
    return WrkLoad(executable, settings.load_threads, settings.connections, wrk_version(executable))


def versions_line(python: Path | None, distributions: tuple[str, ...], missing: str | None) -> str:
    """``name version, ...`` for one virtualenv, or why it is unavailable."""
    if python is None:
        return f"unavailable: {missing}"
    try:
        found = package_versions(python, distributions)
    except BenchmarkError as error:
        return f"unknown: {error}"
    return ", ".join(f"{name} {version}" for name, version in found.items())


def run_scenario(name: str, bench: Bench) -> Section:
    """Run one scenario; a failure of the harness itself becomes an error section, not a crash."""
    started = time.monotonic()
    try:
        section = SCENARIOS[name](bench)
    except Exception as error:  # noqa: BLE001 - one broken scenario must not lose the others' numbers
        section = Section(name, name, f"The scenario failed: {type(error).__name__}: {error}")
        section.targets.append(Target(name, "skiesish", "", str(error), Outcome.ERROR))
    progress(f"[{name}] done in {time.monotonic() - started:.0f} s")
    return section


def header(machine: Machine, bench: Bench, argv: list[str], versions: dict[str, str]) -> str:
    """The top of the report: when, where, with what, and how."""
    settings = bench.settings
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join(["python", "benchmarks/run.py", *argv])
    rows = [
        ["CPU", f"{machine.cpu}, {machine.cores} cores"],
        ["Python", machine.python],
        ["load average at start (1 / 5 / 15 min)", machine.load_average],
        ["server", f"waitress, {settings.threads} threads each, one server at a time on 127.0.0.1"],
        ["load", bench.load.description],
        [
            "runs",
            f"throughput: {settings.runs} x {settings.duration:g} s per server (median), "
            f"parallel: {settings.sequential_requests} requests, single_flight: burst of "
            f"{settings.burst}, deadline: 1 request",
        ],
        ["skiesish", machine.skiesish_source],
        *[[name, line] for name, line in versions.items()],
    ]
    return "\n\n".join(
        [
            "## Benchmark results",
            f"Measured on {now} with `{command}`.",
            markdown_table(["", "value"], rows),
        ]
    )


def main(argv: list[str]) -> int:
    """Prepare, run the chosen scenarios, print the report."""
    arguments = parse_arguments(argv)
    started = time.monotonic()
    settings = Settings.choose(arguments.quick, arguments.threads, arguments.runs, arguments.duration)
    install = not arguments.no_install
    peers, peers_problem = prepare_peers(install)
    load = prepare_load(settings, install)
    machine = describe_machine()
    versions = {
        "project venv": versions_line(Path(sys.executable), MAIN_DISTRIBUTIONS, None),
        "peers venv": versions_line(peers, PEER_DISTRIBUTIONS, peers_problem),
    }
    with tempfile.TemporaryDirectory(prefix="skiesish-bench-") as workdir:
        pythons = {"main": Path(sys.executable)} | ({"peers": peers} if peers else {})
        unavailable = {"peers": peers_problem} if peers_problem else {}
        bench = Bench(settings, Servers(pythons, unavailable, settings.threads, Path(workdir)), load)
        sections = [run_scenario(name, bench) for name in arguments.only or SCENARIOS]
    report = [
        header(machine, bench, argv, versions),
        *map(render_section, sections),
        render_targets(sections),
    ]
    report.append(f"_Whole run: {time.monotonic() - started:.0f} s._")
    print("\n\n".join(part for part in report if part))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
