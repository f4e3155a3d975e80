"""scrub_text on hostile text: the previous scrubber against the current one, side by side, at growing sizes.

For each hostile shape (what makes a backtracking pattern rescan its input)
and each size, times ``skiesish.scrubbing.scrub_text`` of the working tree and
of the previous scrubber, the single module ``skiesish/scrubbing.py`` as last
committed (or as of ``--old REV``), written to a temporary directory at run
time and loaded from there. Prints the machine, the
medians of ``--runs`` runs, and how much each median grows when the text grows
4x: about 4 is linear, about 16 quadratic. For comparison it then times both
on ordinary input: an access log and this process's environment.

    .venv/bin/python benchmarks/scrubbing.py [--runs 5] [--sizes 1,4,16,64] [--old REV]

A size whose time the previous scrubber would take longer than ``--old-limit``
seconds to reach (16 times its time at a quarter of the size) is not run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from harness.environment import describe_machine
from harness.report import markdown_table
from harness.settings import PROJECT_DIR

import skiesish.scrubbing

#: Where the previous scrubber lived, one module before it became a package.
SCRUBBER = "skiesish/scrubbing.py"
_RANDOM = random.Random(11)
RANDOM_BASE64 = "".join(_RANDOM.choice(string.ascii_letters + string.digits + "+/") for _ in range(4096))


def repeat(unit: str, size: int) -> str:
    """``unit`` repeated to exactly ``size`` characters."""
    return (unit * (size // len(unit) + 1))[:size]


#: The hostile shapes of tests/test_scrubbing_hostile.py: one per family of rules.
SHAPES: dict[str, Callable[[int], str]] = {
    "`token ` + long credential": lambda size: "token " + "a" * (size - 6),
    "`a.a.a...` (word boundaries)": lambda size: repeat("a.", size),
    "`a-a-a...`": lambda size: repeat("a-", size),
    "`x://u:x://u:...` (no @)": lambda size: repeat("x://u:", size),
    "`x://a.a.a...` (token user)": lambda size: "x://" + repeat("a.", size - 4),
    "`x://u:a@@a@@...` (bad hosts)": lambda size: "x://u:" + repeat("a@@", size - 6),
    "`u:p@u:p@...`": lambda size: repeat("u:p@", size),
    "`eyJ-eyJ-...` (JWT starts)": lambda size: repeat("eyJ-", size),
    "`SG.aSG.a...` (dotted tokens)": lambda size: repeat("SG.a", size),
    "PEM headers without END": lambda size: repeat("-----BEGIN PRIVATE KEY-----", size),
    '`password="` unclosed': lambda size: repeat('password="', size),
    "`- password:` YAML lines": lambda size: repeat("- password:\n", size),
    'escaped `\\"password\\": \\"`': lambda size: repeat('\\"password\\": \\"', size),
    "`--password ` options": lambda size: repeat("--password ", size),
    "`mysql -p ` command lines": lambda size: repeat("mysql -p ", size),
    "`<password>` elements": lambda size: repeat("<password>", size),
    "`1234567890:` bot-token digits": lambda size: repeat("1234567890:", size),
    "random base64 run": lambda size: repeat(RANDOM_BASE64, size),
}


LOG_LINE = (
    "2024-05-01T12:00:00Z INFO GET /api/orders/1234 200 12ms user=bob "
    "request_id=3f2504e0-4f89-11d3-9a0c-0305e82c3301 upstream=http://orders.internal:8080/v1\n"
)


def ordinary_inputs() -> dict[str, tuple[str, object]]:
    """Input that is not hostile: (which function, the argument), by description."""
    environment = dict(os.environ)
    return {
        "access log, 16 KiB (`scrub_text`)": ("scrub_text", repeat(LOG_LINE, 16 * 1024)),
        f"this process's environment, {len(environment)} variables (`scrub`)": ("scrub", environment),
    }


def git(*arguments: str) -> str:
    """The output of ``git arguments`` run in the project."""
    return subprocess.run(
        ["git", "-C", str(PROJECT_DIR), *arguments], capture_output=True, text=True, check=True
    ).stdout


def previous_revision() -> str:
    """The newest commit that has the scrubber as the single module :data:`SCRUBBER`."""
    for revision in git("log", "--format=%H", "--", SCRUBBER).split():
        if git("ls-tree", "--name-only", revision, SCRUBBER).strip():
            return revision
    raise SystemExit(f"no commit has {SCRUBBER}")


def load_old(revision: str, folder: Path) -> ModuleType:
    """The scrubber as of ``revision``, written to ``folder`` and imported from there."""
    path = folder / "previous_scrubbing.py"
    path.write_text(git("show", f"{revision}:{SCRUBBER}"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("previous_scrubbing", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_seconds(scrub_text: Callable[[str], str], text: str, runs: int) -> float:
    """The median wall time of ``runs`` calls of ``scrub_text(text)``."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        scrub_text(text)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def duration(seconds: float) -> str:
    """Seconds in the unit that reads best."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def measure(
    scrub_text: Callable[[str], str], make: Callable[[int], str], sizes: list[int], runs: int, limit: float
) -> list[str]:
    """One row of cells: the median at each size, with its growth over the size before."""
    cells: list[str] = []
    previous: float | None = None
    for size in sizes:
        if previous is not None and previous * 16 > limit:
            cells += ["not run"] * (len(sizes) - len(cells))
            break
        median = median_seconds(scrub_text, make(size), runs)
        growth = "" if previous is None else f" (x{median / previous:.1f})"
        cells.append(duration(median) + growth)
        previous = median
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1,4,16,64", help="text sizes in KiB, each 4 times the one before")
    parser.add_argument(
        "--old", help="git revision of the previous scrubber (default: the newest that differs)"
    )
    parser.add_argument("--old-limit", type=float, default=60.0, help="seconds a previous run may take")
    arguments = parser.parse_args()
    sizes = [int(size) * 1024 for size in arguments.sizes.split(",")]
    revision = arguments.old or previous_revision()
    machine = describe_machine()
    cores = f"{machine.cores} cores, load average {machine.load_average}"
    print(f"**Machine:** {machine.cpu}, {cores}; {machine.python}")
    print(f"**skiesish:** {machine.skiesish_source}")
    print(f"**Previous scrubber:** `{SCRUBBER}` as of {git('rev-parse', '--short', revision).strip()}")
    command = " ".join(["python", "benchmarks/scrubbing.py", *sys.argv[1:]])
    print(
        f"**Command:** `{command}`; median of {arguments.runs} runs per cell, growth over the size before.\n"
    )
    headers = ["shape", "scrubber", *(f"{size // 1024} KiB" for size in sizes)]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as folder:
        old = load_old(revision, Path(folder))
        modules = (old, skiesish.scrubbing)
        for name, make in SHAPES.items():
            print(f"measuring {name}", file=sys.stderr)
            for label, scrub_text in (
                ("previous", old.scrub_text),
                ("current", skiesish.scrubbing.scrub_text),
            ):
                rows.append(
                    [name, label, *measure(scrub_text, make, sizes, arguments.runs, arguments.old_limit)]
                )
    print(markdown_table(headers, rows))
    print("\nOrdinary input, for comparison (median of as many runs, 20 calls each):\n")
    ordinary_rows = []
    for name, (function, argument) in ordinary_inputs().items():
        previous, current = (
            per_call(getattr(module, function), argument, arguments.runs) for module in modules
        )
        ordinary_rows.append([name, duration(previous), duration(current), f"{current / previous:.1f}x"])
    print(markdown_table(["input", "previous", "current", "current / previous"], ordinary_rows))


def per_call(function: Callable[[object], object], argument: object, runs: int) -> float:
    """The median over ``runs`` runs of the mean time of 20 calls of ``function(argument)``."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(20):
            function(argument)
        timings.append((time.perf_counter() - started) / 20)
    return statistics.median(timings)


if __name__ == "__main__":
    main()
