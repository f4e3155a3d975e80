"""Wall time of `skiesish check --url` against `python -c pass`, side by side with hyperfine.

Starts `skiesish serve examples.memory_backend_health:application` on an
ephemeral port, installs skiesish the way a container image would (a regular,
not editable, install into a throwaway venv: an editable install adds an
import hook to every interpreter start), then has hyperfine time, in one run,
that venv's bare interpreter and its probe. Prints the means and the ratio
(target: <= 1.5x).

    .venv/bin/python benchmarks/cli_probe.py [--runs 50]

Needs hyperfine (Debian: apt-get install hyperfine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from harness.environment import install_regular

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    arguments = parser.parse_args()
    if shutil.which("hyperfine") is None:
        raise SystemExit("hyperfine is not installed (Debian: apt-get install hyperfine)")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skiesish",
            "serve",
            "examples.memory_backend_health:application",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as folder:
            python, skiesish = install_regular(Path(folder))
            # Time a healthy probe, not a refused one: a server that did not start would be quicker.
            probe = subprocess.run([skiesish, "check", "--url", url], capture_output=True, text=True)
            if probe.returncode != 0:
                raise SystemExit(f"the probe is not healthy, so timing it means nothing: {probe.stdout}")
            export = os.path.join(folder, "results.json")
            subprocess.run(
                [
                    "hyperfine",
                    "-N",
                    "--warmup",
                    "5",
                    "--runs",
                    str(arguments.runs),
                    "--export-json",
                    export,
                    f"{python} -c pass",
                    f"{skiesish} check --url {url}",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            with open(export) as results_file:
                results = json.load(results_file)["results"]
    finally:
        server.terminate()
        server.wait(20)
    bare, probe = (result["mean"] * 1000 for result in results)
    bare_sd, probe_sd = (result["stddev"] * 1000 for result in results)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"hyperfine, {arguments.runs} runs each after 5 warm-ups.\n"
    )
    print("| command | mean | standard deviation | ratio | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| `python -c pass` | {bare:.1f} ms | {bare_sd:.1f} ms | 1.00x | |")
    print(f"| `skiesish check --url` | {probe:.1f} ms | {probe_sd:.1f} ms | {probe / bare:.2f}x | <= 1.5x |")


if __name__ == "__main__":
    main()
