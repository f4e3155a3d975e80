"""The shared cache never makes an answer late: abandoned locks, other processes' runs, a slow Redis."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid

import pytest
from conftest import REDIS_URL
from shared_cache_worker import probe
from test_shared_cache import engine

from skiesish import Check
from skiesish.health import shared_cache

ABANDONED_LOCKS = {
    "no expiry": lambda client, key: client.set(key, "gone"),
    "a day's expiry": lambda client, key: client.set(key, "gone", px=86_400_000),
    "a hash without expiry": lambda client, key: client.hset(key, "holder", "gone"),
}


@pytest.mark.parametrize("abandon", ABANDONED_LOCKS.values(), ids=ABANDONED_LOCKS.keys())
def test_an_abandoned_lock_is_taken_over(redis_client, namespace, abandon):
    """A lock that would never expire (or not for a day) is taken over, not waited on: the check passes."""
    lock = f"skiesish:{namespace}:healthy:lock"
    abandon(redis_client, lock)
    runs = []

    def healthy():
        runs.append(1)
        return True

    health = engine(Check(healthy, name="healthy"), namespace, timeout=1, success_ttl=30)
    try:
        assert health.evaluate().status == "pass"
    finally:
        health.close()
    assert runs == [1]
    assert not redis_client.exists(lock)
    assert redis_client.exists(f"skiesish:{namespace}:healthy:result")


def test_waiting_for_another_process_leaves_time_to_run_here(redis_client, namespace):
    """A holder that never delivers is waited for only while the check can still run here in time."""
    redis_client.set(f"skiesish:{namespace}:healthy:lock", "another process", px=3000)
    runs = []

    def healthy():
        runs.append(1)
        return True

    health = engine(Check(healthy, name="healthy"), namespace, timeout=2, success_ttl=30)
    try:
        assert health.evaluate().status == "pass"
    finally:
        health.close()
    assert runs == [1]


def test_a_process_that_knows_its_check_is_slow_does_not_wait(redis_client, namespace):
    """A check known to take most of its deadline runs here at once while another process holds the lock."""
    runs = []

    def slow():
        runs.append(1)
        time.sleep(1.2)
        return True

    health = engine(Check(slow, name="slow"), namespace, timeout=2, success_ttl=None)
    try:
        assert health.evaluate().status == "pass"  # now this process knows the check takes 1.2 s
        redis_client.set(f"skiesish:{namespace}:slow:lock", "another process", px=5000)
        assert health.evaluate().status == "pass"
    finally:
        health.close()
    assert runs == [1, 1]


FAULTS = {
    "0.3 s per operation": ("slow", 0.15),
    "0.6 s per operation": ("slow", 0.3),
    "unanswered": ("blackhole", None),
}


@pytest.mark.parametrize(("mode", "latency"), FAULTS.values(), ids=FAULTS.keys())
def test_a_slow_or_silent_cache_never_fails_a_healthy_check(
    redis_client, namespace, fault_proxy, monkeypatch, mode, latency
):
    """Three engines probed from three threads each over a slow or silent Redis: every probe passes."""
    monkeypatch.setattr(shared_cache, "RETRY_AFTER", 0.0)  # every probe tries the slow Redis again
    proxy = fault_proxy(6379)
    proxy.set_mode(mode, latency)
    runs = []

    def healthy():
        runs.append(1)
        time.sleep(0.02)
        return True

    url = f"redis://127.0.0.1:{proxy.port}/0"
    engines = [
        engine(Check(healthy, name="healthy"), namespace, url=url, timeout=1, success_ttl=0.1)
        for _ in range(3)
    ]
    statuses = []

    def probe_repeatedly(health):
        for _ in range(4):
            statuses.append(health.evaluate().status)

    threads = [threading.Thread(target=probe_repeatedly, args=(health,)) for health in engines * 3]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for health in engines:
            health.close()
    assert statuses == ["pass"] * 36
    assert runs


def test_a_slow_cache_never_fails_worker_processes(redis_client, namespace, fault_proxy):
    """Three worker processes probing through a Redis taking 0.3 s per operation see only passes."""
    proxy = fault_proxy(6379)
    proxy.set_mode("slow", 0.15)
    counter_key = f"skiesish-test-counter-{uuid.uuid4().hex}"
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    url = f"redis://127.0.0.1:{proxy.port}/0"
    try:
        with context.Pool(3) as pool:
            pending = [
                pool.apply_async(probe, (url, namespace, counter_key, start, 1.5, 1.0, REDIS_URL))
                for _ in range(3)
            ]
            start.set()
            statuses = [result.get(60) for result in pending]
        assert statuses == [["pass"]] * 3
        assert int(redis_client.get(counter_key)) >= 1
    finally:
        redis_client.delete(counter_key)
