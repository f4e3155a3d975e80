"""A small HTTP client for single timed requests and synchronised bursts (to 127.0.0.1 only)."""

from __future__ import annotations

import dataclasses
import http.client
import json
import threading
import time
import urllib.parse
from typing import Any

from .errors import BenchmarkError

__all__ = ["Answer", "burst", "fetch"]

BARRIER_TIMEOUT = 10.0


@dataclasses.dataclass(frozen=True)
class Answer:
    """One HTTP response and how long it took, connection included."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def status_line(self) -> str:
        """``"200 OK"``, as the server wrote it."""
        return f"{self.status} {self.reason}"

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` if it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.hostname != "127.0.0.1":
        raise BenchmarkError(f"refusing to send traffic anywhere but 127.0.0.1, got {url!r}")
    return http.client.HTTPConnection("127.0.0.1", parts.port, timeout=timeout), parts.path or "/"


def _exchange(connection: http.client.HTTPConnection, path: str, started: float) -> Answer:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    return Answer(
        status=response.status,
        reason=response.reason,
        headers=dict(response.getheaders()),
        body=body,
        seconds=time.perf_counter() - started,
    )


def fetch(url: str, timeout: float) -> Answer:
    """GET ``url`` on a fresh connection.

    Raises:
        BenchmarkError: no complete answer within ``timeout`` seconds, or the connection failed.
    """
    connection, path = _connection(url, timeout)
    started = time.perf_counter()
    try:
        return _exchange(connection, path, started)
    except TimeoutError as error:
        raise BenchmarkError(f"no answer within {timeout:g} s") from error
    except (OSError, http.client.HTTPException) as error:
        raise BenchmarkError(f"request failed: {type(error).__name__}: {error}") from error
    finally:
        connection.close()


def burst(url: str, count: int, timeout: float) -> list[Answer | BenchmarkError]:
    """Send ``count`` GETs at the same moment: each thread connects first, then all wait on a barrier.

    Returns one answer, or the error that replaced it, per request.
    """
    barrier = threading.Barrier(count)
    outcomes: list[Answer | BenchmarkError] = [BenchmarkError("the request did not finish")] * count

    def send(index: int) -> None:
        connection, path = _connection(url, timeout)
        try:
            connection.connect()
            barrier.wait(timeout=BARRIER_TIMEOUT)
            outcomes[index] = _exchange(connection, path, time.perf_counter())
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as error:
            outcomes[index] = BenchmarkError(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    give_up = time.monotonic() + BARRIER_TIMEOUT + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    return outcomes
