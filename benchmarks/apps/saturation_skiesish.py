"""skiesish's probes behind a tiny dispatcher with routes that pin or block a worker (``saturation.py``).

- ``/slow`` sleeps 5 s, ``/slow/S`` sleeps ``S`` seconds: one worker pinned.
  (In the path, not the query: the harness's client sends the path only.)
- ``/block`` appends its start (``time.time()``) to ``$BENCH_BLOCK_FILE``,
  then waits on an Event nobody sets, looking every 50 ms for
  ``$BENCH_RELEASE_FILE``: one worker wedged until that file exists (120 s
  at most, so that a forgotten server frees its workers in the end).
- anything else: ``skiesish.contexts.wsgi(skiesish.probes())``.

Served by ``skiesish serve`` (and by ``apps/saturation_heartbeats.py``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import skiesish

__all__ = ["BLOCK_FILE_ENV", "RELEASE_FILE_ENV", "application"]

BLOCK_FILE_ENV = "BENCH_BLOCK_FILE"
RELEASE_FILE_ENV = "BENCH_RELEASE_FILE"
SLOW_SECONDS = 5.0
BLOCK_LIMIT = 120.0
RELEASE_POLL = 0.05

probes = skiesish.contexts.wsgi(skiesish.probes())
never_set = threading.Event()


def _text(start_response: Callable[..., Any], body: bytes) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Sleep the seconds after ``/slow/`` (5 without), then answer."""
    seconds = float(environ.get("PATH_INFO", "").removeprefix("/slow").strip("/") or SLOW_SECONDS)
    time.sleep(seconds)
    return _text(start_response, f"slept {seconds:g} s\n".encode())


def block(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Record the start, then wait until the release file exists."""
    started = time.time()
    block_file, release_file = os.environ.get(BLOCK_FILE_ENV), os.environ.get(RELEASE_FILE_ENV)
    if block_file:
        with open(block_file, "a", encoding="ascii") as blocked:
            blocked.write(f"{started:.6f}\n")
    while time.time() - started < BLOCK_LIMIT and not (release_file and os.path.exists(release_file)):
        never_set.wait(RELEASE_POLL)
    return _text(start_response, f"released after {time.time() - started:.2f} s\n".encode())


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``/slow`` and ``/block`` here; everything else to skiesish's probes."""
    path = environ.get("PATH_INFO", "")
    if path == "/slow" or path.startswith("/slow/"):
        return slow(environ, start_response)
    if path == "/block":
        return block(environ, start_response)
    return probes(environ, start_response)
