"""The ``skiesish`` command: ``skiesish serve MODULE:ATTR`` runs an application under waitress."""

from __future__ import annotations

import argparse
import logging
import os
import pkgutil
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

__all__ = ["main"]

logger = logging.getLogger("skiesish")


def load_application(target: str) -> Any:
    """Import ``MODULE:ATTR`` (or ``MODULE.ATTR``) from the current directory.

    Raises:
        SystemExit: with a message saying what could not be found.
    """
    if ":" not in target:
        raise SystemExit(
            f"skiesish: expected MODULE:ATTR, like examples.health_demo:application; got {target!r}"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return pkgutil.resolve_name(target)
    except (ImportError, AttributeError, ValueError) as error:
        raise SystemExit(f"skiesish: cannot load {target!r}: {type(error).__name__}: {error}") from None


def serve(target: str, listen: str, threads: int) -> int:
    """Serve the WSGI application ``target`` with waitress until SIGTERM or SIGINT."""
    from waitress.server import create_server

    application = load_application(target)
    if not callable(application):
        raise SystemExit(f"skiesish: {target!r} is a {type(application).__name__}, not a WSGI application")
    server = create_server(application, listen=listen, threads=threads)

    def stop(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s, shutting down", signal.Signals(signum).name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.print_listen("skiesish serving on http://{}:{}")
        server.run()
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    finally:
        server.close()
        close = getattr(application, "close", None)
        if callable(close):
            close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skiesish`` command."""
    parser = argparse.ArgumentParser(prog="skiesish", description="Run skiesish applications.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_parser = commands.add_parser(
        "serve",
        help="serve a WSGI application with waitress",
        description="Serve MODULE:ATTR with waitress; stops cleanly on SIGTERM or SIGINT.",
    )
    serve_parser.add_argument(
        "target", metavar="MODULE:ATTR", help="the WSGI application, e.g. myapp:application"
    )
    serve_parser.add_argument(
        "--listen",
        default="127.0.0.1:9090",
        metavar="HOST:PORT",
        help="where to listen (default 127.0.0.1:9090)",
    )
    serve_parser.add_argument("--threads", type=int, default=4, help="waitress worker threads (default 4)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``skiesish`` and ``python -m skiesish``."""
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if arguments.command == "serve":
        return serve(arguments.target, arguments.listen, arguments.threads)
    return 2  # pragma: no cover - argparse rejects unknown commands first
