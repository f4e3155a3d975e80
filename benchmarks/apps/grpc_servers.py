"""The two gRPC health servers of ``benchmarks/grpc_check.py``, each a sync ``grpc.Server`` with N threads.

    python benchmarks/apps/grpc_servers.py bare|skiesish PORT THREADS

- ``bare``: grpcio-health-checking's own ``HealthServicer``, the status of
  ``""`` set once to SERVING: the upper limit, a stored value answered;
- ``skiesish``: :func:`skiesish.integrations.grpc.add_health_servicer` on a
  HealthCheck with one passing check (``memory_backend``'s ping), whose
  cached result answers every call after the first.
"""

from __future__ import annotations

import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def main() -> None:
    kind, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    server = grpc.server(ThreadPoolExecutor(max_workers=threads), options=[("grpc.so_reuseport", 0)])
    if kind == "bare":
        servicer = health.HealthServicer()
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    else:
        import skiesish
        from skiesish.integrations.grpc import add_health_servicer

        context = skiesish.contexts.wsgi(
            skiesish.Application(skiesish.handlers.HealthCheck, {"services": ["memory_backend"]})
        )
        add_health_servicer(server, context)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    server.stop(0).wait()


if __name__ == "__main__":
    main()
