"""Overhead of skiesish's sql and redis checks against a raw driver loop, and connections opened.

For each dependency, in one run: N x ``SELECT 1`` (or ``PING``) on one
connection with the bare driver, then N uncached evaluations of
``skiesish.checks.sql(url=...)`` / ``skiesish.checks.redis(url=...)`` through
the health engine (a thread hand-off per run, deadlines, result
bookkeeping). Reports microseconds per probe, the ratio, and how many
server-side connections the N probes opened beyond the check's first one
(the server's count after minus before; other clients closing can make
the difference negative, which is shown as 0).

    .venv/bin/python benchmarks/check_overhead.py [--probes 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import psycopg
import pymysql
import redis

from skiesish import checks
from skiesish.di import DI
from skiesish.health import HealthEngine

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def per_probe(loop: Callable[[int], None], probes: int, runs: int) -> float:
    """Median over ``runs`` of the microseconds one probe took in ``loop(probes)``."""
    loop(min(100, probes))  # warm up: connections, caches
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        loop(probes)
        timings.append((time.perf_counter() - started) / probes * 1e6)
    return statistics.median(timings)


def engine_loop(check) -> tuple[Callable[[int], None], HealthEngine]:
    """A loop of uncached evaluations of ``check`` through the engine."""
    engine = HealthEngine([check], DI(), success_ttl=None, failed_ttl=None)

    def loop(probes: int) -> None:
        for _ in range(probes):
            if not engine.evaluate().passed:
                raise RuntimeError(engine.evaluate().results[0].output)

    return loop, engine


def postgres_connections(observer) -> int:
    return observer.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'test'").fetchone()[0]


def mysql_connections(observer) -> int:
    with observer.cursor() as cursor:
        cursor.execute("SHOW STATUS LIKE 'Threads_connected'")
        return int(cursor.fetchone()[1])


def redis_connections(observer) -> int:
    return len(observer.client_list())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()

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

    rows = []
    cases = [
        ("PostgreSQL SELECT 1", raw_pg, checks.sql(url=POSTGRES_URL), postgres_connections, pg),
        ("MariaDB SELECT 1", raw_my, checks.sql(url=MYSQL_URL), mysql_connections, my),
        ("Redis PING", raw_rd, checks.redis(url=REDIS_URL), redis_connections, rd),
    ]
    for label, raw, check, count_connections, observer in cases:
        raw_us = per_probe(raw, arguments.probes, arguments.runs)
        loop, engine = engine_loop(check)
        loop(1)  # the check's first connection
        before = count_connections(observer)
        skiesish_us = per_probe(loop, arguments.probes, arguments.runs)
        opened = count_connections(observer) - before
        engine.close()
        rows.append((label, raw_us, skiesish_us, opened))

    print(
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        f"{arguments.runs} runs of {arguments.probes} probes each, median per probe.\n"
    )
    print("| probe | raw driver, µs | skiesish check (cache off), µs | ratio | target | new connections |")
    print("|---|---:|---:|---:|---|---:|")
    for label, raw_us, skiesish_us, opened in rows:
        ratio = skiesish_us / raw_us
        print(f"| {label} | {raw_us:.1f} | {skiesish_us:.1f} | {ratio:.2f}x | <= 1.2x | {max(opened, 0)} |")
    pg.close()
    my.close()
    rd.close()


if __name__ == "__main__":
    main()
