"""A check's result shared by the worker processes of a host through Redis."""

from __future__ import annotations

import logging
import multiprocessing
import socket
import sys
import time
import uuid

import pytest
from conftest import REDIS_URL, forget_namespace
from shared_cache_worker import probe

from skiesish import Check
from skiesish.di import DI
from skiesish.health import HealthEngine
from skiesish.health.report import CheckResult
from skiesish.health.runner import utcnow
from skiesish.health.shared_cache import RedisResultCache


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
        return True, "42 connections"

    first = engine(Check(counted, name="counted"), namespace, success_ttl=30, failed_ttl=30)
    second = engine(Check(counted, name="counted"), namespace, success_ttl=30, failed_ttl=30)
    try:
        assert first.evaluate().results[0].output == "42 connections"
        shared = second.evaluate().results[0]
        assert (shared.passed, shared.output, shared.cached) == (True, "42 connections", True)
        assert runs == [1]
    finally:
        first.close()
        second.close()


def test_a_shared_failure_is_read_with_this_process_criticality(redis_client, namespace):
    """A failure shared by another process is used as this caller says the check is (not) critical."""
    first = RedisResultCache(REDIS_URL, namespace)
    second = RedisResultCache(REDIS_URL, namespace)
    runs = []

    def failing():
        runs.append(1)
        return CheckResult("db", False, "disk full", 0.01, utcnow(), critical=True)

    def shared_for_30_s(result):
        return 30.0

    try:
        first.produce("db", failing, shared_for_30_s, time.monotonic() + 5)
        shared = second.produce("db", failing, shared_for_30_s, time.monotonic() + 5, critical=False)
    finally:
        first.close()
        second.close()
    assert (shared.status, shared.output, shared.cached) == ("warn", "disk full", True)
    assert runs == [1]


def test_a_shared_failure_keeps_the_local_criticality(redis_client, namespace):
    """A failure shared through Redis is reused, and is a warn here, where the check is non-critical."""
    runs = []

    def failing():
        runs.append(1)
        return False, "disk full"

    first = engine(Check(failing, name="disk", critical=False), namespace, failed_ttl=30)
    second = engine(Check(failing, name="disk", critical=False), namespace, failed_ttl=30)
    try:
        assert first.evaluate().status == "warn"
        assert second.evaluate().status == "warn"
    finally:
        first.close()
        second.close()
    assert runs == [1]


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


def two_applications(redis_client, first_cache, second_cache):
    """The second application's status and runs of its failing check, after the first shared a pass."""
    runs = []

    def failing():
        runs.append(1)
        return False

    first = HealthEngine([Check(lambda: True, name="database")], DI(), shared_cache=first_cache)
    second = HealthEngine([Check(failing, name="database")], DI(), shared_cache=second_cache)
    try:
        assert first.evaluate().status == "pass"
        return second.evaluate().status, runs
    finally:
        first.close()
        second.close()
        for cache in (first_cache, second_cache):
            forget_namespace(redis_client, cache.namespace)


def test_two_applications_on_one_host_do_not_share_results(redis_client):
    """Two applications with different checks get different default namespaces on the same host."""
    suffix = uuid.uuid4().hex
    first_cache = RedisResultCache(REDIS_URL, identity=f"database=app_a.ping {suffix}")
    second_cache = RedisResultCache(REDIS_URL, identity=f"database=app_b.ping {suffix}")
    assert first_cache.namespace != second_cache.namespace
    assert two_applications(redis_client, first_cache, second_cache) == ("fail", [1])


@pytest.mark.parametrize("differs", ["command line", "working directory"])
def test_the_default_namespace_tells_applications_apart(redis_client, monkeypatch, tmp_path, differs):
    """Processes started with another command line, or in another directory, do not share by default."""
    monkeypatch.setattr(sys, "argv", ["serve", f"app-{uuid.uuid4().hex}"])
    first_cache = RedisResultCache(REDIS_URL)
    if differs == "command line":
        monkeypatch.setattr(sys, "argv", ["serve", f"app-{uuid.uuid4().hex}"])
    else:
        monkeypatch.chdir(tmp_path)
    second_cache = RedisResultCache(REDIS_URL)
    assert two_applications(redis_client, first_cache, second_cache) == ("fail", [1])


def test_forked_workers_share_the_default_namespace():
    """Same checks, directory and command line (a master's forked workers): the same namespace."""
    first = RedisResultCache(REDIS_URL, identity="database=app.ping")
    second = RedisResultCache(REDIS_URL, identity="database=app.ping")
    try:
        assert first.namespace == second.namespace
        assert first.namespace.startswith(socket.gethostname() + ":")
    finally:
        first.close()
        second.close()


def test_an_explicit_namespace_wins():
    """A namespace given is used as it is, whatever the identity."""
    cache = RedisResultCache(REDIS_URL, "billing", identity="database=app.ping")
    cache.close()
    assert cache.namespace == "billing"


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
