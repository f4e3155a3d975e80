"""Telling another system, over HTTP, when the overall health changes: :class:`Webhook`.

A :class:`Webhook` is a health listener (``{"listeners": [Webhook(url)]}`` in
a HealthCheck's config, or :meth:`~skiesish.health.HealthEngine.add_listener`).
The engine tells it of each change of the overall status (``on_change``); it
decides which changes become *notices*, and POSTs each notice as JSON from a
thread of its own, retrying with exponential backoff. Nothing it does can
hold up a probe: the engine's listener thread only takes a lock and appends.

When a notice goes out:

- **Trouble** (the status becomes ``warn``, ``fail`` or ``unknown``) is sent at
  once, unless a notice of trouble went out less than ``min_interval`` seconds
  ago; then it is held, and when that gap ends one notice goes out with the
  status at that moment and, in ``changes``, every change held meanwhile
  (coalesced, never lost), even if the status is back where it was.
- **Recovery** (the status becomes ``pass`` after the receiver was told of
  trouble) is sent at once, whatever the gap, with the changes held before it.
- The first status an engine reaches is sent only when it is ``warn`` or
  ``fail``: a start that passes, or that knows nothing yet (``unknown``
  before the first background refresh), is not news. The receiver is taken
  to assume health until told otherwise.

Each notice is scrubbed (:mod:`skiesish.scrubbing`) before it is signed and
sent, and every log line goes through the scrubbing ``skiesish`` logger.
See docs/notifications.md for the payload, the headers and how to verify
the signature.
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import hmac
import http.client
import json
import random
import ssl
import threading
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from . import __version__
from .durations import MAX_TIMEOUT, seconds
from .exceptions import ConfigurationError
from .health import Report
from .health.report import PASS, UNKNOWN
from .log import logger
from .responses import check_header
from .scrubbing import scrub, scrub_text

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Webhook"]

#: The header carrying ``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` when a secret is set.
SIGNATURE_HEADER = "X-Skiesish-Signature"
#: The header carrying the Unix time (whole seconds) at which this attempt was signed and sent.
TIMESTAMP_HEADER = "X-Skiesish-Timestamp"
#: The header carrying the notice's id, the same on every attempt (for receivers to drop repeats).
DELIVERY_HEADER = "X-Skiesish-Delivery"
#: Headers the webhook sets itself, which ``headers=`` may not replace.
OWN_HEADERS = frozenset(
    name.lower()
    for name in (
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        DELIVERY_HEADER,
        "Content-Type",
        "Content-Length",
        "Host",
    )
)
#: The most status changes one notice carries; older ones are counted in ``changes_dropped``.
MAX_CHANGES = 50
#: The most bytes of a receiver's error answer read (and logged, scrubbed).
MAX_ANSWER = 200
#: Answers other than 5xx that are worth another attempt (timeout, too early, too many requests).
RETRIED_STATUSES = frozenset({408, 425, 429})
#: The clock the gap between notices is measured by (a name of its own, so that tests can move it).
_clock = time.monotonic


class Webhook:
    """POST a JSON notice to ``url`` when the overall health changes; a health listener.

    Args:
        url: where to POST, ``http://`` or ``https://`` with a host (no
            ``user:password@``: put credentials in ``headers``).
        headers: added to every request, e.g. ``{"Authorization": "Bearer ..."}``.
        secret: when set, each request is signed: :data:`SIGNATURE_HEADER` is
            ``sha256=`` and the hex HMAC-SHA256, keyed with ``secret``, of the
            :data:`TIMESTAMP_HEADER` value, a ``.`` and the body.
        min_interval: seconds that must pass after a notice of trouble before
            the next one; changes meanwhile are coalesced into it. Recoveries
            are never held. ``0`` sends every change at once.
        timeout: seconds each socket operation of one attempt may take.
        attempts: tries per notice, the first included (1 to 20); only
            connection errors, timeouts, 5xx, 408, 425 and 429 are tried again.
        backoff: seconds before the second try, doubled for each later one
            (plus up to a quarter at random, so that many processes spread
            out), at most ``max_backoff``; a ``Retry-After`` in seconds is
            honoured up to ``max_backoff``.
        max_backoff: the longest wait between two tries.
        max_pending: notices waiting to be sent beyond this many drop the
            oldest, which is logged.
        service: a name for what is checked, put in every notice
            (``"service"``) and its ``text``.

    Raises:
        ConfigurationError: any argument is malformed or out of range.

    Example:
        >>> Webhook("https://hooks.example.com/health", secret=os.environ["HOOK_SECRET"], service="billing")
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secret: str | bytes | None = None,
        min_interval: float = 60.0,
        timeout: float = 5.0,
        attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_pending: int = 100,
        service: str | None = None,
    ) -> None:
        self._target = _parse_url(url)
        self.url = scrub_text(url)  # what logs and repr show
        self._headers = _extra_headers(headers)
        self._secret = _secret_bytes(secret)
        self.min_interval = float(
            seconds("Webhook(min_interval=...)", min_interval, maximum=86_400.0, allow_zero=True) or 0.0
        )
        self.timeout = float(seconds("Webhook(timeout=...)", timeout, maximum=MAX_TIMEOUT) or 0.0)
        self.attempts = _count("attempts", attempts, 20)
        self.backoff = float(
            seconds("Webhook(backoff=...)", backoff, maximum=3_600.0, allow_zero=True) or 0.0
        )
        self.max_backoff = float(
            seconds("Webhook(max_backoff=...)", max_backoff, maximum=3_600.0, allow_zero=True) or 0.0
        )
        self.max_pending = _count("max_pending", max_pending, 10_000)
        if service is not None and (not isinstance(service, str) or not service.strip()):
            raise ConfigurationError(f"Webhook(service=...) must be a non-empty string, got {service!r:.80}")
        self.service = service
        self._ssl = ssl.create_default_context() if self._target.scheme == "https" else None
        self._condition = threading.Condition()
        self._stop = threading.Event()
        self._outbox: collections.deque[_Notice] = collections.deque()
        self._is_sending = False
        self._is_closed = False
        self._thread: threading.Thread | None = None
        # What the receiver was last told (None: nothing yet), and what is held for it.
        self._status: str | None = None
        self._told: str | None = None
        self._latest: Report | None = None
        self._held: list[dict[str, Any]] = []
        self._dropped_changes = 0
        self._last_trouble_at: float | None = None

    def __repr__(self) -> str:
        return f"Webhook({self.url!r}, min_interval={self.min_interval:g})"

    # -- the listener ------------------------------------------------------

    def on_change(self, report: Report) -> None:
        """Take a change of the overall status; queue a notice if one is due (never blocks for long)."""
        with self._condition:
            if self._is_closed:
                return
            previous = self._status
            if previous is None and report.status in (PASS, UNKNOWN):
                # Not news: a start that passes, or knows nothing yet (which leaves no status behind,
                # so that the pass after it is not news either).
                self._status = None if report.status == UNKNOWN else PASS
                return
            self._status = report.status
            if previous == report.status:
                return
            self._latest = report
            self._held.append(
                {"status": report.status, "previous_status": previous, "timestamp": _iso(report.timestamp)}
            )
            if len(self._held) > MAX_CHANGES:
                del self._held[0]
                self._dropped_changes += 1
            self._release_due()
            self._condition.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every notice due now has been sent or given up on; ``False`` on timeout.

        A notice held by ``min_interval`` is not waited for, unless its gap has
        ended by now.
        """
        with self._condition:
            self._release_due()
            self._condition.notify_all()
            return self._condition.wait_for(lambda: not self._outbox and not self._is_sending, timeout)

    def close(self) -> None:
        """Stop: nothing more is queued or tried again; notices not yet sent are dropped (logged).

        Call :meth:`flush` first to send what is due. An attempt under way
        ends within ``timeout``.
        """
        with self._condition:
            self._is_closed = True
            if self._outbox:
                logger.warning("webhook %s closed with %d notices unsent", self.url, len(self._outbox))
                self._outbox.clear()
            self._stop.set()
            self._condition.notify_all()

    # -- deciding what to send ---------------------------------------------

    def _release_due(self) -> None:
        """Turn the held changes into a notice if one is due (the caller holds the lock)."""
        if not self._held or self._latest is None:
            return
        report = self._latest
        is_recovery = report.status == PASS and self._told not in (None, PASS)
        now = _clock()
        if not is_recovery and self._gap_left(now) > 0:
            return
        previous = self._told if self._told is not None else self._held[0]["previous_status"]
        payload = self._payload(report, previous, is_recovery)
        if not is_recovery:
            self._last_trouble_at = now
        self._told = report.status
        self._held = []
        self._dropped_changes = 0
        self._enqueue(_Notice(payload))

    def _gap_left(self, now: float) -> float:
        """Seconds until another notice of trouble may go out (0 or less: now)."""
        if self._last_trouble_at is None:
            return 0.0
        return self._last_trouble_at + self.min_interval - now

    def _payload(self, report: Report, previous: str | None, is_recovery: bool) -> dict[str, Any]:
        """The notice about ``report``, scrubbed (see docs/notifications.md for its keys)."""
        checks = [
            {
                "name": result.name,
                "status": result.status,
                "critical": result.critical,
                "output": result.output,
                "response_time": round(result.response_time, 6),
                "timestamp": _iso(result.timestamp),
                "since": None if result.status_since is None else _iso(result.status_since),
            }
            for result in report.results
            if result.status != PASS
        ]
        subject = self.service or "health"
        verb = "is back to" if is_recovery else "is now"
        text = f"{subject} {verb} {report.status} (was {previous or 'unknown'})"
        if checks:
            text += ": " + "; ".join(
                f"{check['name']} {check['status']}" + (f" ({check['output']})" if check["output"] else "")
                for check in checks
            )
        payload = {
            "id": str(uuid.uuid4()),
            "source": "skiesish",
            "service": self.service,
            "status": report.status,
            "previous_status": previous,
            "recovery": is_recovery,
            "timestamp": _iso(report.timestamp),
            "text": text,
            "checks": checks,
            "changes": self._held,
            "changes_dropped": self._dropped_changes,
        }
        scrubbed: dict[str, Any] = scrub(payload)
        return scrubbed

    def _enqueue(self, notice: _Notice) -> None:
        """Queue ``notice``; the oldest goes when full (the caller holds the lock)."""
        if len(self._outbox) >= self.max_pending:
            dropped = self._outbox.popleft()
            logger.warning(
                "webhook %s has %d notices waiting; dropped the oldest (status %s)",
                self.url,
                self.max_pending,
                dropped.payload["status"],
            )
        self._outbox.append(notice)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="skiesish-webhook", daemon=True)
            self._thread.start()

    # -- sending -----------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._condition:
                while True:
                    if self._is_closed:
                        return
                    self._release_due()
                    if self._outbox:
                        notice = self._outbox.popleft()
                        self._is_sending = True
                        break
                    wait = self._gap_left(_clock()) if self._held else None
                    self._condition.wait(None if wait is None else max(wait, 0.01))
            try:
                self._deliver(notice)
            except Exception:  # noqa: BLE001 - logged; the sender must outlive any one notice
                logger.exception("webhook %s: sending a notice failed", self.url)
            finally:
                with self._condition:
                    self._is_sending = False
                    self._condition.notify_all()

    def _deliver(self, notice: _Notice) -> bool:
        """Send ``notice``, trying again with backoff; whether the receiver took it."""
        for attempt in range(1, self.attempts + 1):
            failure = self._post(notice)
            if failure is None:
                return True
            reason, is_retried, retry_after = failure
            if not is_retried or attempt == self.attempts:
                logger.error(
                    "webhook %s: gave up on the %s notice after %d of %d attempts: %s",
                    self.url,
                    notice.payload["status"],
                    attempt,
                    self.attempts,
                    reason,
                )
                return False
            jitter = random.uniform(1.0, 1.25)  # spreads out the processes that all saw the same change
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1) * jitter)
            if retry_after is not None:
                delay = min(self.max_backoff, max(delay, retry_after))
            logger.warning(
                "webhook %s: attempt %d of %d failed (%s); trying again in %.1f s",
                self.url,
                attempt,
                self.attempts,
                reason,
                delay,
            )
            if self._stop.wait(delay):
                return False
        return False  # pragma: no cover - the loop always returns

    def _post(self, notice: _Notice) -> tuple[str, bool, float | None] | None:
        """One attempt: ``None`` if the receiver took it, else (why, whether to retry, Retry-After)."""
        target = self._target
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"skiesish/{__version__}",
            **self._headers,
            DELIVERY_HEADER: notice.payload["id"],
            TIMESTAMP_HEADER: stamp,
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, stamp, notice.body)
        connection: http.client.HTTPConnection
        if self._ssl is not None:
            connection = http.client.HTTPSConnection(
                target.host, target.port, timeout=self.timeout, context=self._ssl
            )
        else:
            connection = http.client.HTTPConnection(target.host, target.port, timeout=self.timeout)
        try:
            connection.request("POST", target.path, body=notice.body, headers=headers)
            response = connection.getresponse()
            answer = response.read(MAX_ANSWER).decode("utf-8", "replace")
            status, retry_after = response.status, response.getheader("Retry-After")
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}", True, None
        finally:
            connection.close()
        if 200 <= status < 300:
            return None
        reason = f"answered {status}" + (f": {answer.strip()}" if answer.strip() else "")
        is_retried = status >= 500 or status in RETRIED_STATUSES
        return reason, is_retried, _retry_after(retry_after)


class _Notice:
    """One notice: its payload (scrubbed) and the body bytes every attempt sends."""

    __slots__ = ("body", "payload")

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _Target:
    """Where a webhook POSTs: checked once, when it is built."""

    __slots__ = ("host", "path", "port", "scheme")

    def __init__(self, scheme: str, host: str, port: int | None, path: str) -> None:
        self.scheme, self.host, self.port, self.path = scheme, host, port, path


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The :data:`SIGNATURE_HEADER` value: ``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body``."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _parse_url(url: Any) -> _Target:
    """``url`` as a :class:`_Target`, or a ConfigurationError saying what is wrong with it."""
    if not isinstance(url, str):
        raise ConfigurationError(f"Webhook(url=...) must be a string, got {type(url).__name__}")
    shown = scrub_text(url)[:200]
    if any(ord(character) < 33 or ord(character) == 127 for character in url):
        raise ConfigurationError(f"Webhook(url=...) must hold no spaces or control characters, got {shown!r}")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ConfigurationError(f"Webhook(url=...) is not a valid URL ({error}): {shown!r}") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(
            "Webhook(url=...) must start with http:// or https://, got "
            f"{parts.scheme or 'no scheme'}: {shown!r}"
        )
    if not parts.hostname:
        raise ConfigurationError(f"Webhook(url=...) has no host: {shown!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            "Webhook(url=...) must not hold user:password@ (it would not be sent); pass "
            f"headers={{'Authorization': ...}} instead: {shown!r}"
        )
    if parts.fragment:
        raise ConfigurationError(f"Webhook(url=...) must have no #fragment: {shown!r}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.scheme, parts.hostname, port, path)


def _extra_headers(headers: Any) -> dict[str, str]:
    """``headers`` checked as request headers the webhook does not set itself."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise ConfigurationError(f"Webhook(headers=...) must be a dict, got {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() in OWN_HEADERS:
            raise ConfigurationError(f"Webhook(headers=...) may not set {name}: the webhook sets it itself")
        try:
            checked.update([check_header(name, value)])
        except ValueError as error:
            raise ConfigurationError(f"Webhook(headers=...): {scrub_text(str(error))}") from None
    return checked


def _secret_bytes(secret: Any) -> bytes | None:
    """``secret`` as the HMAC key, or a ConfigurationError (never showing it)."""
    if secret is None:
        return None
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes):
        raise ConfigurationError(f"Webhook(secret=...) must be str or bytes, got {type(secret).__name__}")
    if len(secret) < 16:
        raise ConfigurationError(
            f"Webhook(secret=...) must be at least 16 bytes long to resist guessing, got {len(secret)}"
        )
    return secret


def _count(key: str, value: Any, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ConfigurationError(
            f"Webhook({key}=...) must be a whole number from 1 to {maximum}, got {value!r:.80}"
        )
    return value


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` given in seconds, else ``None`` (an HTTP date is not worth the parsing)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _iso(moment: datetime.datetime) -> str:
    """``moment`` in ISO 8601, UTC, to the millisecond, with a ``Z``."""
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
