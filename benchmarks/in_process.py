"""The framework's own cost per cached probe, in process, against a bare WSGI function.

Calls each WSGI callable directly (no server, no sockets) N times with
``timeit`` and prints microseconds per call: the bare function returning the
same bytes, and skiesish's HealthCheck on ``memory_backend`` answering from
its cache. The difference is what skiesish adds to every probe.

    .venv/bin/python benchmarks/in_process.py [--calls 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import timeit

import skiesish

BODY = b'{"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}'
HEADERS = [
    ("Content-Type", "application/json; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Content-Length", str(len(BODY))),
]


def bare(environ, start_response):
    start_response("200 OK", list(HEADERS))
    return [BODY]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    application = skiesish.contexts.wsgi(
        skiesish.Application(skiesish.handlers.HealthCheck, {"services": ["memory_backend"]})
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(),
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "kube-probe/1.31",
        "HTTP_ACCEPT": "*/*",
    }

    def start_response(status, headers, exc_info=None):
        return None

    results = {}
    for name, app in (("bare WSGI function", bare), ("skiesish HealthCheck (cached)", application)):
        app(environ, start_response)
        timings = timeit.repeat(
            lambda app=app: app(environ, start_response), number=arguments.calls, repeat=arguments.runs
        )
        results[name] = statistics.median(timings) / arguments.calls * 1e6
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}; median of {arguments.runs} runs "
        f"of {arguments.calls:,} calls.\n"
    )
    print("| WSGI callable | µs per call |")
    print("|---|---:|")
    for name, microseconds in results.items():
        print(f"| {name} | {microseconds:.2f} |")
    added = results["skiesish HealthCheck (cached)"] - results["bare WSGI function"]
    print(f"\nskiesish adds {added:.2f} µs per cached probe.")


if __name__ == "__main__":
    main()
