"""``manage.py health_check ENDPOINT [ADDRPORT]``: probe a ``HealthCheckView`` once; exit 0, 1 or 2.

As django-health-check's command: it asks the running server for the
URL named ``ENDPOINT`` (``Accept: text/plain``) and prints the answer, or,
with ``--no-http``, runs that view's checks in this process. It exits ``0``
when every check passes, ``1`` when one fails, and ``2`` when the answer
cannot be had: the name resolves to no URL, the server is unreachable,
times out or answers anything but ``200`` or ``500``, or (``--no-http``) the
URL is not served by a ``HealthCheckView``.

Example:
    $ python manage.py health_check health_check 127.0.0.1:8000 --timeout 3
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from typing import Any, NoReturn

from django.conf import settings  # type: ignore[import-untyped, unused-ignore]
from django.core.management.base import BaseCommand  # type: ignore[import-untyped, unused-ignore]
from django.urls import NoReverseMatch, Resolver404, resolve, reverse  # type: ignore[import-untyped, unused-ignore]

from skiesish.scrubbing import scrub_text

from ...views import HealthCheckView

__all__ = ["Command"]

#: The most bytes of the server's answer that are read and printed.
MAX_ANSWER_BYTES = 1_000_000
#: The longest ``--timeout`` accepted, in seconds.
MAX_TIMEOUT_SECONDS = 600


def _seconds(value: str) -> int:
    """``--timeout``: whole seconds from 1 to :data:`MAX_TIMEOUT_SECONDS`."""
    try:
        seconds = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole seconds, like 5; got {value!r}") from None
    if not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_TIMEOUT_SECONDS} seconds, got {seconds}")
    return seconds


class Command(BaseCommand):  # type: ignore[misc, unused-ignore]
    help = "Run health checks and exit 0 if everything went well (1 if not, 2 if they could not be run)."

    @property
    def default_forwarded_host(self) -> str | None:
        """The first of ``ALLOWED_HOSTS`` (without a leading dot), unless it is ``*``."""
        hosts = settings.ALLOWED_HOSTS
        return str(hosts[0]).strip(".") if hosts and hosts[0] != "*" else None

    @property
    def default_addrport(self) -> str:
        """``$HOST:$PORT``, by default ``127.0.0.1:8000``."""
        return f"{os.getenv('HOST', '127.0.0.1')}:{os.getenv('PORT', '8000')}"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("endpoint", type=str, help="URL-pattern name of health check endpoint to test")
        parser.add_argument(
            "addrport",
            nargs="?",
            type=str,
            default=self.default_addrport,
            help=f"Optional port number, or ipaddr:port (default: {self.default_addrport})",
        )
        parser.add_argument(
            "--forwarded-host",
            type=str,
            default=self.default_forwarded_host,
            help=f"Value for X-Forwarded-Host header (default: {self.default_forwarded_host})",
        )
        parser.add_argument(
            "--forwarded-proto",
            type=str,
            choices=["http", "https"],
            default="https",
            help="Value for X-Forwarded-Proto header (default: https)",
        )
        parser.add_argument(
            "--timeout",
            type=_seconds,
            default=5,
            help="Timeout in seconds for the health check request (default: 5 seconds)",
        )
        http = parser.add_mutually_exclusive_group()
        http.add_argument(
            "--http",
            action="store_true",
            dest="use_http",
            default=True,
            help="Run checks via HTTP server (default)",
        )
        http.add_argument(
            "--no-http", action="store_false", dest="use_http", help="Run checks directly without HTTP server"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        endpoint = options["endpoint"]
        try:
            path = reverse(endpoint)
        except NoReverseMatch as error:
            self._fail(
                f"Could not resolve endpoint {endpoint!r}: {error}\n"
                "Please provide a valid URL pattern name for the health check endpoint."
            )
        if not options.get("use_http", True):
            self._run_here(path)
        self._ask_server(path, options)

    def _run_here(self, path: str) -> NoReturn:
        """Run the checks of the view at ``path`` in this process; print one line per check, then exit."""
        try:
            view = resolve(path).func
        except Resolver404:
            self._fail(f"{path!r} resolves to no view")
        view_class = getattr(view, "view_class", None)
        if not (isinstance(view_class, type) and issubclass(view_class, HealthCheckView)):
            self._fail(f"{path!r} is not served by a HealthCheckView, whose checks --no-http runs")
        results = view_class(**view.view_initkwargs).run_checks()
        for result in results:
            self.stdout.write(f"{result.label}: {'OK' if result.error is None else result.error}")
        sys.exit(int(any(result.error is not None for result in results)))

    def _ask_server(self, path: str, options: dict[str, Any]) -> None:
        """GET ``path`` from the server and print its answer; exit 1 for a 500, 2 when there is none."""
        addrport = options["addrport"]
        secure = settings.SECURE_SSL_REDIRECT and not settings.USE_X_FORWARDED_HOST
        url = f"{'https' if secure else 'http'}://{addrport}{path}"
        headers = {"Accept": "text/plain"}
        if options.get("forwarded_host"):
            headers["X-Forwarded-Host"] = options["forwarded_host"]
        if options.get("forwarded_proto"):
            headers["X-Forwarded-Proto"] = options["forwarded_proto"]
        if options.get("verbosity", 1) >= 2:
            self.stdout.write(f"Checking health endpoint at {url!r} with headers: {headers}")
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=options["timeout"])
        except urllib.error.HTTPError as error:
            if error.code == 500:  # the checks ran and one failed
                self.stdout.write(_read(error))
                sys.exit(1)
            if error.code == 400:
                self._fail(
                    f"{url!r} is not reachable: {error.reason}\n"
                    "Please check your ALLOWED_HOSTS setting or use the --forwarded-host option."
                )
            self._fail(
                f"Unexpected HTTP error when trying to reach {url!r}: {error}\n"
                f"You may have selected an invalid endpoint {options['endpoint']!r} "
                f"or another application is running on {addrport!r}."
            )
        except urllib.error.URLError as error:
            self._fail(
                f"{url!r} is not reachable: {error.reason}\n"
                "Please check your server is running and reachable."
            )
        except TimeoutError as error:
            self._fail(f"Timeout when trying to reach {url!r}: {error}")
        try:
            self.stdout.write(_read(response))
        finally:
            response.close()

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(scrub_text(message))
        sys.exit(2)


def _read(response: Any) -> str:
    """The answer's body, at most :data:`MAX_ANSWER_BYTES` of it, as text."""
    body = response.read(MAX_ANSWER_BYTES)
    return body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
