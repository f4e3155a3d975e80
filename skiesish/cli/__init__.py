"""The ``skiesish`` command.

``skiesish serve MODULE:ATTR`` runs an application under waitress;
``skiesish check MODULE:ATTR``, ``skiesish check --url URL``,
``skiesish check --grpc HOST:PORT`` and ``skiesish check --heartbeat PATH`` probe one and
exit 0 (healthy) or 1 (unhealthy), for Docker's ``HEALTHCHECK`` and
Kubernetes exec probes. A mistake on the command line exits 2 with one
sentence saying what was expected and what arrived.

Only the standard library is imported before a command needs more, and
``check --url URL [--timeout N]`` and ``check --heartbeat PATH [--max-age N]``
take a path of their own past argparse, so that a probe starts about as fast
as Python itself.
"""

from __future__ import annotations

import sys

from .check import (
    add_check_parser,
    check,
    check_heartbeat,
    quick_heartbeat_check,
    quick_url_check,
    validate_check,
)
from .output import scrub_line

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skiesish`` command (values are validated by :func:`main`)."""
    return _build_parsers()[0]


def _build_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The command's parser, and each subcommand's by name (for their error messages)."""
    import argparse

    from .. import __version__
    from .serve import add_serve_parser

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            self.print_usage(sys.stderr)
            self.exit(2, f"{self.prog}: error: {scrub_line(message)}\n")

    parser = Parser(prog="skiesish", description="Run skiesish applications.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    return parser, {"serve": add_serve_parser(commands), "check": add_check_parser(commands)}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``skiesish`` and ``python -m skiesish``: 0 healthy, 1 unhealthy, 2 a usage error."""
    argv = sys.argv[1:] if argv is None else list(argv)
    quick = quick_url_check(argv)
    if quick is not None:
        return check(None, "/", *quick)
    beat = quick_heartbeat_check(argv)
    if beat is not None:
        return check_heartbeat(*beat)
    parser, command_parsers = _build_parsers()
    arguments = parser.parse_args(argv)
    from .serve import validate_serve

    try:
        (validate_check if arguments.command == "check" else validate_serve)(arguments)
    except ValueError as error:
        command_parsers[arguments.command].error(str(error))
    import logging

    if arguments.command == "check":
        # an in-process probe keeps its logs to errors
        logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
        return check(
            arguments.target,
            arguments.path,
            arguments.url,
            arguments.timeout,
            verbose=arguments.verbose,
            grpc=arguments.grpc,
            service=arguments.service,
            heartbeat=arguments.heartbeat,
            max_age=arguments.max_age,
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from .serve import serve

    return serve(
        arguments.target,
        arguments.listen,
        arguments.threads,
        arguments.drain,
        connection_limit=arguments.connection_limit,
        channel_timeout=arguments.channel_timeout,
        backlog=arguments.backlog,
        use_poll=arguments.asyncore_use_poll,
        probe_listen=arguments.probe_listen,
        probes=arguments.probes,
        stall_after=arguments.stall_after,
        grpc_listen=arguments.grpc_listen,
    )
