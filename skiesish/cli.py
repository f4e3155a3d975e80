"""The ``skiesish`` command.

``skiesish serve MODULE:ATTR`` runs an application under waitress;
``skiesish check MODULE:ATTR`` and ``skiesish check --url URL`` probe one and
exit 0 (healthy) or 1 (unhealthy), for Docker's ``HEALTHCHECK`` and
Kubernetes exec probes. Only the standard library is imported before a
command needs more.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import FrameType
    from typing import Any

__all__ = ["main"]


def load_application(target: str) -> Any:
    """Import ``MODULE:ATTR`` (or ``MODULE.ATTR``) from the current directory.

    Raises:
        SystemExit: with a message saying what could not be found.
    """
    if ":" not in target:
        raise SystemExit(
            f"skiesish: expected MODULE:ATTR, like examples.health_demo:application; got {target!r}"
        )
    import pkgutil

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return pkgutil.resolve_name(target)
    except (ImportError, AttributeError, ValueError) as error:
        raise SystemExit(f"skiesish: cannot load {target!r}: {type(error).__name__}: {error}") from None


def serve(target: str, listen: str, threads: int, drain: float = 0.0) -> int:
    """Serve the WSGI application ``target`` with waitress until SIGTERM or SIGINT.

    On the first signal readiness starts failing (``service_state``); with
    ``drain`` the server keeps answering that long, so load balancers and
    Kubernetes stop sending traffic, and then stops. A second signal stops
    it at once.
    """
    import logging
    import signal
    import threading

    from waitress.server import create_server

    logger = logging.getLogger("skiesish")
    application = load_application(target)
    if not callable(application):
        raise SystemExit(f"skiesish: {target!r} is a {type(application).__name__}, not a WSGI application")
    server = create_server(application, listen=listen, threads=threads)
    state = _service_state(application)

    def stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if state is not None and not state.is_draining:
            state.start_draining()
            if drain > 0:
                logger.info("received %s, answering for %g s more before shutting down", name, drain)
                timer = threading.Timer(drain, os.kill, (os.getpid(), signal.SIGTERM))
                timer.daemon = True
                timer.start()
                return
        logger.info("received %s, shutting down", name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.print_listen("skiesish serving on http://{}:{}")
        server.run()
    finally:
        server.close()
        close = getattr(application, "close", None)
        if callable(close):
            close()
    return 0


def _service_state(application: Any) -> Any:
    """The application's readiness switch, if it is a skiesish context."""
    di = getattr(application, "di", None)
    if di is None or not di.can_provide("service_state"):
        return None
    return di.build_from_name("service_state")


def check(target: str | None, path: str, url: str | None, timeout: float) -> int:
    """Probe once, print one summary line, and return 0 (healthy) or 1 (unhealthy)."""
    if url is not None:
        from .probe_client import probe_url

        try:
            healthy, summary = probe_url(url, timeout)
        except ValueError as error:
            print(f"skiesish: {error}", file=sys.stderr)
            return 1
        print(summary)
        return 0 if healthy else 1
    try:
        application = load_application(str(target))
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 1
    respond = getattr(application, "respond", None)
    if not callable(respond):
        print(f"skiesish: {target!r} is not a skiesish context (contexts.wsgi(...))", file=sys.stderr)
        return 1
    import urllib.parse

    from .input_outputs import InputOutput

    request_path, _, query = path.partition("?")
    response = respond(InputOutput("GET", request_path, urllib.parse.parse_qs(query)))
    healthy = 200 <= response.status_code < 400
    print(f"{'healthy' if healthy else 'unhealthy'}: {target} GET {path} -> {response.status_line}")
    close = getattr(application, "close", None)
    if callable(close):
        close()
    return 0 if healthy else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skiesish`` command."""
    import argparse

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
    serve_parser.add_argument(
        "--drain",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="after SIGTERM, keep answering (with readiness failing) this long before stopping (default 0)",
    )
    check_parser = commands.add_parser(
        "check",
        help="probe an application once; exit 0 if healthy, 1 if not",
        description=(
            "Probe MODULE:ATTR in process (no server needed), or a running server with --url. "
            "Prints one summary line; exits 0 when healthy (2xx/3xx) and 1 otherwise, as Docker's "
            "HEALTHCHECK and Kubernetes exec probes expect."
        ),
    )
    check_parser.add_argument(
        "target", nargs="?", metavar="MODULE:ATTR", help="the application to probe in process"
    )
    check_parser.add_argument("--path", default="/", help="the path to ask for, e.g. /readyz (default /)")
    check_parser.add_argument(
        "--url", help="probe a running server over HTTP instead, e.g. http://127.0.0.1:9090/readyz"
    )
    check_parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="with --url, give up after this long (default 5)",
    )
    return parser


def _quick_url_check(argv: list[str]) -> tuple[str, float] | None:
    """Read ``check --url URL [--timeout N]`` without argparse, whose import costs a probe time.

    Anything else (``--help``, other options, bad values) returns ``None`` and
    goes through the full parser and its messages.
    """
    if len(argv) not in (3, 5) or argv[0] != "check" or argv[1] != "--url" or argv[2].startswith("-"):
        return None
    if len(argv) == 3:
        return argv[2], 5.0
    if argv[3] != "--timeout":
        return None
    try:
        return argv[2], float(argv[4])
    except ValueError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``skiesish`` and ``python -m skiesish``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    quick = _quick_url_check(argv)
    if quick is not None:
        return check(None, "/", *quick)
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command == "check":
        if (arguments.target is None) == (arguments.url is None):
            parser.error("check needs either MODULE:ATTR or --url URL")
        if arguments.url is None:  # an in-process probe: keep its logs to errors
            import logging

            logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
        return check(arguments.target, arguments.path, arguments.url, arguments.timeout)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve(arguments.target, arguments.listen, arguments.threads, arguments.drain)
