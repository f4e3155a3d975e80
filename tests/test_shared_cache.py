"""A check's result shared by the worker processes of a host through Redis."""

from __future__ import annotations

import logging
import multiprocessing
import uuid

import pytest

from skiesish import Check
from skiesish.di import DI
from skiesish.health import HealthEngine
from skiesish.health.shared_cache import RedisResultCache
from tests.conftest import require_server
from tests.shared_cache_worker import probe

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_client():
    """A client of the local Redis; skips (or fails under CI) when it is down."""
    import redis

    require_server("Redis", "127.0.0.1", 6379)
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def namespace(redis_client):
    """A namespace no other test uses; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    for key in redis_client.scan_iter(f"skiesish:{name}:*"):
        redis_client.delete(key)


def engine(check, namespace, url=REDIS_URL, **settings):
    """An engine over one check, sharing results through Redis."""
    return HealthEngine([check], DI(), shared_cache=RedisResultCache(url, namespace), **settings)


def test_four_processes_run_the_check_once_per_ttl(redis_client, namespace):
    """Four worker processes probing at once run the check exactly once within its TTL."""
    counter_key = f"skiesish-test-counter-{namespace}"
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    try:
        with context.Pool(4) as pool:
            pending = [
                pool.apply_async(probe, (REDIS_URL, namespace, counter_key, start, 1.5)) for _ in range(4)
            ]
            start.set()
            statuses = [result.get(60) for result in pending]
        assert statuses == [["pass"]] * 4
        assert int(redis_client.get(counter_key)) == 1
    finally:
        redis_client.delete(counter_key)


def test_a_result_in_redis_is_used_by_another_engine(redis_client, namespace):
    """A second engine (another process, in effect) reads the first one's result instead of running."""
    runs = []

    def counted():
        runs.append(1)
        return False, "disk full"

    first = engine(Check(counted, name="counted"), namespace, success_ttl=30, failed_ttl=30)
    second = engine(Check(counted, name="counted"), namespace, success_ttl=30, failed_ttl=30)
    try:
        assert first.evaluate().results[0].output == "disk full"
        shared = second.evaluate().results[0]
        assert (shared.passed, shared.output, shared.cached) == (False, "disk full", True)
        assert runs == [1]
    finally:
        first.close()
        second.close()


def test_keys_are_scoped_by_namespace(redis_client, namespace):
    """Results are stored under skiesish:<namespace>:<check>; another namespace does not see them."""
    runs = []

    def counted():
        runs.append(1)
        return True

    first = engine(Check(counted, name="counted"), namespace, success_ttl=30)
    other = engine(Check(counted, name="counted"), namespace + "-other", success_ttl=30)
    try:
        first.evaluate()
        other.evaluate()
        assert redis_client.exists(f"skiesish:{namespace}:counted:result")
        assert runs == [1, 1]
    finally:
        first.close()
        other.close()
        redis_client.delete(f"skiesish:{namespace}-other:counted:result")


def test_ttl_none_shares_nothing(redis_client, namespace):
    """With caching off nothing is written to Redis and every evaluation runs the check."""
    runs = []

    def counted():
        runs.append(1)
        return True

    health = engine(Check(counted, name="counted"), namespace, success_ttl=None, failed_ttl=None)
    try:
        health.evaluate()
        health.evaluate()
    finally:
        health.close()
    assert runs == [1, 1]
    assert not redis_client.exists(f"skiesish:{namespace}:counted:result")


def test_a_cache_outage_never_fails_a_check(free_port, caplog):
    """With Redis unreachable the checks still run and pass, and the outage is logged once."""
    health = engine(
        Check(lambda: True, name="healthy"),
        "outage",
        url=f"redis://127.0.0.1:{free_port}/0",
        success_ttl=None,
    )
    try:
        with caplog.at_level(logging.WARNING, logger="skiesish"):
            reports = [health.evaluate() for _ in range(3)]
    finally:
        health.close()
    assert [report.status for report in reports] == ["pass"] * 3
    outage_lines = [
        record for record in caplog.records if "shared health cache is unreachable" in record.getMessage()
    ]
    assert len(outage_lines) == 1


def test_handler_cache_key(redis_client, namespace):
    """The HealthCheck key `cache` shares results through Redis."""
    import skiesish

    runs = []

    def counted():
        runs.append(1)
        return True

    config = {"checks": [counted], "cache": REDIS_URL, "cache_namespace": namespace}
    first = skiesish.contexts.test(skiesish.Application(skiesish.handlers.HealthCheck, config))
    second = skiesish.contexts.test(skiesish.Application(skiesish.handlers.HealthCheck, config))
    try:
        assert first()[1] == second()[1] == 200
        assert runs == [1]
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"cache": "memcached://x"}, "cache must be a redis:// URL"),
        ({"cache_namespace": "app"}, "cache_namespace is only used with cache"),
    ],
)
def test_bad_cache_configuration(config, match):
    """A cache that is not Redis, or a namespace without a cache, fails at build time."""
    import skiesish

    with pytest.raises(skiesish.ConfigurationError, match=match):
        skiesish.Application(skiesish.handlers.HealthCheck, config)
