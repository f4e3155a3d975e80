"""A gRPC server whose health service (grpc.health.v1) answers from skiesish's checks.

    python -m examples.grpc_health --listen 127.0.0.1:50051 --drain 5

Kubernetes probes it with ``grpc:`` probes (docs/grpc.md); so can
``skiesish check --grpc 127.0.0.1:50051`` and ``grpc_health_probe``.

- ``""`` (what a probe asks by default) and ``"ready"`` pass while the
  database answers ``SELECT 1`` (SQLite by default, ``DATABASE_URL`` if set);
- ``"live"`` runs no check: the process answering is the proof;
- on SIGTERM every service turns ``NOT_SERVING`` at once (watchers are told),
  the server keeps answering for ``--drain`` seconds so that clients and
  Kubernetes move away, and only then stops.

Add your own servicers to ``server`` in :func:`serve` as usual.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import signal
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc

import skiesish
from skiesish.backends import ConnectionDetails
from skiesish.integrations.grpc import add_health_servicer

DATABASE_URL = os.environ.get(
    "DATABASE_URL", f"sqlite:///{pathlib.Path(tempfile.gettempdir()) / 'skiesish-grpc.sqlite3'}"
)

#: One context: an HTTP endpoint served from it (skiesish.contexts.wsgi) would share the engine and cache.
health = skiesish.contexts.wsgi(
    skiesish.probes(ready=[skiesish.checks.sql()], timeout=2),
    bindings={"connection_details": ConnectionDetails.from_url(DATABASE_URL)},
)


def serve(listen: str, drain: float) -> None:
    """Serve on ``listen`` until SIGTERM or SIGINT; then NOT_SERVING for ``drain`` seconds, then stop."""
    server = grpc.server(ThreadPoolExecutor(max_workers=16), options=[("grpc.so_reuseport", 0)])
    # add_YourServiceServicer_to_server(YourService(), server)
    servicer = add_health_servicer(server, health)
    port = server.add_insecure_port(listen)
    server.start()
    print(f"serving gRPC on {listen.rsplit(':', 1)[0]}:{port}", flush=True)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    stop.wait()
    servicer.enter_graceful_shutdown()  # clients and Kubernetes see NOT_SERVING first
    print(f"shutting down: NOT_SERVING for {drain:g} s", flush=True)
    threading.Event().wait(drain)
    servicer.end_watches()
    server.stop(grace=2).wait()
    servicer.close()
    health.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:50051", metavar="HOST:PORT")
    parser.add_argument("--drain", type=float, default=5.0, metavar="SECONDS")
    arguments = parser.parse_args()
    serve(arguments.listen, arguments.drain)


if __name__ == "__main__":
    main()
