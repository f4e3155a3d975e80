"""Serve one app module under waitress on an ephemeral 127.0.0.1 port (run by ``run.py``, one per server).

Usage: ``python serve.py MODULE --threads N --port-file PATH``. The chosen port
is written to ``PATH`` once the socket is listening. Only the standard library
and waitress are imported here, so both virtualenvs can run it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from waitress.server import BaseWSGIServer, create_server


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Read the module to serve, the thread count and where to write the port."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module", help="e.g. apps.bare; it must expose `application`")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    return parser.parse_args(argv)


def write_port(path: Path, port: int) -> None:
    """Write ``port`` atomically, so the harness never reads half a number."""
    partial = path.with_suffix(".partial")
    partial.write_text(str(port), encoding="ascii")
    os.replace(partial, path)


def main(argv: list[str]) -> None:
    """Import the app, listen, publish the port and serve until terminated."""
    arguments = parse_arguments(argv)
    application = importlib.import_module(arguments.module).application
    server = create_server(
        application,
        host="127.0.0.1",
        port=0,
        threads=arguments.threads,
    )
    if not isinstance(server, BaseWSGIServer):
        raise SystemExit(f"expected one socket on 127.0.0.1, waitress made {type(server).__name__}")
    write_port(arguments.port_file, int(server.getsockname()[1]))
    server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
