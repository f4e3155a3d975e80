"""Checks that open a connection: a TCP port, an HTTP endpoint."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Container
from http.client import HTTPException
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from ..text import bounded
from .base import DEFAULT_SOCKET_TIMEOUT, bounded_by, build_check, check_timeout, default_name, latency

__all__ = ["http", "tcp"]


def tcp(
    host: str,
    port: int,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """Pass when ``host:port`` accepts a TCP connection within ``timeout`` seconds.

    When ``host`` is an IP address and ``timeout`` falls within the engine's
    deadline, the engine may run the check on the thread that asks for the
    report (see ``runs_within`` in :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> tcp("127.0.0.1", 5432)
    """
    if not isinstance(host, str) or not host:
        raise ConfigurationError(f"tcp(): host must be a non-empty string, got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigurationError(f"tcp(): port must be an int from 1 to 65535, got {port!r}")
    seconds = check_timeout("tcp", timeout)

    def check() -> tuple[bool, str]:
        started = time.perf_counter()
        try:
            socket.create_connection((host, port), timeout=seconds).close()
        except OSError as error:
            raise HealthError(f"cannot connect to {host}:{port}: {error}") from None
        return True, f"connected in {latency(started)}"

    check.runs_within = bounded_by(seconds, host=host)  # type: ignore[attr-defined]
    return build_check(check, name or default_name("tcp", host, port), check_options)


def http(
    url: str,
    expect_status: Container[int] = range(200, 400),
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """Pass when a GET of ``url`` answers, within ``timeout``, with a status in ``expect_status``.

    Redirects are not followed: a 3xx is judged as it is.

    Example:
        >>> http("http://127.0.0.1:8080/healthz", expect_status={200})
    """
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"http(): url must be an http:// or https:// URL, got {url!r}")
    seconds = check_timeout("http", timeout)
    opener = urllib.request.build_opener(_NoRedirect)

    def check() -> tuple[bool, str]:
        started = time.perf_counter()
        try:
            with opener.open(urllib.request.Request(url, method="GET"), timeout=seconds) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        except HTTPException as error:
            # The answer is not HTTP (BadStatusLine and the like quote it whole): say so, briefly.
            quoted = bounded(str(error), 60)
            raise HealthError(
                f"GET {url} failed: the answer is not HTTP ({type(error).__name__}: {quoted})"
            ) from None
        except (OSError, ValueError) as error:
            raise HealthError(f"GET {url} failed: {error}") from None
        if status not in expect_status:
            raise HealthError(f"GET {url} answered {status}, which is not an expected status")
        return True, f"{status} in {latency(started)}"

    return build_check(
        check, name or default_name("http", parts.hostname, parts.port, parts.path), check_options
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
