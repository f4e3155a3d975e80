"""Overhead of skiesish's sql and redis checks against a raw driver loop, and connections opened.

For each dependency: ``SELECT 1`` (or ``PING``) on one connection with the
bare driver, against uncached evaluations of ``skiesish.checks.sql(url=...)``
/ ``skiesish.checks.redis(url=...)`` through the health engine (deadlines,
result bookkeeping, and for these checks, whose own timeouts end them before
the deadline, a run on the calling thread). The same check wrapped so that it
no longer says so (as a check you write yourself) shows the cost of handing
each run to a worker thread.

Each run alternates blocks of 100 probes of each loop, so that the machine's
drift (other processes, CPU frequency) falls on all alike; a run's ratio is
its total time against the bare driver's, and the table gives the medians
over the runs. It also gives how many server-side connections the probes
opened beyond the check's first one (the server's count after minus before;
other clients closing can make the difference negative, which is shown as 0).

The process is pinned to one CPU (``--cpu``; ``-1`` leaves it free). Unpinned,
on a small VM, which CPU the client and each server connection's thread
happen to share decides a round trip's cost more than the code does: the
bare driver's connection and the check's are different server threads, and
the same loop measured 30 or 80 µs a probe from one run to the next.

    .venv/bin/python benchmarks/check_overhead.py [--probes 1000] [--runs 5] [--cpu 0]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pymysql
import redis

from skiesish import Check, checks
from skiesish.di import DI
from skiesish.health import HealthEngine

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
BLOCK = 100  # probes of one loop before switching to the next
TARGET = 1.5

Loop = Callable[[int], None]


def interleaved(loops: list[Loop], probes: int, runs: int) -> list[list[float]]:
    """Per loop, the microseconds per probe of each run; a run alternates blocks of every loop."""
    for loop in loops:
        loop(min(BLOCK, probes))  # warm up: connections, caches
    timings: list[list[float]] = [[] for _ in loops]
    for _ in range(runs):
        spent = [0.0] * len(loops)
        done = 0
        while done < probes:
            count = min(BLOCK, probes - done)
            for index, loop in enumerate(loops):
                started = time.perf_counter()
                loop(count)
                spent[index] += time.perf_counter() - started
            done += count
        for index, seconds in enumerate(spent):
            timings[index].append(seconds / probes * 1e6)
    return timings


def engine_loop(check: Check) -> tuple[Loop, HealthEngine]:
    """A loop of uncached evaluations of ``check`` through the engine."""
    engine = HealthEngine([check], DI(), success_ttl=None, failed_ttl=None)

    def loop(probes: int) -> None:
        for _ in range(probes):
            report = engine.evaluate()
            if not report.passed:
                raise RuntimeError(report.results[0].output)

    return loop, engine


def on_a_worker(check: Check) -> Check:
    """``check`` behind a wrapper that hides its ``runs_within``: the engine hands each run to a worker."""
    return Check(functools.partial(check.func), name=check.label)


def postgres_connections(observer: Any) -> int:
    return int(observer.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'test'").fetchone()[0])


def mysql_connections(observer: Any) -> int:
    with observer.cursor() as cursor:
        cursor.execute("SHOW STATUS LIKE 'Threads_connected'")
        return int(cursor.fetchone()[1])


def redis_connections(observer: Any) -> int:
    return len(observer.client_list())


def machine() -> str:
    """The CPU model and count, and the Python that runs this."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin this process to; -1: none")
    arguments = parser.parse_args()
    is_pinned = arguments.cpu >= 0 and hasattr(os, "sched_setaffinity")  # Linux only
    if is_pinned:
        os.sched_setaffinity(0, {arguments.cpu})
    pinning = f"pinned to CPU {arguments.cpu}" if is_pinned else "not pinned"

    pg = psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True)
    my = pymysql.connect(host="127.0.0.1", user="root", database="test", autocommit=True)
    rd = redis.Redis.from_url(REDIS_URL)

    def raw_pg(probes: int) -> None:
        for _ in range(probes):
            pg.execute("SELECT 1").fetchone()

    def raw_my(probes: int) -> None:
        with my.cursor() as cursor:
            for _ in range(probes):
                cursor.execute("SELECT 1")
                cursor.fetchone()

    def raw_rd(probes: int) -> None:
        for _ in range(probes):
            rd.ping()

    load_before = load()
    rows = []
    cases: list[tuple[str, Loop, Check, Callable[[Any], int], Any]] = [
        ("PostgreSQL SELECT 1", raw_pg, checks.sql(url=POSTGRES_URL), postgres_connections, pg),
        ("MariaDB SELECT 1", raw_my, checks.sql(url=MYSQL_URL), mysql_connections, my),
        ("Redis PING", raw_rd, checks.redis(url=REDIS_URL), redis_connections, rd),
    ]
    for label, raw, check, count_connections, observer in cases:
        inline_loop, inline_engine = engine_loop(check)
        worker_loop, worker_engine = engine_loop(on_a_worker(check))
        inline_loop(1)  # the check's first connection (the worker engine runs the same check function)
        before = count_connections(observer)
        raw_us, inline_us, worker_us = interleaved(
            [raw, inline_loop, worker_loop], arguments.probes, arguments.runs
        )
        opened = count_connections(observer) - before
        inline_engine.close(close_checks=False)
        worker_engine.close()
        rows.append((label, raw_us, inline_us, worker_us, opened))

    print(
        f"Machine: {machine()}. Load before: {load_before}; after: {load()}.\n"
        f"{arguments.runs} runs of {arguments.probes} probes per loop, in alternating blocks of {BLOCK}; "
        f"medians over the runs; {pinning}.\n"
    )
    print(
        "| probe | bare driver, µs | skiesish check (cache off), µs | ratio | target "
        "| same check on a worker, µs | ratio | new connections |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for label, raw_us, inline_us, worker_us, opened in rows:
        inline_ratio = statistics.median(c / r for c, r in zip(inline_us, raw_us, strict=True))
        worker_ratio = statistics.median(c / r for c, r in zip(worker_us, raw_us, strict=True))
        verdict = "met" if inline_ratio <= TARGET else "**missed**"
        print(
            f"| {label} | {statistics.median(raw_us):.1f} | {statistics.median(inline_us):.1f} "
            f"| {inline_ratio:.2f}x | <= {TARGET}x: {verdict} | {statistics.median(worker_us):.1f} "
            f"| {worker_ratio:.2f}x | {max(opened, 0)} |"
        )
    pg.close()
    my.close()
    rd.close()


if __name__ == "__main__":
    main()
