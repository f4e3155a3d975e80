"""What the shared cache holds is checked before it is believed: bad, forged or huge values never decide."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import math
import time

import pytest
from conftest import REDIS_URL
from faultproxy import FaultProxy
from test_shared_cache import engine

import skiesish
from skiesish import Check
from skiesish.di import DI
from skiesish.health import HealthEngine
from skiesish.health.shared_cache import RedisResultCache


def record(**changes):
    """A valid record of a failure of the check ``healthy``, stamped now, with ``changes``."""
    fields = {
        "v": 1,
        "name": "healthy",
        "passed": False,
        "output": "stale failure",
        "response_time": 0.01,
        "timestamp": time.time(),
    }
    fields.update(changes)
    return fields


def without(field):
    """A valid record of the check ``healthy`` without ``field``."""
    fields = record()
    del fields[field]
    return fields


def encoded(fields, **raw):
    """``fields`` as JSON, with each ``raw`` field's value replaced by the given JSON text."""
    text = json.dumps({**fields, **{name: f"@{name}@" for name in raw}})
    for name, value in raw.items():
        text = text.replace(f'"@{name}@"', value)
    return text.encode()


def previous_format(**changes):
    """A result as the previous release stored it: every field of a result, no version."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    fields = {
        "name": "healthy",
        "passed": True,
        "output": "",
        "response_time": 0.01,
        "timestamp": now,
        "critical": True,
        "cached": False,
        "status_since": now,
        "ttl": 30.0,
        "last_success": now,
        "status_changes": 0,
    }
    fields.update(changes)
    return fields


MALFORMED = {
    "not JSON": lambda: b"{not json",
    "not UTF-8": lambda: b'\xff\xfe{"v": 1}',
    "a JSON array": lambda: b"[1, 2]",
    "deeply nested": lambda: b"[" * 10_000,
    "no version": lambda: encoded(without("v")),
    "another version": lambda: encoded(record(v=2)),
    "version true": lambda: encoded(record(v=True)),
    "version 1.0": lambda: encoded(record(v=1.0)),
    "a missing field": lambda: encoded(without("output")),
    "an extra field (a newer release)": lambda: encoded(record(critical=True)),
    "the previous release's format": lambda: encoded(previous_format()),
    "a field given twice": lambda: encoded(record())[:-1] + b', "passed": true}',
    "a timestamp string": lambda: encoded(record(timestamp="2024-01-01T00:00:00+00:00")),
    "a NaN timestamp": lambda: encoded(record(), timestamp="NaN"),
    "an infinite timestamp": lambda: encoded(record(), timestamp="Infinity"),
    "a timestamp beyond a float": lambda: encoded(record(), timestamp="1e400"),
    "a timestamp of 400 digits": lambda: encoded(record(), timestamp="1" + "0" * 400),
    "a timestamp in the future": lambda: encoded(record(timestamp=time.time() + 3600)),
    "a timestamp older than the TTL": lambda: encoded(record(timestamp=time.time() - 3600)),
    "passed the string 'false'": lambda: encoded(record(passed="false")),
    "passed null": lambda: encoded(record(passed=None)),
    "passed 0": lambda: encoded(record(passed=0)),
    "another check's name": lambda: encoded(record(name="other")),
    "an output that is not a string": lambda: encoded(record(output=["disk", "full"])),
    "an output over the limit": lambda: encoded(record(output="x" * 5000)),
    "a response time that is a string": lambda: encoded(record(response_time="fast")),
    "a negative response time": lambda: encoded(record(response_time=-1)),
    "a boolean response time": lambda: encoded(record(response_time=True)),
}


@pytest.mark.parametrize("make_value", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_value_is_ignored_and_replaced(redis_client, namespace, make_value):
    """Whatever malformed value is stored, the check runs here, passes, and a valid record replaces it."""
    key = f"skiesish:{namespace}:healthy:result"
    redis_client.set(key, make_value(), px=30_000)
    runs = []

    def healthy():
        runs.append(1)
        return True

    health = engine(Check(healthy, name="healthy"), namespace, success_ttl=30)
    try:
        assert health.evaluate().status == "pass"
    finally:
        health.close()
    assert runs == [1]
    stored = json.loads(redis_client.get(key), object_pairs_hook=lambda pairs: pairs)
    assert [name for name, _ in stored] == ["v", "name", "passed", "output", "response_time", "timestamp"]
    assert dict(stored)["passed"] is True


@pytest.mark.parametrize("redis_type", ["hash", "list"])
def test_a_value_of_another_redis_type_is_ignored_and_replaced(redis_client, namespace, redis_type):
    """A hash or a list under the result key is not a record: the check runs here and replaces it."""
    key = f"skiesish:{namespace}:healthy:result"
    if redis_type == "hash":
        redis_client.hset(key, "passed", "true")
    else:
        redis_client.rpush(key, "true")
    health = engine(Check(lambda: True, name="healthy"), namespace, success_ttl=30)
    try:
        assert health.evaluate().status == "pass"
    finally:
        health.close()
    assert redis_client.type(key) == b"string"
    assert json.loads(redis_client.get(key))["passed"] is True


FORGED = {
    "the previous format saying passed": lambda: encoded(previous_format()),
    "passed the string 'false'": lambda: encoded(previous_format(passed="false")),
    "a failure that is not critical": lambda: encoded(previous_format(passed=False, critical=False)),
    "a field given twice, the last passing": lambda: (
        encoded(previous_format(passed=False))[:-1] + b', "passed": true}'
    ),
}


@pytest.mark.parametrize("make_value", FORGED.values(), ids=FORGED.keys())
def test_a_forged_value_never_passes_a_failing_check(redis_client, namespace, make_value):
    """A stored value that claims health, or a harmless failure, never hides a dependency that is down."""
    redis_client.set(f"skiesish:{namespace}:healthy:result", make_value(), px=30_000)
    runs = []

    def database_down():
        runs.append(1)
        return False, "connection refused"

    health = engine(Check(database_down, name="healthy"), namespace, failed_ttl=30)
    try:
        assert health.evaluate().status == "fail"
    finally:
        health.close()
    assert runs == [1]


def test_the_handler_answers_500_over_a_forged_pass(redis_client, namespace):
    """Through the HealthCheck handler, a forged passing value still gets a 500 while the check fails."""
    redis_client.set(f"skiesish:{namespace}:down:result", encoded(previous_format(name="down")), px=30_000)

    def down():
        return False

    config = {"checks": [down], "cache": REDIS_URL, "cache_namespace": namespace}
    application = skiesish.contexts.test(skiesish.Application(skiesish.handlers.HealthCheck, config))
    try:
        assert application()[1] == 500
    finally:
        application.close()


class CountingProxy(FaultProxy):
    """A FaultProxy that counts the bytes it forwards, both ways."""

    forwarded = 0

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await super()._pump(_CountedReader(reader, self), writer)  # type: ignore[arg-type]


class _CountedReader:
    def __init__(self, reader: asyncio.StreamReader, proxy: CountingProxy) -> None:
        self._reader = reader
        self._proxy = proxy

    async def read(self, size: int) -> bytes:
        data = await self._reader.read(size)
        self._proxy.forwarded += len(data)
        return data


def test_a_huge_value_is_not_read(redis_client, namespace):
    """A 16 MiB value under the result key is ignored unread: far less than it crosses the wire."""
    huge = encoded(record(output="x" * (16 << 20)))
    redis_client.set(f"skiesish:{namespace}:healthy:result", huge, px=30_000)
    proxy = CountingProxy("127.0.0.1", 6379)
    health = engine(
        Check(lambda: True, name="healthy"),
        namespace,
        url=f"redis://127.0.0.1:{proxy.port}/0",
        success_ttl=30,
    )
    try:
        assert health.evaluate().status == "pass"
    finally:
        health.close()
        proxy.close()
    assert proxy.forwarded < 1 << 20
    assert redis_client.strlen(f"skiesish:{namespace}:healthy:result") < 1 << 10


def test_a_bad_value_is_logged_once_per_kind_without_quoting_it(redis_client, namespace, caplog):
    """Each kind of problem with a key is logged once, not once per probe, and the value is never quoted."""
    key = f"skiesish:{namespace}:healthy:result"
    redis_client.set(key, b'{"output": "MARKER-7f3a postgres://app:hunter2@db/app", broken', px=30_000)
    health = engine(Check(lambda: True, name="healthy"), namespace, success_ttl=None)
    try:
        with caplog.at_level(logging.INFO, logger="skiesish"):
            statuses = [health.evaluate().status for _ in range(3)]
            redis_client.set(key, encoded(record(v=2, output="MARKER-7f3a")), px=30_000)
            statuses += [health.evaluate().status for _ in range(3)]
    finally:
        health.close()
    assert statuses == ["pass"] * 6
    lines = [record.getMessage() for record in caplog.records if key in record.getMessage()]
    assert len(lines) == 2
    assert "MARKER-7f3a" not in caplog.text
    assert "hunter2" not in caplog.text


def signed_engine(check, namespace, secret, **settings):
    """An engine over one check, sharing results signed with ``secret``."""
    cache = RedisResultCache(REDIS_URL, namespace, secret=secret)
    return HealthEngine([check], DI(), shared_cache=cache, **settings)


def test_signed_results_are_shared_by_processes_with_the_secret(redis_client, namespace):
    """Processes with the same secret sign what they store and read each other's results."""
    runs = []

    def counted():
        runs.append(1)
        return True

    first = signed_engine(Check(counted, name="counted"), namespace, "s3cret", success_ttl=30)
    second = signed_engine(Check(counted, name="counted"), namespace, "s3cret", success_ttl=30)
    try:
        assert first.evaluate().status == second.evaluate().status == "pass"
    finally:
        first.close()
        second.close()
    assert runs == [1]
    assert "mac" in json.loads(redis_client.get(f"skiesish:{namespace}:counted:result"))


def test_a_result_signed_with_another_secret_is_ignored(redis_client, namespace, caplog):
    """A record signed with another secret is not believed: the check runs here."""
    runs = []

    def counted():
        runs.append(1)
        return True

    first = signed_engine(Check(counted, name="counted"), namespace, "one", success_ttl=30)
    second = signed_engine(Check(counted, name="counted"), namespace, "two", success_ttl=30)
    try:
        with caplog.at_level(logging.WARNING, logger="skiesish"):
            assert first.evaluate().status == second.evaluate().status == "pass"
    finally:
        first.close()
        second.close()
    assert runs == [1, 1]
    assert "bad signature" in caplog.text


@pytest.mark.parametrize("mac", [None, "0" * 64, 42], ids=["unsigned", "a wrong signature", "a number"])
def test_a_forged_pass_never_hides_a_failure_when_records_are_signed(redis_client, namespace, mac):
    """With a secret, a well-formed record claiming health but not signed with it is ignored."""
    fields = record(passed=True, name="database")
    if mac is not None:
        fields["mac"] = mac
    redis_client.set(f"skiesish:{namespace}:database:result", encoded(fields), px=30_000)
    runs = []

    def database_down():
        runs.append(1)
        return False, "connection refused"

    health = signed_engine(Check(database_down, name="database"), namespace, "s3cret", failed_ttl=30)
    try:
        assert health.evaluate().status == "fail"
    finally:
        health.close()
    assert runs == [1]


def test_the_secret_comes_from_the_environment(redis_client, namespace, monkeypatch):
    """Without a secret given, SKIESISH_CACHE_SECRET signs the records."""
    monkeypatch.setenv("SKIESISH_CACHE_SECRET", "from-the-environment")
    health = engine(Check(lambda: True, name="counted"), namespace, success_ttl=30)
    try:
        health.evaluate()
    finally:
        health.close()
    assert "mac" in json.loads(redis_client.get(f"skiesish:{namespace}:counted:result"))


def test_an_empty_secret_is_refused():
    """An empty secret would sign nothing worth checking: it fails when the cache is made."""
    with pytest.raises(ValueError, match="secret must not be empty"):
        RedisResultCache(REDIS_URL, "app", secret="")


def test_the_stored_record_holds_only_what_is_shared(redis_client, namespace):
    """The record has a version, the check's name, passed, output, response time and timestamp: no more."""
    health = engine(Check(lambda: (True, "x" * 5000), name="counted"), namespace, success_ttl=30)
    try:
        health.evaluate()
    finally:
        health.close()
    stored = json.loads(redis_client.get(f"skiesish:{namespace}:counted:result"))
    assert set(stored) == {"v", "name", "passed", "output", "response_time", "timestamp"}
    assert (stored["v"], stored["name"], stored["passed"]) == (1, "counted", True)
    assert len(stored["output"]) < 5000
    assert math.isfinite(stored["timestamp"])
