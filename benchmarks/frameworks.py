"""Cached-probe throughput of skiesish on uvicorn, Flask and Tornado, each against its framework's bare app.

    .venv/bin/python benchmarks/frameworks.py [--quick] [--only asgi|flask|tornado]
        [--runs N] [--duration S] [--threads N] [--no-install] > /tmp/frameworks.md

Three groups, each measured in one go with its own upper limit:

- ``asgi``: uvicorn (one worker, the same options for each): a bare ASGI app
  sending skiesish's success envelope and headers, byte for byte, against
  ``skiesish.contexts.asgi`` on ``HealthCheck`` with ``memory_backend``;
- ``flask``: Flask under waitress (``--threads`` each): a bare route returning
  a py-healthcheck body made once, against ``skiesish.integrations.flask.HealthCheck``
  and py-healthcheck's own ``HealthCheck`` (from ``benchmarks/.venv-peers``), one
  passing check each, routed the same way;
- ``tornado``: one Tornado process: a bare handler writing that body, against
  skiesish's ``TornadoHandler`` with its ``HealthCheck`` and py-healthcheck's own
  ``TornadoHandler`` with its ``HealthCheck``.

All servers of a group run at once and are loaded in turn (``wrk -t2 -c16``),
one run each per round, the order rotating each round, so that a change in
the machine's load hits every server of the group alike; the median run is
reported. Target: skiesish >= 0.95x the bare app of its framework.
Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.metadata
import os
import statistics
import sys
import tempfile
from pathlib import Path

from harness.bench import Bench, ratio, table_rows
from harness.client import Answer, fetch
from harness.environment import ensure_peers_venv
from harness.errors import BenchmarkError
from harness.load import LoadResult
from harness.preamble import Preamble
from harness.report import Section, render_section, render_targets
from harness.server import App, Served, Servers
from harness.settings import Settings
from harness.throughput import HEADERS, Measurement, row, skiesish_target
from run import prepare_load, progress, versions_line

TARGET_RATIO = 0.95
MAIN_DISTRIBUTIONS = ("skiesish", "uvicorn", "h11", "tornado", "Flask", "Werkzeug", "waitress", "pydantic")
PEER_DISTRIBUTIONS = ("py-healthcheck", "tornado", "Flask", "Werkzeug", "waitress")
#: Headers every server adds on its own; the report lists the others.
SERVER_HEADERS = {"date", "server"}


@dataclasses.dataclass(frozen=True)
class Group:
    """One framework: its bare app (first), skiesish's, and perhaps a peer's."""

    name: str
    title: str
    description: str
    apps: tuple[App, ...]
    skiesish: str

    @property
    def bare(self) -> str:
        """The module of the group's upper limit."""
        return self.apps[0].module


GROUPS = (
    Group(
        "asgi",
        "ASGI under uvicorn",
        "uvicorn, one worker, default loop and HTTP parser, lifespan off, no access log. The bare app "
        "sends skiesish's success envelope with its three headers, byte for byte.",
        (
            App("bare ASGI app (upper limit)", "apps.bare_asgi", "main", server="uvicorn"),
            App("skiesish `contexts.asgi` HealthCheck", "apps.skiesish_asgi", "main", server="uvicorn"),
        ),
        "apps.skiesish_asgi",
    ),
    Group(
        "flask",
        "Flask under waitress",
        "Flask under waitress, the same threads for each. The bare route returns a py-healthcheck "
        "body made once, with the integrations' `Content-Type`; the two HealthChecks have one passing "
        "check and default TTLs, and are routed alike: "
        '`app.add_url_rule("/healthcheck", view_func=health.run)`.',
        (
            App("bare Flask route (upper limit)", "apps.bare_flask", "main", "/healthcheck"),
            App("skiesish `integrations.flask.HealthCheck`", "apps.skiesish_flask", "main", "/healthcheck"),
            App("py-healthcheck `HealthCheck`", "apps.pyhealthcheck_throughput", "peers", "/healthcheck"),
        ),
        "apps.skiesish_flask",
    ),
    Group(
        "tornado",
        "Tornado",
        "Tornado, a single process on asyncio's loop. The bare handler writes the same body made once, "
        "with no ETag. py-healthcheck ships `healthcheck.TornadoHandler`, which runs its checker on "
        "the event loop; skiesish's answers on the loop while its cached results are fresh and runs "
        "the checker on the loop's executor otherwise.",
        (
            App("bare Tornado handler (upper limit)", "apps.bare_tornado", "main", "/healthcheck", "tornado"),
            App(
                "skiesish `TornadoHandler` + HealthCheck",
                "apps.skiesish_tornado",
                "main",
                "/healthcheck",
                "tornado",
            ),
            App(
                "py-healthcheck `TornadoHandler` + HealthCheck",
                "apps.pyhealthcheck_tornado",
                "peers",
                "/healthcheck",
                "tornado",
            ),
        ),
        "apps.skiesish_tornado",
    ),
)


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Which groups, how long, how many threads, whether to install."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 runs x 2 s per server (about 2 minutes)")
    names = [group.name for group in GROUPS]
    parser.add_argument("--only", action="append", choices=names, help="run one group (repeatable)")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads / executor threads (4)")
    parser.add_argument("--runs", type=int, help="runs per server (default 5, quick 3)")
    parser.add_argument("--duration", type=float, help="seconds per run (default 10, quick 2)")
    parser.add_argument("--no-install", action="store_true", help="never pip install nor apt install")
    arguments = parser.parse_args(argv)
    if arguments.threads < 1 or (arguments.runs is not None and arguments.runs < 1):
        parser.error("--threads and --runs must be at least 1")
    return arguments


def describe(answer: Answer) -> tuple[str, str]:
    """``"200 OK, 84 B"`` and the headers beyond Date and Server, as the report shows them."""
    headers = ", ".join(
        f"{name}: {value}" if name.lower() == "content-type" else name
        for name, value in answer.headers.items()
        if name.lower() not in SERVER_HEADERS
    )
    return f"{answer.status_line}, {len(answer.body)} B", headers


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process (all its threads) has used, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass
class GroupResult:
    """What a group's servers did: requests/s, server CPU per request (µs, per run), and notes."""

    results: dict[str, Measurement | BenchmarkError] = dataclasses.field(default_factory=dict)
    cpu: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def cpu_median(self, module: str) -> float | None:
        """The median server CPU per request of one app, if it was measured."""
        return statistics.median(self.cpu[module]) if self.cpu.get(module) else None


def load_once(bench: Bench, served: Served) -> tuple[LoadResult, float]:
    """One load run, and the server's CPU time per answered request during it (µs)."""
    before = cpu_seconds(served.pid)
    result = bench.load.run(served.url, bench.settings.duration)
    return result, (cpu_seconds(served.pid) - before) / result.requests * 1e6


def measure_group(bench: Bench, group: Group) -> GroupResult:
    """Start the group's servers, check and warm each, then load them in turn, round after round."""
    settings = bench.settings
    measured = GroupResult()
    served: dict[str, Served] = {}
    answers: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        for app in group.apps:
            progress(f"[{group.name}] start, check and warm up: {app.label}")
            try:
                server = stack.enter_context(bench.servers.serving(app))
                first = fetch(server.url, timeout=10)
                answers[app.module], headers = describe(first)
                if first.status != 200:
                    raise BenchmarkError(f"the first answer was {answers[app.module]}: {first.body[:120]!r}")
                bench.load.run(server.url, settings.warmup)
            except BenchmarkError as error:
                measured.results[app.module] = error
                continue
            served[app.module] = server
            measured.notes.append(f"{app.label} answers {answers[app.module]} with {headers}.")
        runs: dict[str, list[LoadResult]] = {module: [] for module in served}
        for number in range(settings.runs):
            shift = number % len(group.apps)
            for app in group.apps[shift:] + group.apps[:shift]:
                if app.module not in served or app.module in measured.results:
                    continue
                progress(f"  [{group.name}] round {number + 1}/{settings.runs}: {app.label}")
                try:
                    result, cpu = load_once(bench, served[app.module])
                except BenchmarkError as error:
                    measured.results[app.module] = error
                    continue
                runs[app.module].append(result)
                measured.cpu.setdefault(app.module, []).append(cpu)
    for module, done in runs.items():
        measured.results.setdefault(module, Measurement(done, answers[module]))
    return measured


def measure_median(result: Measurement | BenchmarkError) -> float | None:
    """The median requests/s, or ``None`` for a failed server."""
    return result.median if isinstance(result, Measurement) else None


def group_section(bench: Bench, group: Group) -> Section:
    """Measure one group and report it against its bare app."""
    settings = bench.settings
    measured = measure_group(bench, group)
    results = measured.results
    bare = measure_median(results[group.bare])
    bare_cpu = measured.cpu_median(group.bare)
    section = Section(
        name=group.name,
        title=f"{group.name}: {group.title}, cached probe requests/s",
        description=(
            f"{group.description} {settings.runs} runs x {settings.duration:g} s per server after a "
            f"{settings.warmup:g} s warm-up, interleaved; median run. The server's CPU time per "
            "request (user + system, all threads, from `/proc/PID/stat`) is the median over its runs: "
            "it depends less than requests/s on what else the machine runs."
        ),
        headers=[*HEADERS, "server CPU per request", "CPU vs bare"],
    )

    def cells(app: App, result: Measurement) -> list[str]:
        cpu = measured.cpu_median(app.module)
        spent = [f"{cpu:.0f} µs", ratio(cpu, bare_cpu)] if cpu else ["n/a", "n/a"]
        return [*row(app, result, bare), *spent]

    section.rows += table_rows(group.apps, results, cells, len(section.headers))
    skiesish = measure_median(results[group.skiesish])
    skiesish_cpu = measured.cpu_median(group.skiesish)
    for app in group.apps:
        peer, peer_cpu = measure_median(results[app.module]), measured.cpu_median(app.module)
        if app.venv == "peers" and skiesish and peer:
            cpu_ratio = ratio(skiesish_cpu, peer_cpu) if skiesish_cpu else "n/a"
            measured.notes.append(
                f"skiesish / {app.label}: {ratio(skiesish, peer)} in requests/s, "
                f"{cpu_ratio} in CPU per request."
            )
    if skiesish_cpu and bare_cpu:
        measured.notes.append(
            f"skiesish's CPU per request is {ratio(skiesish_cpu, bare_cpu)} the bare app's "
            f"({skiesish_cpu - bare_cpu:+.0f} µs): a server bound by CPU would reach about "
            f"{bare_cpu / skiesish_cpu:.2f}x its requests/s."
        )
    section.notes += measured.notes
    section.targets.append(skiesish_target(results[group.skiesish], bare, TARGET_RATIO, scenario=group.name))
    return section


def main(argv: list[str]) -> int:
    """Prepare, measure the chosen groups, print the report."""
    arguments = parse_arguments(argv)
    preamble = Preamble("benchmarks/frameworks.py", argv)
    settings = Settings.choose(arguments.quick, arguments.threads, arguments.runs, arguments.duration)
    install = not arguments.no_install
    progress("[setup] peers virtualenv (benchmarks/.venv-peers), with the project's Tornado")
    tornado = f"tornado=={importlib.metadata.version('tornado')}"
    try:
        peers, peers_problem = ensure_peers_venv(install, {tornado: "tornado"}), None
    except BenchmarkError as error:
        peers, peers_problem = None, str(error)
    load = prepare_load(settings, install)
    groups = [group for group in GROUPS if not arguments.only or group.name in arguments.only]
    with tempfile.TemporaryDirectory(prefix="skiesish-frameworks-") as workdir:
        pythons = {"main": Path(sys.executable)} | ({"peers": peers} if peers else {})
        unavailable = {"peers": peers_problem} if peers_problem else {}
        bench = Bench(settings, Servers(pythons, unavailable, settings.threads, Path(workdir)), load)
        sections = [group_section(bench, group) for group in groups]
    header = preamble.header(
        "Framework integrations: cached probe throughput",
        [
            ["load", bench.load.description],
            ["threads", f"{settings.threads} (waitress; the loop's executor under uvicorn and Tornado)"],
            ["runs", f"{settings.runs} x {settings.duration:g} s per server, interleaved (median)"],
            ["project venv", versions_line(Path(sys.executable), MAIN_DISTRIBUTIONS, None)],
            ["peers venv", versions_line(peers, PEER_DISTRIBUTIONS, peers_problem)],
        ],
    )
    report = [header, *map(render_section, sections), render_targets(sections), preamble.footer()]
    print("\n\n".join(part for part in report if part))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
