"""Instructions per cached probe, counted by callgrind: a bare WSGI function, skiesish, clearskies v1.

    .venv/bin/python benchmarks/instructions.py [--quick] [--runs N] [--no-install] > /tmp/instructions.md

Each WSGI callable is called in process by ``call_app.py`` under
``valgrind --tool=callgrind``: ``apps.bare``, ``apps.skiesish_throughput``
answering from its cache and ``apps.clearskies_throughput`` (in
``benchmarks/.venv-peers``), then, on Flask, ``apps.bare_flask``,
``apps.skiesish_flask`` and ``apps.pyhealthcheck_throughput`` (the apps of
``frameworks.py``'s ``flask`` group). Each is counted twice, after the same
warm-up: once with few calls and once with many (2,000 and 12,000;
``--quick``: 1,000 and 4,000; a tenth of these on Flask, where a call costs
about 30 times more). The difference of the two totals, divided by
the difference of the calls, is the cost of one call with the interpreter's
start-up, the imports and the warm-up cancelled out. ``PYTHONHASHSEED=0``
keeps the counts repeatable. Instruction counts do not depend on the
machine's load, so the processes run two at a time. Progress goes to
stderr, the Markdown report to stdout. About 1 minute on a quiet machine (``--quick``: 40 s).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.environment import ensure_peers_venv
from harness.errors import BenchmarkError
from harness.preamble import Preamble, tool_version
from harness.report import markdown_table
from harness.server import App
from harness.settings import BENCHMARKS_DIR
from harness.throughput import APPS as THROUGHPUT_APPS
from run import progress, versions_line

DRIVER = BENCHMARKS_DIR / "call_app.py"
TIMEOUT = 600.0

#: The WSGI apps of run.py's throughput scenario that are not Flask apps (but the one with listeners,
#: whose cached path is skiesish's own), then frameworks.py's flask group.
APPS = (
    *(app for app in THROUGHPUT_APPS if app.path == "/health" and app.module != "apps.skiesish_listeners"),
    App("bare Flask route (`apps.bare_flask`)", "apps.bare_flask", "main", "/healthcheck"),
    App("skiesish `integrations.flask.HealthCheck`", "apps.skiesish_flask", "main", "/healthcheck"),
    App("py-healthcheck `HealthCheck` on Flask", "apps.pyhealthcheck_throughput", "peers", "/healthcheck"),
)
BARE, SKIESISH, CLEARSKIES, BARE_FLASK, SKIESISH_FLASK, PYHEALTHCHECK_FLASK = (app.module for app in APPS)
#: A Flask request costs about 30 times a bare call: these apps get a tenth of the calls and warm-up.
FEWER_CALLS = {BARE_FLASK: 10, SKIESISH_FLASK: 10, PYHEALTHCHECK_FLASK: 10}


@dataclasses.dataclass(frozen=True)
class Count:
    """What callgrind counted for one process: calls after the warm-up, instructions, the answer."""

    calls: int
    instructions: int
    answer: str


@dataclasses.dataclass(frozen=True)
class Pair:
    """The few-calls and many-calls counts of one app."""

    few: Count
    many: Count

    def per_call(self) -> float:
        """Instructions of one call: the difference of the totals over the difference of the calls."""
        return (self.many.instructions - self.few.instructions) / (self.many.calls - self.few.calls)


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Call counts, runs, installs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 and 4,000 calls after 500 (about 40 s)")
    parser.add_argument("--runs", type=int, default=1, help="pairs of counts per app (the median is shown)")
    parser.add_argument("--no-install", action="store_true", help="never pip install the peers")
    arguments = parser.parse_args(argv)
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    return arguments


def count(valgrind: str, python: Path, app: App, warmup: int, calls: int, workdir: Path) -> Count:
    """Run ``call_app.py`` on ``app`` under callgrind and read the total it collected.

    Raises:
        BenchmarkError: valgrind or the app failed, or printed no total.
    """
    output = workdir / f"{app.module}.{calls}.{os.urandom(4).hex()}.callgrind"
    command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={output}", str(python), str(DRIVER)]
    command += [app.module, "--path", app.path, "--warmup", str(warmup), "--calls", str(calls)]
    try:
        finished = subprocess.run(
            command,
            cwd=BENCHMARKS_DIR,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchmarkError(f"callgrind did not finish within {TIMEOUT:.0f} s") from error
    total = re.search(r"Collected\s*:\s*(\d+)", finished.stderr)
    if finished.returncode != 0 or total is None:
        failure = f"callgrind of {app.module} failed ({finished.returncode})"
        raise BenchmarkError(f"{failure}: {finished.stderr.strip()[-300:]}")
    return Count(calls, int(total.group(1)), finished.stdout.strip())


def measure(
    valgrind: str, pythons: dict[str, Path], calls: tuple[int, int], warmup: int, runs: int
) -> dict[str, list[Pair] | BenchmarkError]:
    """Every app's pairs of counts, two processes at a time."""
    results: dict[str, list[Pair] | BenchmarkError] = {}
    with tempfile.TemporaryDirectory(prefix="skiesish-callgrind-") as folder:
        workdir = Path(folder)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            jobs = {
                (app.module, run, number): pool.submit(
                    count,
                    valgrind,
                    pythons[app.venv],
                    app,
                    warmup // FEWER_CALLS.get(app.module, 1),
                    number // FEWER_CALLS.get(app.module, 1),
                    workdir,
                )
                for app in APPS
                if app.venv in pythons
                for run in range(runs)
                for number in calls
            }
            for app in APPS:
                if app.venv not in pythons:
                    results[app.module] = BenchmarkError(f"the {app.venv} virtualenv is unavailable")
                    continue
                progress(f"[instructions] {app.label}")
                try:
                    results[app.module] = [
                        Pair(*(jobs[app.module, run, number].result() for number in calls))
                        for run in range(runs)
                    ]
                except BenchmarkError as error:
                    results[app.module] = error
    return results


def main(argv: list[str]) -> int:
    """Count, then print the report."""
    arguments = parse_arguments(argv)
    preamble = Preamble("benchmarks/instructions.py", argv)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    few, many = (1_000, 4_000) if arguments.quick else (2_000, 12_000)
    warmup = 500 if arguments.quick else 1_000
    progress("[setup] peers virtualenv (benchmarks/.venv-peers)")
    pythons = {"main": Path(sys.executable)}
    peers, peers_problem = None, None
    try:
        peers = pythons["peers"] = ensure_peers_venv(not arguments.no_install)
    except BenchmarkError as error:
        peers_problem = str(error)
    results = measure(valgrind, pythons, (few, many), warmup, arguments.runs)
    per_call: dict[str, float] = {}
    rows = []
    for app in APPS:
        result = results[app.module]
        if isinstance(result, BenchmarkError):
            rows.append([app.label, f"error: {result}", "", "", "", "", ""])
            continue
        per_call[app.module] = statistics.median(pair.per_call() for pair in result)
        middle = result[len(result) // 2]
        rows.append(
            [
                app.label,
                middle.many.answer,
                f"{middle.few.calls:,} / {middle.many.calls:,}",
                f"{middle.few.instructions:,}",
                f"{middle.many.instructions:,}",
                f"{per_call[app.module]:,.0f}",
                ", ".join(f"{pair.per_call():,.0f}" for pair in result),
            ]
        )
    headers = [
        "WSGI callable",
        "answer",
        "calls: few / many",
        "instructions, few calls",
        "instructions, many calls",
        "per call (median)",
        "per call, each run",
    ]
    ratios = [
        ["skiesish / bare", SKIESISH, BARE],
        ["clearskies v1 / skiesish", CLEARSKIES, SKIESISH],
        ["on Flask: skiesish / bare route", SKIESISH_FLASK, BARE_FLASK],
        ["on Flask: py-healthcheck / skiesish", PYHEALTHCHECK_FLASK, SKIESISH_FLASK],
    ]
    ratio_rows = [
        [name, f"{per_call[top] / per_call[bottom]:.2f}x", f"{per_call[top] - per_call[bottom]:+,.0f}"]
        if top in per_call and bottom in per_call
        else [name, "n/a", "n/a"]
        for name, top, bottom in ratios
    ]
    header = preamble.header(
        "Instructions per cached probe (callgrind)",
        [
            ["counter", f"{tool_version([valgrind, '--version'])} `--tool=callgrind`, total `Ir`"],
            [
                "runs",
                f"{arguments.runs} pair(s) per app: {warmup:,} warm-up calls, then {few:,} or {many:,} "
                "calls (a tenth of each on Flask); per call = difference of totals / difference of calls",
            ],
            ["project venv", versions_line(Path(sys.executable), ("skiesish", "pydantic"), None)],
            ["peers venv", versions_line(peers, ("clear-skies",), peers_problem)],
        ],
    )
    report = [
        header,
        "### Instructions per call",
        markdown_table(headers, rows),
        "### Ratios",
        markdown_table(["", "ratio", "difference per call"], ratio_rows),
        preamble.footer(),
    ]
    print("\n\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
