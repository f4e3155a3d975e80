"""What the ready-made checks share: timing, options, and optional imports."""

from __future__ import annotations

import ipaddress
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection
from typing import Any

from ..durations import MAX_TIMEOUT, seconds
from ..exceptions import ConfigurationError, HealthError
from ..extras import import_extra
from ..health import Check
from ..scrubbing import scrub_text

__all__ = [
    "DEFAULT_SOCKET_TIMEOUT",
    "Deadline",
    "Lazy",
    "bounded_by",
    "build_check",
    "check_timeout",
    "counted",
    "default_name",
    "import_extra",
    "is_ip_address",
    "latency",
    "network_url",
]

#: Seconds a ready-made check waits on a socket (connect, and each read) by default.
DEFAULT_SOCKET_TIMEOUT = 2.0


def check_timeout(kind: str, timeout: Any) -> float:
    """Return ``timeout`` as seconds, or raise ``ConfigurationError`` naming the check."""
    return float(seconds(f"{kind}(): timeout", timeout, maximum=MAX_TIMEOUT))  # type: ignore[arg-type]


def default_name(kind: str, host: str | None, port: int | None, path: str = "") -> str:
    """A ready-made check's default name: ``kind:host:port/path``, never with credentials.

    Built from the parts of a URL that say *where* (host, port, and the path,
    database or virtual host that tells two checks on one server apart), never
    from its user name, password or query. If even the path looks like it holds
    a secret (a webhook token, say), it is left out.

    Example:
        >>> default_name("redis", "cache", 6379, "/1")
        'redis:cache:6379/1'
    """
    where = f"[{host}]" if host and ":" in host else (host or "")
    name = f"{kind}:{where}" + (f":{port}" if port else "")
    with_path = name + (path if not path or path.startswith("/") else "/" + path)
    return with_path if scrub_text(with_path) == with_path else name


def network_url(url: Any, schemes: Collection[str]) -> urllib.parse.SplitResult | None:
    """``url`` split, if it is a string with one of ``schemes``, a host and a readable port; else ``None``.

    Example:
        >>> network_url("nats://127.0.0.1:4222", {"nats"}).port
        4222
        >>> network_url("nats://127.0.0.1:99999", {"nats"}) is None
        True
    """
    if not isinstance(url, str):
        return None
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError when the port is not a number from 0 to 65535
    except ValueError:
        return None
    return parts if parts.scheme in schemes and parts.hostname else None


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless ``count`` is 1: ``counted(3, "message")`` is ``'3 messages'``."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def latency(started: float) -> str:
    """The time since ``started`` (a ``perf_counter()`` value), as the checks report it."""
    return f"{(time.perf_counter() - started) * 1000:.1f} ms"


def build_check(func: Callable[..., Any], name: str, check_options: dict[str, Any]) -> Check:
    """Wrap ``func`` as a Check called ``name``; ``check_options`` are Check's own arguments."""
    unknown = sorted(set(check_options) - {"timeout", "critical", "tags", "success_ttl", "failed_ttl"})
    if unknown:
        raise ConfigurationError(
            f"{name}: unknown argument(s) {', '.join(unknown)}; a check also takes timeout, critical, tags, "
            "success_ttl and failed_ttl"
        )
    return Check(func, name=name, **check_options)


def is_ip_address(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (bracketed or not), which connecting never looks up."""
    try:
        ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
    except ValueError:
        return False
    return True


def bounded_by(*timeouts: float, host: str | None) -> Callable[[float], bool]:
    """A ready-made check's ``runs_within(seconds)``: whether its own timeouts end a run before ``seconds``.

    The engine runs a check on the thread that asks for the report, sparing
    a thread hand-off, only when this says so for the run's deadline (see
    :mod:`skiesish.health.engine`). That holds when every step that waits
    on the dependency (connecting, each reply) gives up before the deadline,
    so that a dependency that stops answering at any step fails the run in
    time, and when no step can wait without a timeout: a host name is looked
    up by ``getaddrinfo``, which has none, so only an IP address (or no
    network host at all: ``host=None``, a Unix socket or a SQLite file) will do.

    Args:
        timeouts: the longest each waiting step of the check can take, in seconds.
        host: the host the check connects to, or ``None``.

    Example:
        >>> bounded_by(2.0, host="127.0.0.1")(5.0)
        True
        >>> bounded_by(2.0, host="db.internal")(5.0)
        False
    """
    longest = max(timeouts)
    is_looked_up = host is not None and not is_ip_address(host)

    def runs_within(seconds: float) -> bool:
        # Strictly before: a timeout equal to the deadline leaves no time for the rest of the run.
        return not is_looked_up and longest < seconds

    return runs_within


class Lazy:
    """A client (or backend) built on first use, once, however many threads ask; closed on request."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._value: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._factory()
        return self._value

    def close(self) -> None:
        with self._lock:
            value, self._value = self._value, None
        if value is not None:
            value.close()


class Deadline:
    """One budget of seconds shared by every step of one run of a check.

    A check that waits several times (connect, handshake, each reply) hands
    each step what is left, so that the whole run, not only each step, ends
    within ``seconds``.

    Example:
        >>> deadline = Deadline(2.0)
        >>> 0 < deadline.left("connecting") <= 2.0
        True
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self, step: str) -> float:
        """The seconds left for ``step``; raise ``HealthError`` naming it when none are."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise HealthError(f"timed out after {self.seconds:g} s {step}")
        return left
