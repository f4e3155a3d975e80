"""Call one app module's WSGI ``application`` in process, as a server would, a given number of times.

    python call_app.py MODULE [--path /health] [--warmup 1000] [--calls 2000]

Run from ``benchmarks/`` by ``instructions.py`` under callgrind, with either
virtualenv: standard library only besides the app. Each call gets the same
GET environ (``wsgiref``'s defaults plus a probe's ``User-Agent`` and
``Accept``); the body is read to the end and ``close()`` called when there is
one. Prints the last answer's status line and body length.
"""

from __future__ import annotations

import argparse
import importlib
import io
import sys
import wsgiref.util
from typing import Any


def environ(path: str) -> dict[str, Any]:
    """A GET of ``path`` from a Kubernetes probe."""
    request: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "HTTP_USER_AGENT": "kube-probe/1.31",
        "HTTP_ACCEPT": "*/*",
        "wsgi.input": io.BytesIO(b""),
    }
    wsgiref.util.setup_testing_defaults(request)
    return request


def main(argv: list[str]) -> None:
    """Import the app, call it ``--warmup`` then ``--calls`` times, say what it answered."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="e.g. apps.bare; it must expose a WSGI `application`")
    parser.add_argument("--path", default="/health", help="the request's PATH_INFO")
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=2000)
    arguments = parser.parse_args(argv)
    application = importlib.import_module(arguments.module).application
    request = environ(arguments.path)
    answer: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer[:] = [status]

    size = 0
    for _ in range(arguments.warmup + arguments.calls):
        body = application(dict(request), start_response)
        size = sum(len(chunk) for chunk in body)
        close = getattr(body, "close", None)
        if close is not None:
            close()
    print(f"{answer[0] if answer else 'no answer'}, {size} B")


if __name__ == "__main__":
    main(sys.argv[1:])
