"""`skiesish check --heartbeat` start-up against `python -c pass`, and the cost of one `Heartbeat.beat()`.

Installs skiesish the way a container image would (a regular, not editable,
install into a throwaway venv: an editable install adds an import hook to
every interpreter start), beats a heartbeat file once, then:

- has hyperfine time, in one run, that venv's bare interpreter and the probe
  of that file (fresh, so the healthy path is the one timed), and prints the
  means and the ratio (target: <= 1.5x, the budget of `check --url`);
- times `Heartbeat.beat()` with timeit in that venv's interpreter, and prints
  the median over several repeats of the cost of one beat, in microseconds,
  beside a bare `os.utime(path)` for reference.

    .venv/bin/python benchmarks/heartbeat.py [--runs 50] [--beats 200000] [--repeats 7]

Needs hyperfine (Debian: apt-get install hyperfine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.environment import install_regular

ROOT = Path(__file__).resolve().parent.parent

# Run by the venv's interpreter: prints the median seconds of one call of each statement.
TIMING = """
import json, os, statistics, sys, timeit
import skiesish
path, number, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
heartbeat = skiesish.Heartbeat(path)
heartbeat.beat()
results = {}
for label, statement in (("beat", heartbeat.beat), ("utime", lambda: os.utime(path)), ("age", heartbeat.age)):
    runs = timeit.repeat(statement, number=number, repeat=repeats)
    results[label] = statistics.median(runs) / number
print(json.dumps(results))
"""


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="hyperfine runs of each command")
    parser.add_argument("--beats", type=int, default=200_000, help="beats per timeit repeat")
    parser.add_argument("--repeats", type=int, default=7, help="timeit repeats (the median is shown)")
    arguments = parser.parse_args()
    if shutil.which("hyperfine") is None:
        raise SystemExit("hyperfine is not installed (Debian: apt-get install hyperfine)")
    load_before = load_average()
    with tempfile.TemporaryDirectory() as folder:
        python, skiesish = install_regular(Path(folder))
        beat_file = os.path.join(folder, "worker.beat")
        beat_once = f"import skiesish; skiesish.Heartbeat({beat_file!r}).beat()"
        subprocess.run([python, "-c", beat_once], check=True)
        probe_command = f"{skiesish} check --heartbeat {beat_file} --max-age 3600"
        # Time a healthy probe: a missing or stale file would take another path.
        probe = subprocess.run(probe_command.split(), capture_output=True, text=True)
        if probe.returncode != 0:
            raise SystemExit(f"the probe is not healthy, so timing it means nothing: {probe.stdout}")
        export = os.path.join(folder, "results.json")
        subprocess.run(
            [
                *("hyperfine", "-N", "--warmup", "5", "--runs", str(arguments.runs)),
                *("--export-json", export, f"{python} -c pass", probe_command),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with open(export) as results_file:
            results = json.load(results_file)["results"]
        timed = subprocess.run(
            [python, "-c", TIMING, beat_file, str(arguments.beats), str(arguments.repeats)],
            check=True,
            capture_output=True,
            text=True,
        )
        per_call = json.loads(timed.stdout)
    bare, probe_mean = (result["mean"] * 1000 for result in results)
    bare_sd, probe_sd = (result["stddev"] * 1000 for result in results)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average (1, 5, 15 min) {load_before} before, "
        f"{load_average()} after.\n"
        f"Start-up: hyperfine -N, {arguments.runs} runs each after 5 warm-ups. "
        f"Beat: timeit, median of {arguments.repeats} repeats of {arguments.beats:,} calls.\n"
    )
    print("| command | mean | standard deviation | ratio | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| `python -c pass` | {bare:.1f} ms | {bare_sd:.1f} ms | 1.00x | |")
    print(
        f"| `skiesish check --heartbeat` | {probe_mean:.1f} ms | {probe_sd:.1f} ms | "
        f"{probe_mean / bare:.2f}x | <= 1.5x |"
    )
    print()
    print("| call | cost |")
    print("|---|---:|")
    print(f"| `Heartbeat.beat()` | {per_call['beat'] * 1e6:.2f} µs |")
    print(f"| `os.utime(path)` (the system call alone) | {per_call['utime'] * 1e6:.2f} µs |")
    print(f"| `Heartbeat.age()` | {per_call['age'] * 1e6:.2f} µs |")


if __name__ == "__main__":
    main()
