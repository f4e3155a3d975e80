"""Both heartbeats on one waitress server: skiesish's counters and a canary task (prototype, benchmark only).

``saturation.py`` runs this as ``python -m apps.saturation_heartbeats
--threads N --stall-after S --port-file PATH`` (from ``benchmarks/``). It
serves ``apps.saturation_skiesish`` with waitress and watches the same
worker pool two ways:

- **counters** (what skiesish implements): ``ThreadPoolWatch.for_waitress``
  counts tasks started and finished; it fails after ``stall_after`` seconds
  without either while no worker is free.
- **canary** (the alternative, prototyped here only): every
  ``min(1, stall_after / 4)`` seconds, unless one is still waiting, a no-op
  task goes through waitress's own ``add_task`` into the same FIFO queue as
  requests; it fails once a canary has waited more than ``stall_after``
  seconds for a worker.

The canary is handed to ``add_task`` as it was before the counters wrapped
it, so a canary never counts as a request's progress.

A standard-library HTTP server on its own thread and port answers
``GET /state`` with both verdicts as JSON, so the pool's own state never
delays the answer. The port file gets ``{"main": PORT, "state": PORT}``.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from waitress.server import BaseWSGIServer, create_server

from apps.saturation_skiesish import application
from skiesish.probe_listener import ThreadPoolWatch, WorkerWatch

#: The longest pause between two canaries, as skiesish's own EventLoopWatch ticks.
MAX_CANARY_INTERVAL = 1.0


class CanaryWatch(WorkerWatch):
    """The heartbeat is how long a no-op task waits in waitress's queue before a worker runs it."""

    name = "canary"

    def __init__(self, dispatcher: Any, stall_after: float) -> None:
        super().__init__(stall_after)
        self.interval = min(MAX_CANARY_INTERVAL, self.stall_after / 4)
        self._add_task = dispatcher.add_task  # waitress's own, taken before any wrapper
        self._lock = threading.Lock()
        self._pushed_at: float | None = None
        self._last_wait = 0.0
        self._runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._push, name="canary", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()

    def _push(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                if self._pushed_at is not None:
                    continue  # the last canary still waits for a worker
                self._pushed_at = time.monotonic()
            self._add_task(_Canary(self))

    def ran(self) -> None:
        """A worker took the canary."""
        with self._lock:
            if self._pushed_at is not None:
                self._last_wait = time.monotonic() - self._pushed_at
            self._pushed_at = None
            self._runs += 1

    def state(self) -> tuple[bool, str]:
        with self._lock:
            pushed_at, last_wait, runs = self._pushed_at, self._last_wait, self._runs
        waiting = 0.0 if pushed_at is None else time.monotonic() - pushed_at
        if waiting > self.stall_after:
            return False, f"stalled: the canary has waited {waiting:.1f} s for a worker ({runs} ran)"
        return True, f"the last canary waited {last_wait * 1000:.0f} ms ({runs} ran)"


class _Canary:
    """A task that does nothing but tell its watch it ran."""

    def __init__(self, watch: CanaryWatch) -> None:
        self._watch = watch

    def service(self) -> None:
        self._watch.ran()

    def cancel(self) -> None:
        """Nothing to cancel (waitress calls this for tasks still queued at shutdown)."""


def state_server(watches: dict[str, WorkerWatch]) -> http.server.ThreadingHTTPServer:
    """An HTTP server answering ``GET /state`` with each watch's ``[passed, output]``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({name: watch.state() for name, watch in watches.items()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: polled every 50 ms."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--stall-after", type=float, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    arguments = parser.parse_args(argv)
    server = create_server(application, host="127.0.0.1", port=0, threads=arguments.threads)
    if not isinstance(server, BaseWSGIServer):
        raise SystemExit(f"expected one socket on 127.0.0.1, waitress made {type(server).__name__}")
    canary = CanaryWatch(server.task_dispatcher, arguments.stall_after)  # before the counters wrap add_task
    counters = ThreadPoolWatch.for_waitress(server, arguments.stall_after)
    states = state_server({"counters": counters, "canary": canary})
    threading.Thread(target=states.serve_forever, name="state", daemon=True).start()
    canary.start()
    ports = {"main": int(server.getsockname()[1]), "state": int(states.server_address[1])}
    partial = arguments.port_file.with_suffix(".partial")
    partial.write_text(json.dumps(ports), encoding="ascii")
    os.replace(partial, arguments.port_file)
    try:
        server.run()
    finally:
        canary.close()
        states.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
