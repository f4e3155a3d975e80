"""A worker process for tests/test_shared_cache.py (importable by multiprocessing's spawn)."""

from __future__ import annotations

import time

import redis

from skiesish import Check
from skiesish.di import DI
from skiesish.health import HealthEngine
from skiesish.health.shared_cache import RedisResultCache


def probe(
    url: str,
    namespace: str,
    counter_key: str,
    start,
    seconds: float,
    timeout: float = 5.0,
    counter_url: str | None = None,
) -> list[str]:
    """Evaluate a counted check as fast as possible for ``seconds`` once ``start`` is set.

    The check counts its runs in Redis at ``counter_url`` (by default the
    cache's ``url``), then sleeps 0.2 s; it is failed after ``timeout`` seconds.
    Returns the distinct statuses seen.
    """
    client = redis.Redis.from_url(counter_url or url)

    def counted() -> bool:
        client.incr(counter_key)
        time.sleep(0.2)
        return True

    engine = HealthEngine(
        [Check(counted, name="counted")],
        DI(),
        timeout=timeout,
        success_ttl=30,
        failed_ttl=30,
        shared_cache=RedisResultCache(url, namespace),
    )
    start.wait(30)
    statuses = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        statuses.append(engine.evaluate().status)
    engine.close()
    client.close()
    return sorted(set(statuses))
