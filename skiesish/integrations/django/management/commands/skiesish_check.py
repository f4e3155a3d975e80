"""``manage.py skiesish_check``: probe once, in process or over HTTP; exit 0 healthy, 1 not, 2 a mistake.

In process (the default) it asks the ``SKIESISH`` checks through the same
application the views answer from, at ``--path`` (``/`` the full report,
``/livez``, ``/readyz``, ``/startupz``). With ``--url`` it GETs a running
server instead, as ``skiesish check --url`` does. It prints one line (and
with ``--verbose``, in process, one per check) and exits 0 when the answer is
2xx or 3xx, 1 otherwise (``SKIESISH`` in error included), and 2 for a mistake
on the command line or a server that cannot be reached: what Docker's
``HEALTHCHECK`` and Kubernetes exec probes expect.
"""

from __future__ import annotations

import logging
import sys
import urllib.parse
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError  # type: ignore[import-untyped]

from .....cli.arguments import seconds_option
from .....cli.check import DEFAULT_TIMEOUT, report_lines
from .....cli.output import scrub_line
from .....durations import MAX_TIMEOUT
from .....exceptions import ConfigurationError
from .....handlers.probes import PROBE_PATHS
from .....input_outputs import InputOutput
from .....log import logger
from .....probe_client import parse_url, probe_url
from ...application import health_context

__all__ = ["Command"]

#: The paths ``--path`` may name: the full report and each probe.
PATHS = ("/", *(f"/{path}" for path in PROBE_PATHS))
#: The exit status of an unhealthy answer, and of a mistake or an unreachable server.
UNHEALTHY, MISTAKE = 1, 2


class Command(BaseCommand):  # type: ignore[misc]
    """``manage.py skiesish_check [--url URL] [--path PATH] [--timeout S] [--verbose]``."""

    help = (
        "Probe the SKIESISH checks once, in process at --path (default /), or a running server at "
        "--url. Exits 0 when healthy (2xx/3xx), 1 when not, 2 for a mistake on the command line or "
        "a server that cannot be reached."
    )
    # A mistake in SKIESISH is this command's to report (exit 1), not the system checks' to stop it.
    requires_system_checks: ClassVar[list[str]] = []

    def add_arguments(self, parser: Any) -> None:
        """``--url``, ``--path``, ``--timeout`` and ``--verbose``."""
        parser.add_argument(
            "--url", help="probe a running server instead, e.g. http://127.0.0.1:8000/health/readyz"
        )
        parser.add_argument(
            "--path", help=f"in process, the path to ask: one of {', '.join(PATHS)} (default /)"
        )
        parser.add_argument(
            "--timeout",
            metavar="SECONDS",
            help=f"with --url, give up after this long in all (default {DEFAULT_TIMEOUT:g})",
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="in process, also print one line per check: its status and why",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Probe, print, and exit with the verdict's status."""
        url, path, timeout = options["url"], options["path"], options["timeout"]
        verbose = bool(options["verbose"])
        # As `skiesish check` does: the command's lines say what changed, so only errors are logged.
        logged = logger.level
        logger.setLevel(max(logged, logging.ERROR))
        try:
            if url is not None:
                healthy = self._probe_url(url, path, timeout, verbose)
            else:
                healthy = self._probe_in_process(_valid_path(path, timeout), verbose)
        except ValueError as error:
            raise CommandError(scrub_line(str(error)), returncode=MISTAKE) from None
        finally:
            logger.setLevel(logged)
        if not healthy:
            sys.exit(UNHEALTHY)

    def _probe_url(self, url: str, path: str | None, timeout: str | None, verbose: bool) -> bool:
        if path is not None:
            raise ValueError(
                f"--path goes without --url; with --url the path is in the URL, got --path {path!r}"
            )
        if verbose:
            raise ValueError("--verbose goes without --url; over HTTP only the status line is read")
        try:
            shown = parse_url(url).shown
        except ValueError as error:
            raise ValueError(f"--url: {error}") from None
        seconds = seconds_option(
            "--timeout", str(DEFAULT_TIMEOUT) if timeout is None else timeout, MAX_TIMEOUT
        )
        healthy, summary = probe_url(url, seconds)
        self.stdout.write(scrub_line(summary))
        if summary.startswith(f"unhealthy: GET {shown} failed: "):
            sys.exit(MISTAKE)  # nothing answered: no verdict on the application's health
        return healthy

    def _probe_in_process(self, path: str, verbose: bool) -> bool:
        try:
            context = health_context()
        except ConfigurationError as error:
            self.stderr.write(scrub_line(f"skiesish: {error}"))
            return False
        request_path, _, query = path.partition("?")
        response = context.respond(InputOutput("GET", request_path, urllib.parse.parse_qs(query)))
        healthy = 200 <= response.status_code < 400
        verdict = "healthy" if healthy else "unhealthy"
        self.stdout.write(scrub_line(f"{verdict}: skiesish GET {path} -> {response.status_line}"))
        if verbose:
            for line in report_lines(context, path):
                self.stdout.write(scrub_line(line))
        return healthy


def _valid_path(path: str | None, timeout: str | None) -> str:
    """``--path`` checked (``/`` when absent); ValueError says what was expected."""
    if timeout is not None:
        raise ValueError("--timeout goes with --url; in process, each check's deadline bounds the run")
    path = "/" if path is None else path
    if any(not "!" <= character <= "~" for character in path) or path.partition("?")[0] not in PATHS:
        raise ValueError(f"--path expects one of {', '.join(PATHS)} (a query may follow), got {path!r}")
    return path
