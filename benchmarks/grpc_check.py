"""Cached gRPC health ``Check`` calls per second: skiesish's servicer against grpcio-health-checking's own.

    .venv/bin/python benchmarks/grpc_check.py [--runs 5] [--duration 5] [--threads 4] [--concurrency 16]

Both servers (``benchmarks/apps/grpc_servers.py``) run at once, each a sync
``grpc.Server`` with the same number of threads, pinned to CPU 0; the load
comes from one client process pinned to CPU 1, which keeps ``--concurrency``
unary ``Check("")`` calls in flight on one channel for ``--duration``
seconds. The servers are loaded in turn, one run each per round, the order
alternating each round, so that a change in the machine's load hits both
alike; the median run is reported. Target: skiesish >= 0.9x the stored status.
Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from harness.preamble import Preamble
from harness.report import markdown_table

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.9
SERVERS = ("bare", "skiesish")
LABELS = {
    "bare": "grpcio-health-checking `HealthServicer`, status set once",
    "skiesish": "skiesish `add_health_servicer`, cached HealthCheck",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int, command: list[str]) -> list[str]:
    """``command`` pinned to ``cpu`` if taskset is there: the servers on one core, the client on the other."""
    return ["taskset", "-c", str(cpu), *command] if shutil.which("taskset") else command


def load(port: int, duration: float, concurrency: int) -> float:
    """Calls per second ``Check("")`` gets from the server on ``port``, run in a client process of its own."""
    client = subprocess.run(
        pinned(1, [sys.executable, __file__, "--client", str(port), str(duration), str(concurrency)]),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(client.stdout.strip())


def client(port: int, duration: float, concurrency: int) -> None:
    """Keep ``concurrency`` calls in flight for ``duration`` seconds; print calls per second."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="")
    for _ in range(200):  # warm the channel and the server
        assert stub.Check(request).status == health_pb2.HealthCheckResponse.SERVING
    done = 0
    lock = threading.Lock()
    ends = time.monotonic() + duration
    finished = threading.Event()
    in_flight = [concurrency]

    def call() -> None:
        stub.Check.future(request).add_done_callback(answered)

    def answered(future: object) -> None:
        nonlocal done
        assert future.result().status == 1  # type: ignore[attr-defined]
        with lock:
            done += 1
        if time.monotonic() < ends:
            call()
        else:
            with lock:
                in_flight[0] -= 1
                if in_flight[0] == 0:
                    finished.set()

    started = time.monotonic()
    for _ in range(concurrency):
        call()
    finished.wait(duration + 30)
    print(done / (time.monotonic() - started))
    channel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    preamble = Preamble("benchmarks/grpc_check.py", sys.argv[1:])
    ports = {kind: free_port() for kind in SERVERS}
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")])}
    servers = {
        kind: subprocess.Popen(
            pinned(
                0,
                [
                    sys.executable,
                    str(ROOT / "benchmarks/apps/grpc_servers.py"),
                    kind,
                    str(ports[kind]),
                    str(arguments.threads),
                ],
            ),
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for kind in SERVERS
    }
    results: dict[str, list[float]] = {kind: [] for kind in SERVERS}
    try:
        for kind, server in servers.items():
            if server.stdout is None or server.stdout.readline().strip() != "ready":
                raise SystemExit(f"the {kind} server did not start")
        for round_number in range(arguments.runs):
            order = SERVERS if round_number % 2 == 0 else SERVERS[::-1]
            for kind in order:
                rate = load(ports[kind], arguments.duration, arguments.concurrency)
                results[kind].append(rate)
                print(f"round {round_number + 1}: {kind} {rate:,.0f} calls/s", file=sys.stderr)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(20)
    medians = {kind: statistics.median(rates) for kind, rates in results.items()}
    ratio = medians["skiesish"] / medians["bare"]
    verdict = "met" if ratio >= TARGET_RATIO else "**missed**"
    print(
        preamble.header(
            "Cached gRPC health Check calls",
            [
                ["runs", f"{arguments.runs} of {arguments.duration:g} s per server, alternating"],
                ["servers", f"sync grpc.Server, {arguments.threads} threads each, pinned to CPU 0"],
                ["client", f"one process pinned to CPU 1, {arguments.concurrency} calls in flight"],
            ],
        )
    )
    print()
    rows = [
        [
            LABELS[kind],
            f"{medians[kind]:,.0f}",
            f"{min(results[kind]):,.0f} - {max(results[kind]):,.0f}",
            f"{medians[kind] / medians['bare']:.2f}x",
        ]
        for kind in SERVERS
    ]
    print(markdown_table(["server", "calls/s (median)", "range", "ratio"], rows))
    print()
    print(f"skiesish / stored status: {ratio:.2f}x (target >= {TARGET_RATIO}x: {verdict})")
    print()
    print(preamble.footer())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
