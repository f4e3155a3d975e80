"""Check results shared by the worker processes of one host, through Redis.

Several worker processes (gunicorn, uWSGI, waitress behind a process
manager) each have their own in-process cache, so without help each would run
every check once per TTL. With a shared cache, a process that needs a fresh
result first looks in Redis; if none is there it takes a lock and runs the
check, and the others wait for the result to appear instead of running the
check themselves.

Redis may hold anything, answer slowly or not at all; the answer must stay
right all the same:

**What is stored.** One versioned record per check, under
``skiesish:<namespace>:<check>:result``, with only what the processes must
share: ``{"v": 1, "name": ..., "passed": ..., "output": ..., "response_time":
..., "timestamp": ...}`` (seconds since the epoch; the output cut to
:data:`OUTPUT_LIMIT` characters). Whether a check is critical, its TTLs and
its status history are this process's own and never read from Redis. At most
:data:`RECORD_LIMIT` bytes are read (a Lua script looks at ``STRLEN`` before
``GET``), and a record must be exactly right: the fields above and no others,
``passed`` a JSON boolean, the name of the check asked for, an output no
longer than the limit, and a finite timestamp at most :data:`CLOCK_SKEW`
seconds ahead of this host's clock and no older than the result's TTL. Any
other value is ignored (logged once per key and kind of problem, without
quoting it), the check runs here, and its result replaces the value.

**Signing.** Given a secret (``secret``, else the ``SKIESISH_CACHE_SECRET``
environment variable), every record carries an HMAC-SHA256 (``"mac"``) over
its fields and its key, and a record without a valid one is ignored: whoever
can write to Redis but does not know the secret cannot forge a passing result,
only replay a genuine one within its TTL. Without a secret, malformed values
are harmless but a well-formed record written by a third party is believed:
set a secret when anything but this application can write to that Redis.

**Locks.** A lock (``...:lock``) always expires: ``SET NX PX`` for the time
left to the deadline plus a second. A lock found without an expiry, or with
one beyond twice what this process would set, is abandoned: it is taken over,
never waited on.

**Namespace.** By default, the host name and a short hash of ``identity``
(a description of the checks, which the handler gives), the working directory
and ``sys.argv``. The forked workers of one master (gunicorn, uWSGI) share it;
two applications on one host do not. Processes started apart with different
arguments (one port each, say) share results only when given the same
``namespace``, which, when given, is used as it is.

**Time.** Redis never makes an answer late. The cache operations made before
the check runs here share a budget of a tenth of the time to the deadline, at
most :data:`BUDGET_CAP` seconds: each times out after the largest of
``BUDGET_CAP``, ``BUDGET_CAP / 2``, ``/ 4``... that fits the budget, none is
retried, and none starts once the budget is spent (so they take less than
twice the budget, plus a connection's handshake when one is opened). A
process waits for another's run only while the time left to its deadline
exceeds its reserve, the larger of half the time it had (a check taking more
than that is already logged as slow) and twice the check's last known run
time; then it runs the check itself. A result that comes too near the
deadline is not shared, so that writing it cannot delay the answer. Redis
failing or timing out is logged once and left alone for :data:`RETRY_AFTER`
seconds, during which every check runs here.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import json
import math
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from ..extras import import_extra
from ..log import logger
from ..scrubbing import scrub_text
from .report import CheckResult

__all__ = ["RedisResultCache"]

#: The version of the stored record; a record of any other version is ignored.
VERSION = 1
#: Bytes of a stored value read at most; a larger one is ignored unread.
RECORD_LIMIT = 16_384
#: Characters of a check's output that are shared.
OUTPUT_LIMIT = 1_000
#: Seconds a record's timestamp may be ahead of this host's clock.
CLOCK_SKEW = 2.0
#: Seconds the cache operations before a local run may take together, at most...
BUDGET_CAP = 0.25
#: ...and the share of the time left to the deadline they may take.
BUDGET_SHARE = 0.1
#: The share of the time it had that a process keeps for running the check itself.
RESERVE_SHARE = 0.5
#: How many times its last known run time a process keeps for running the check itself.
RESERVE_FACTOR = 2.0
#: Seconds Redis is left alone after it failed, before the next try.
RETRY_AFTER = 5.0
#: Seconds between looks for a result another process is producing.
POLL_INTERVAL = 0.02
#: Milliseconds a lock outlives its holder's deadline.
LOCK_SLACK_MS = 1_000
#: The environment variable read for the secret that signs records, when none is given.
SECRET_VARIABLE = "SKIESISH_CACHE_SECRET"

_FIELDS = ("v", "name", "passed", "output", "response_time", "timestamp")
# Operations time out after BUDGET_CAP halved until it fits the budget; below this, Redis is skipped.
_SHORTEST_TIMEOUT = BUDGET_CAP / 32

# Read the result (if it is a string no longer than ARGV[1]), else take the lock, else say who holds it.
# A lock without an expiry, or with one beyond ARGV[4] milliseconds, is taken over.
_LOOK = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'string' then
  local size = redis.call('STRLEN', KEYS[1])
  if size > tonumber(ARGV[1]) then return {'large', tostring(size)} end
  return {'result', redis.call('GET', KEYS[1])}
end
if kind ~= 'none' then return {'type', kind} end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return {'lock', ''} end
local left = redis.call('PTTL', KEYS[2])
if left < 0 or left > tonumber(ARGV[4]) then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return {'taken', tostring(left)}
end
return {'held', tostring(left)}
"""

# Store the record ARGV[1] (unless empty) for ARGV[2] ms, and release the lock if it is still ARGV[3]'s.
_SHARE = """
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
if ARGV[3] ~= '' and redis.call('TYPE', KEYS[2])['ok'] == 'string'
    and redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('DEL', KEYS[2])
end
return 1
"""


class _Rejected(Exception):
    """A stored value that is not a record this process may believe."""

    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(problem)
        self.kind = kind


def _default_namespace(identity: str) -> str:
    """The host name and a hash of what tells this application apart from others on the host."""
    try:
        directory = os.getcwd()
    except OSError:  # the working directory was removed
        directory = ""
    described = json.dumps([identity, directory, sys.argv])  # ASCII: surrogates are escaped
    return f"{socket.gethostname()}:{hashlib.sha256(described.encode('ascii')).hexdigest()[:12]}"


def _operation_timeout(budget: float) -> float | None:
    """The timeout of each cache operation under ``budget``: one of a few fixed steps, or ``None``."""
    timeout = BUDGET_CAP
    while timeout > budget and timeout >= _SHORTEST_TIMEOUT:
        timeout /= 2
    return timeout if timeout >= _SHORTEST_TIMEOUT else None


def _text(value: bytes | str) -> str:
    """A reply of Redis as text, whether or not the client decodes replies."""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _signature(secret: bytes, key: str, fields: dict[str, Any]) -> str:
    message = json.dumps([key, *(fields[field] for field in _FIELDS)], separators=(",", ":"))
    return hmac.new(secret, message.encode("ascii"), hashlib.sha256).hexdigest()


def _encode(result: CheckResult, key: str, secret: bytes | None) -> str:
    """``result`` as a record, signed when there is a secret."""
    fields: dict[str, Any] = {
        "v": VERSION,
        "name": result.name,
        "passed": result.passed,
        "output": result.output[:OUTPUT_LIMIT],
        "response_time": float(result.response_time),
        "timestamp": result.timestamp.timestamp(),
    }
    if secret is not None:
        fields["mac"] = _signature(secret, key, fields)
    return json.dumps(fields, separators=(",", ":"))


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise _Rejected("duplicate", "a JSON object with a field given twice")
    return fields


def _no_constant(name: str) -> Any:
    raise _Rejected("number", "a number that is not finite")


def _number(value: Any) -> float | None:
    """``value`` as a finite float if it is a JSON number (not a boolean), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _parse(raw: bytes | str, key: str, name: str, secret: bytes | None) -> dict[str, Any]:
    """The fields of the record ``raw`` stored under ``key`` for check ``name``.

    Raises:
        _Rejected: ``raw`` is not exactly a record of this version for that check.
    """
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")
        fields = json.loads(text, object_pairs_hook=_unique_fields, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise _Rejected("json", "not UTF-8 JSON") from error
    if not isinstance(fields, dict):
        raise _Rejected("shape", "JSON but not an object")
    version = fields.get("v")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Rejected("version", "a record without a version number")
    if version != VERSION:
        shown = version if abs(version) < 1000 else "?"
        raise _Rejected("version", f"a record of version {shown}, not {VERSION}")
    if secret is not None and "mac" not in fields:
        raise _Rejected("signature", "an unsigned record (this process signs them)")
    expected = {*_FIELDS, "mac"} if secret is not None else set(_FIELDS)
    if set(fields) != expected:
        missing = sorted(expected - set(fields))
        extra = scrub_text(", ".join(sorted(set(fields) - expected)))[:200]
        raise _Rejected(
            "fields", f"a record missing {missing or 'nothing'} and with unexpected fields [{extra}]"
        )
    if secret is not None:
        mac = fields["mac"]
        if not (
            isinstance(mac, str)
            and mac.isascii()
            and hmac.compare_digest(mac, _signature(secret, key, fields))
        ):
            raise _Rejected("signature", "a record with a bad signature")
    for field, kind, label in (
        ("name", str, "string"),
        ("passed", bool, "boolean"),
        ("output", str, "string"),
    ):
        if not isinstance(fields[field], kind):
            raise _Rejected(f"type:{field}", f"a record whose {field!r} is not a JSON {label}")
    for field in ("response_time", "timestamp"):
        if _number(fields[field]) is None:
            raise _Rejected(f"type:{field}", f"a record whose {field!r} is not a finite number")
    if fields["name"] != name:
        raise _Rejected("name", "a record of another check")
    if len(fields["output"]) > OUTPUT_LIMIT:
        raise _Rejected("output", f"a record whose output is longer than {OUTPUT_LIMIT} characters")
    if fields["response_time"] < 0:
        raise _Rejected("type:response_time", "a record whose 'response_time' is negative")
    return fields


@dataclasses.dataclass
class _Attempt:
    """One call of :meth:`RedisResultCache.produce`: its keys, its clock and what it knows."""

    name: str
    key: str
    ttl_for: Callable[[CheckResult], float | None]
    critical: bool | None
    deadline: float
    window: float
    budget: float
    client: Any
    timeout: float
    token: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def result_key(self) -> str:
        return self.key + ":result"

    @property
    def lock_key(self) -> str:
        return self.key + ":lock"


class RedisResultCache:
    """Results and single-flight locks in Redis, scoped by host and application.

    Args:
        url: the Redis server, ``redis://host:port/db``.
        namespace: what sets this application's keys apart from others on the
            same Redis; by default the host name and a hash of ``identity``,
            the working directory and ``sys.argv`` (see the module's text).
        identity: a description of the application's checks (names and
            qualified function names), which goes into the default namespace.
        secret: signs and checks every record (see the module's text); by
            default the ``SKIESISH_CACHE_SECRET`` environment variable, if set.

    Keys look like ``skiesish:<namespace>:<check>:result`` and ``...:lock``.

    Raises:
        ValueError: ``secret`` is empty, or ``url`` is not a Redis URL.
    """

    def __init__(
        self,
        url: str,
        namespace: str | None = None,
        *,
        identity: str = "",
        secret: str | bytes | None = None,
    ) -> None:
        purpose = "a shared cache (cache: 'redis://...')"
        self._redis = import_extra("redis", "redis", purpose)
        self._no_retry = import_extra("redis.retry", "redis", purpose).Retry(
            import_extra("redis.backoff", "redis", purpose).NoBackoff(), 0
        )
        self._errors: tuple[type[BaseException], ...] = (self._redis.RedisError, OSError)
        self._url = url
        self.namespace = namespace or _default_namespace(identity)
        if secret is None:
            secret = os.environ.get(SECRET_VARIABLE) or None
        elif not secret:
            raise ValueError("secret must not be empty; leave it out to share unsigned records")
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else secret
        self._clients: dict[float, Any] = {}
        self._clients_lock = threading.Lock()
        self._client(BUDGET_CAP)  # a bad URL fails here, when the application is built
        self._run_times: dict[str, float] = {}
        self._criticality: dict[str, bool] = {}
        self._reported: set[tuple[str, str]] = set()
        self._down_until = 0.0
        self._state_lock = threading.Lock()

    def produce(
        self,
        name: str,
        run: Callable[[], CheckResult],
        ttl_for: Callable[[CheckResult], float | None],
        deadline: float,
        *,
        critical: bool | None = None,
    ) -> CheckResult:
        """A fresh result for check ``name``: from Redis, from this process's run, or another's.

        Never raises for anything Redis does or holds: then the check runs here.

        Args:
            name: the check's name.
            run: runs the check here and returns its result.
            ttl_for: how long a result may be shared (``None``: not at all).
            deadline: ``time.monotonic()`` value by which the result is due.
            critical: whether the check's failure is critical. When left out,
                what this process's last run of the check said is used; until
                it has run here once, a failure read from Redis is not used
                (the check runs here instead), since its status depends on it.
        """
        now = time.monotonic()
        window = deadline - now
        budget = min(BUDGET_CAP, BUDGET_SHARE * window)
        timeout = _operation_timeout(budget)
        if timeout is None or now < self._down_until:
            return self._run_here(name, run)
        key = f"skiesish:{self.namespace}:{name}"
        attempt = _Attempt(
            name, key, ttl_for, critical, deadline, window, budget, self._client(timeout), timeout
        )
        try:
            found, holds_lock = self._look(attempt)
        except self._errors as error:
            self._note_outage(error)
            return self._run_here(name, run)
        self._note_recovery()
        if found is not None:
            return found
        result = self._run_here(name, run)
        if time.monotonic() + 2 * timeout < deadline:  # else the answer cannot wait for Redis
            self._share(attempt, result, attempt.token if holds_lock else "")
        return result

    def _look(self, attempt: _Attempt) -> tuple[CheckResult | None, bool]:
        """A result read from Redis, or ``None`` and whether this process now holds the lock.

        Waits for another holder's result while the budget allows and the
        time left exceeds the reserve kept for running the check here.
        """
        lock_ms = int(attempt.window * 1000) + LOCK_SLACK_MS
        known = self._run_times.get(attempt.name, 0.0)
        wait_until = attempt.deadline - max(RESERVE_SHARE * attempt.window, RESERVE_FACTOR * known)
        spent = 0.0
        while True:
            began = time.monotonic()
            reply = attempt.client.eval(
                _LOOK,
                2,
                attempt.result_key,
                attempt.lock_key,
                RECORD_LIMIT,
                attempt.token,
                lock_ms,
                2 * lock_ms,
            )
            now = time.monotonic()
            spent += now - began
            if not isinstance(reply, (list, tuple)) or len(reply) != 2:  # a server that is not quite Redis
                raise self._redis.ResponseError(f"unexpected reply to a script: {type(reply).__name__}")
            outcome, detail = _text(reply[0]), reply[1]
            if outcome == "result":
                return self._believe(attempt, detail), False
            if outcome == "large":
                self._ignore(
                    attempt.result_key, "size", f"a value of {int(detail)} bytes, over {RECORD_LIMIT}"
                )
                return None, False
            if outcome == "type":
                kind = scrub_text(_text(detail))[:20]
                self._ignore(attempt.result_key, "type", f"a Redis {kind}, not a string")
                return None, False
            if outcome == "taken":
                left = int(detail)
                problem = "a lock without an expiry" if left < 0 else f"a lock expiring in {left} ms"
                self._ignore(attempt.lock_key, "lock", problem + " (taken over)")
                return None, True
            if outcome == "lock":
                return None, True
            if spent >= attempt.budget or now + POLL_INTERVAL >= wait_until:
                return None, False  # another process holds the lock: run the check here all the same
            time.sleep(POLL_INTERVAL)

    def _believe(self, attempt: _Attempt, raw: bytes | str) -> CheckResult | None:
        """The result recorded in ``raw`` if it is valid, fresh, and its status is known here."""
        critical = attempt.critical if attempt.critical is not None else self._criticality.get(attempt.name)
        try:
            fields = _parse(raw, attempt.result_key, attempt.name, self._secret)
            stamp = fields["timestamp"]
            now = time.time()
            if stamp > now + CLOCK_SKEW:
                raise _Rejected("future", "a record stamped in the future")
            result = CheckResult(
                attempt.name,
                fields["passed"],
                fields["output"],
                float(fields["response_time"]),
                datetime.datetime.now(datetime.timezone.utc),
                critical=True if critical is None else critical,
                cached=True,
            )
            ttl = attempt.ttl_for(result)
            if not ttl:
                raise _Rejected("uncached", "a result of a kind this process does not share")
            if now - stamp > ttl:
                raise _Rejected("stale", "a record older than its TTL")
            stamped = datetime.datetime.fromtimestamp(min(stamp, now), datetime.timezone.utc)
            result = dataclasses.replace(result, timestamp=stamped)
        except _Rejected as rejected:
            self._ignore(attempt.result_key, rejected.kind, str(rejected))
            return None
        self._run_times[attempt.name] = result.response_time
        if critical is None and not result.passed:
            return None  # whether this failure is critical is known only once the check ran here
        return result

    def _share(self, attempt: _Attempt, result: CheckResult, token: str) -> None:
        """Store ``result`` (if it may be shared) and release the lock ``token`` holds (if any)."""
        ttl = attempt.ttl_for(result)
        record = _encode(result, attempt.result_key, self._secret) if ttl else ""
        if len(record) > RECORD_LIMIT:
            record = ""  # only a check name of thousands of characters gets here
        if not record and not token:
            return
        try:
            attempt.client.eval(
                _SHARE, 2, attempt.result_key, attempt.lock_key, record, max(1, int((ttl or 0) * 1000)), token
            )
        except self._errors as error:
            self._note_outage(error)

    def _run_here(self, name: str, run: Callable[[], CheckResult]) -> CheckResult:
        result = run()
        self._run_times[name] = result.response_time
        self._criticality[name] = result.critical
        return result

    def _client(self, timeout: float) -> Any:
        """The client whose every operation times out after ``timeout`` seconds, never retried."""
        with self._clients_lock:
            client = self._clients.get(timeout)
            if client is None:
                client = self._redis.Redis.from_url(
                    self._url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=self._no_retry
                )
                self._clients[timeout] = client
        return client

    def _ignore(self, key: str, kind: str, problem: str) -> None:
        """Log, once per key and kind of problem, that the value under ``key`` is not used."""
        with self._state_lock:
            if (key, kind) in self._reported:
                return
            self._reported.add((key, kind))
        logger.warning("ignoring %s in the shared health cache: %s; the check runs here", key, problem)

    def _note_outage(self, error: BaseException) -> None:
        with self._state_lock:
            was_up = self._down_until == 0.0
            self._down_until = time.monotonic() + RETRY_AFTER
        if was_up:
            logger.warning(
                "the shared health cache is unreachable or failing (%s: %s); checks run here meanwhile",
                type(error).__name__,
                scrub_text(str(error))[:300],
            )

    def _note_recovery(self) -> None:
        if self._down_until:
            with self._state_lock:
                self._down_until = 0.0
            logger.info("the shared health cache answers again")

    def close(self) -> None:
        """Close the connections to Redis."""
        with self._clients_lock:
            clients = list(self._clients.values())
        for client in clients:
            client.close()
