"""What serving skiesish costs besides CPU: memory, import time and the probe command's start-up.

    .venv/bin/python benchmarks/footprint.py [--quick] [--threads N] > /tmp/footprint.md

In one run:

1. memory: ``apps.bare`` and ``apps.skiesish_throughput`` served by waitress
   (``serve.py``, ``--threads`` each), one at a time; after 100 warm-up
   requests and 1,000 more (each on a fresh connection, as a kubelet probes),
   ``VmRSS`` and ``VmHWM`` are read from ``/proc/PID/status`` (3 servers each,
   median; ``--quick``: 1);
2. import time: hyperfine (``-N``) times ``python -c pass``, ``python -c
   "import waitress"`` and ``python -c "import skiesish;
   skiesish.contexts.wsgi(...)"`` (the app of ``apps.skiesish_throughput``)
   with the project's interpreter, and ``python -X importtime`` splits the
   latter's own import time by top-level package (median of 5 runs);
3. ``skiesish check --url`` against ``python -c pass``: ``benchmarks/cli_probe.py``
   run as it is (without ``PYTHONPATH``: it installs this worktree into a
   throwaway venv), its Markdown included verbatim.

Needs hyperfine (Debian: apt-get install hyperfine). Progress goes to stderr,
the Markdown report to stdout. About 1 minute (``--quick``: 20 s).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.bench import ratio
from harness.client import fetch
from harness.errors import BenchmarkError
from harness.preamble import Preamble, tool_version
from harness.report import markdown_table
from harness.server import App, Servers
from harness.settings import BENCHMARKS_DIR
from run import progress, versions_line

WARMUP_REQUESTS = 100
REQUESTS = 1_000
SERVED = (
    App("bare WSGI function under waitress (`apps.bare`)", "apps.bare", "main"),
    App(
        "skiesish HealthCheck under waitress (`apps.skiesish_throughput`)", "apps.skiesish_throughput", "main"
    ),
)
SKIESISH_APP = (
    "import skiesish; skiesish.contexts.wsgi(skiesish.Application("
    "skiesish.handlers.HealthCheck, {'services': ['memory_backend']}))"
)
IMPORTS = {
    "`python -c pass`": "pass",
    "`import waitress`": "import waitress",
    "`import skiesish` + app": SKIESISH_APP,
}
IMPORTTIME_RUNS = 5


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Durations, threads, installs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer servers and runs (about 20 s)")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads of both servers (4)")
    arguments = parser.parse_args(argv)
    if arguments.threads < 1:
        parser.error("--threads must be at least 1")
    return arguments


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of a process, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    return {
        name: int(re.search(rf"^{name}:\s+(\d+) kB", status, re.MULTILINE).group(1))
        for name in ("VmRSS", "VmHWM")
    }


def served_memory(servers: Servers, app: App) -> dict[str, int]:
    """Serve ``app``, send the warm-up and the counted requests, read its memory."""
    with servers.serving(app) as served:
        for number in range(WARMUP_REQUESTS + REQUESTS):
            answer = fetch(served.url, timeout=10)
            if answer.status != 200:
                raise BenchmarkError(f"request {number + 1} was answered {answer.status_line}")
        return memory_kib(served.pid)


def memory_section(threads: int, servers_each: int) -> str:
    """The memory table: median VmRSS and VmHWM over ``servers_each`` servers per app."""
    rows = []
    rss: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="skiesish-footprint-") as workdir:
        servers = Servers({"main": Path(sys.executable)}, {}, threads, Path(workdir))
        for app in SERVED:
            progress(f"[memory] {app.label}")
            try:
                readings = [served_memory(servers, app) for _ in range(servers_each)]
            except BenchmarkError as error:
                rows.append([app.label, f"error: {error}", "", "", ""])
                continue
            rss[app.module] = statistics.median(reading["VmRSS"] for reading in readings)
            peak = statistics.median(reading["VmHWM"] for reading in readings)
            spread = ", ".join(f"{reading['VmRSS'] / 1024:.1f}" for reading in readings)
            rows.append(
                [app.label, f"{rss[app.module] / 1024:.1f} MiB", spread, f"{peak / 1024:.1f} MiB", ""]
            )
    bare = rss.get(SERVED[0].module)
    for row, app in zip(rows, SERVED, strict=True):
        if app.module in rss:
            difference = f" ({(rss[app.module] - bare) / 1024:+.1f} MiB)" if bare else ""
            row[4] = ratio(rss[app.module], bare) + difference
    return "\n\n".join(
        [
            "### Memory of a served app",
            f"waitress with {threads} threads, one server at a time; {WARMUP_REQUESTS} warm-up "
            f"requests, then {REQUESTS:,} more, each on a fresh connection; then `/proc/PID/status`. "
            f"Median of {servers_each} server(s) per app.",
            markdown_table(
                ["server", "VmRSS (median)", "VmRSS of each, MiB", "VmHWM (median)", "vs bare"], rows
            ),
        ]
    )


def hyperfine(commands: list[str], runs: int, warmup: int) -> list[dict[str, float]]:
    """hyperfine's results (seconds) for ``commands``, run without a shell.

    Raises:
        BenchmarkError: hyperfine failed.
    """
    with tempfile.TemporaryDirectory(prefix="skiesish-hyperfine-") as folder:
        export = Path(folder) / "results.json"
        command = [
            "hyperfine",
            "-N",
            "--warmup",
            str(warmup),
            "--runs",
            str(runs),
            "--export-json",
            str(export),
        ]
        finished = subprocess.run(
            [*command, *commands],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=BENCHMARKS_DIR,
        )
        if finished.returncode != 0:
            raise BenchmarkError(f"hyperfine failed: {finished.stderr.strip()[-300:]}")
        results: list[dict[str, float]] = json.loads(export.read_text())["results"]
    return results


def importtime(code: str) -> tuple[dict[str, float], dict[str, float]]:
    """Own import time (ms) per top-level package and per skiesish module, from ``-X importtime``.

    Each is the median over :data:`IMPORTTIME_RUNS` runs.
    """
    runs: list[collections.Counter[str]] = []
    for _ in range(IMPORTTIME_RUNS):
        finished = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        spent: collections.Counter[str] = collections.Counter()
        for line in finished.stderr.splitlines():
            found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s+(\S+)", line)
            if found:
                module, milliseconds = found.group(2), int(found.group(1)) / 1000
                spent[module.split(".")[0]] += milliseconds
                if module.startswith("skiesish."):
                    spent[module] += milliseconds
        runs.append(spent)
    medians = {name: statistics.median(run[name] for run in runs) for name in set().union(*runs)}
    packages = {name: spent for name, spent in medians.items() if "." not in name}
    return packages, {name: spent for name, spent in medians.items() if "." in name}


def largest(spent: dict[str, float], count: int) -> list[list[str]]:
    """The ``count`` largest entries as table rows."""
    ranked = sorted(spent.items(), key=lambda item: item[1], reverse=True)[:count]
    return [[f"`{name}`", f"{milliseconds:.1f} ms"] for name, milliseconds in ranked]


def imports_section(runs: int, warmup: int) -> str:
    """hyperfine of the three commands, the ratios, and where skiesish's import time goes."""
    progress("[imports] hyperfine")
    commands = [shlex.join([sys.executable, "-c", code]) for code in IMPORTS.values()]
    try:
        results = hyperfine(commands, runs, warmup)
    except BenchmarkError as error:
        return f"### Import time\n\nerror: {error}"
    means = {name: result["mean"] * 1000 for name, result in zip(IMPORTS, results, strict=True)}
    start, waitress, skiesish = means.values()
    rows = [
        [
            name,
            f"{result['mean'] * 1000:.1f} ms",
            f"{result['stddev'] * 1000:.1f} ms",
            f"{means[name] - start:+.1f} ms",
        ]
        for name, result in zip(IMPORTS, results, strict=True)
    ]
    progress("[imports] -X importtime")
    packages, modules = importtime(SKIESISH_APP)
    return "\n\n".join(
        [
            "### Import time",
            f"hyperfine `-N`, {runs} runs after {warmup} warm-ups, the project's interpreter "
            f"(`{sys.executable}`, `PYTHONPATH={os.environ.get('PYTHONPATH', '')}`). The skiesish "
            f'command is `python -c "{SKIESISH_APP}"`.',
            markdown_table(["command", "mean", "standard deviation", "minus `python -c pass`"], rows),
            markdown_table(
                ["ratio", "value"],
                [
                    ["skiesish command / `import waitress`, whole process", f"{skiesish / waitress:.2f}x"],
                    [
                        "skiesish command / `import waitress`, beyond `python -c pass`",
                        ratio(skiesish - start, waitress - start),
                    ],
                    ["skiesish command / `python -c pass`", f"{skiesish / start:.2f}x"],
                ],
            ),
            "Own import time (`-X importtime`: each module's own, without what it imports; median of "
            f"{IMPORTTIME_RUNS} runs) of the skiesish command: {sum(packages.values()):.1f} ms in all, "
            f"{packages.get('skiesish', 0):.1f} ms of it in skiesish's {len(modules) + 1} modules. The "
            "largest top-level packages, and the largest skiesish modules:",
            markdown_table(["package", "own import time"], largest(packages, 8)),
            markdown_table(["skiesish module", "own import time"], largest(modules, 8)),
        ]
    )


def cli_probe_section(runs: int) -> str:
    """``benchmarks/cli_probe.py``'s own report, run as it is."""
    progress("[cli_probe] benchmarks/cli_probe.py")
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    command = [sys.executable, str(BENCHMARKS_DIR / "cli_probe.py"), "--runs", str(runs)]
    try:
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=900, check=False, env=environment
        )
        output = (
            finished.stdout.strip()
            if finished.returncode == 0
            else f"error: {finished.stderr.strip()[-400:]}"
        )
    except subprocess.TimeoutExpired:
        output = "error: cli_probe.py did not finish within 900 s"
    return "\n\n".join(
        [
            "### `skiesish check --url` start-up",
            f"`python benchmarks/cli_probe.py --runs {runs}`, output verbatim:",
            output,
        ]
    )


def main(argv: list[str]) -> int:
    """Measure memory, imports and the probe's start-up; print the report."""
    arguments = parse_arguments(argv)
    preamble = Preamble("benchmarks/footprint.py", argv)
    if shutil.which("hyperfine") is None:
        raise SystemExit("hyperfine is not installed (Debian: apt-get install hyperfine)")
    servers_each, hyperfine_runs, warmup, probe_runs = (1, 10, 3, 10) if arguments.quick else (3, 40, 5, 50)
    sections = [
        memory_section(arguments.threads, servers_each),
        imports_section(hyperfine_runs, warmup),
        cli_probe_section(probe_runs),
    ]
    header = preamble.header(
        "Footprint: memory, import time, probe start-up",
        [
            ["timer", tool_version(["hyperfine", "--version"])],
            [
                "runs",
                f"memory: {servers_each} server(s) per app; imports: hyperfine {hyperfine_runs} runs; "
                f"cli_probe: {probe_runs} runs",
            ],
            ["project venv", versions_line(Path(sys.executable), ("skiesish", "waitress", "pydantic"), None)],
        ],
    )
    print("\n\n".join([header, *sections, preamble.footer()]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
