"""Check results shared by the worker processes of one host, through Redis.

Several worker processes (gunicorn, uWSGI, waitress behind a process
manager) each have their own in-process cache, so without help each would run
every check once per TTL. With a shared cache, a process that needs a fresh
result first looks in Redis; if none is there it takes a lock with
``SET key value NX PX`` and runs the check, and the others wait for the
result to appear instead of running the check themselves.

A cache outage never fails a health check: when Redis does not answer, the
engine runs the check itself, logs the outage once, and tries Redis again a
few seconds later.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable

from ..extras import import_extra
from .report import CheckResult

__all__ = ["RedisResultCache"]

logger = logging.getLogger("skiesish")

#: Seconds Redis is left alone after it failed, before the next try.
RETRY_AFTER = 5.0
#: Seconds between looks for a result another process is producing.
POLL_INTERVAL = 0.02
#: Seconds a cache operation may take before the cache counts as down.
REDIS_TIMEOUT = 0.5

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


def _encode(result: CheckResult) -> str:
    fields = dataclasses.asdict(result)
    for key in ("timestamp", "status_since", "last_success"):
        if fields[key] is not None:
            fields[key] = fields[key].isoformat()
    return json.dumps(fields)


def _decode(text: bytes | str) -> CheckResult:
    fields = json.loads(text)
    for key in ("timestamp", "status_since", "last_success"):
        if fields[key] is not None:
            fields[key] = datetime.datetime.fromisoformat(fields[key])
    fields["cached"] = True
    return CheckResult(**fields)


class RedisResultCache:
    """Results and single-flight locks in Redis, scoped by host and application.

    Args:
        url: the Redis server, ``redis://host:port/db``.
        namespace: what sets this application's keys apart from others on the
            same Redis; by default the host name and ``"skiesish"``.

    Keys look like ``skiesish:<namespace>:<check>:result`` and ``...:lock``.
    """

    def __init__(self, url: str, namespace: str | None = None) -> None:
        redis = import_extra("redis", "redis", "a shared cache (cache: 'redis://...')")
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT, retry_on_timeout=False
        )
        self.namespace = namespace or f"{socket.gethostname()}:skiesish"
        self._down_until = 0.0
        self._down_lock = threading.Lock()

    def produce(
        self,
        name: str,
        run: Callable[[], CheckResult],
        ttl_for: Callable[[CheckResult], float | None],
        deadline: float,
    ) -> CheckResult:
        """A fresh result for check ``name``: from Redis, from this process's run, or another's.

        Args:
            name: the check's name.
            run: runs the check here and returns its result.
            ttl_for: how long a result may be shared (``None``: not at all).
            deadline: ``time.monotonic()`` value past which waiting is pointless.
        """
        if time.monotonic() < self._down_until:
            return run()
        key = f"skiesish:{self.namespace}:{name}"
        try:
            stored = self._client.get(key + ":result")
            if stored is not None:
                return _decode(stored)
            token = uuid.uuid4().hex
            lock_ms = max(1, int((deadline - time.monotonic()) * 1000) + 1000)
            if not self._client.set(key + ":lock", token, nx=True, px=lock_ms):
                return self._wait_for(key, run, deadline)
        except self._errors as error:
            self._note_outage(error)
            return run()
        self._note_recovery()
        try:
            result = run()
            ttl = ttl_for(result)
            if ttl:
                self._client.set(key + ":result", _encode(result), px=max(1, int(ttl * 1000)))
            self._client.eval(_RELEASE, 1, key + ":lock", token)
        except self._errors as error:
            self._note_outage(error)
        return result

    def _wait_for(self, key: str, run: Callable[[], CheckResult], deadline: float) -> CheckResult:
        """Another process holds the lock: wait for its result, or run the check if it gave up."""
        while time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            stored = self._client.get(key + ":result")
            if stored is not None:
                return _decode(stored)
            if not self._client.exists(key + ":lock"):
                break  # the other process finished without sharing (TTL None) or died
        return run()

    def _note_outage(self, error: BaseException) -> None:
        with self._down_lock:
            was_up = self._down_until == 0.0
            self._down_until = time.monotonic() + RETRY_AFTER
        if was_up:
            logger.warning(
                "the shared health cache is unreachable (%s: %s); using the in-process cache meanwhile",
                type(error).__name__,
                error,
            )

    def _note_recovery(self) -> None:
        if self._down_until:
            with self._down_lock:
                self._down_until = 0.0
            logger.info("the shared health cache answers again")

    def close(self) -> None:
        """Close the connections to Redis."""
        self._client.close()
