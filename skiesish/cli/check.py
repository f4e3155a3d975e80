"""``skiesish check``: probe an application in process, a server or a heartbeat file, once."""

from __future__ import annotations

import sys

from .output import say

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    import argparse
    from typing import Any

__all__ = [
    "add_check_parser",
    "check",
    "check_heartbeat",
    "quick_heartbeat_check",
    "quick_url_check",
    "report_lines",
    "validate_check",
]

#: ``check --url``'s default timeout, in seconds.
DEFAULT_TIMEOUT = 5.0
# skiesish.durations.MAX_TIMEOUT, repeated because importing that module (typing, re) would add
# most of a probe's start-up again; tests/test_cli_check.py pins the two equal.
_QUICK_MAX_TIMEOUT = 600.0
# skiesish.heartbeat.DEFAULT_MAX_AGE and MAX_AGE, repeated so that `check --url` need not import that
# module; tests/test_heartbeat_cli.py pins them equal.
_DEFAULT_MAX_AGE = 60.0
_QUICK_MAX_AGE = 86_400.0


def check(
    target: str | None,
    path: str,
    url: str | None,
    timeout: float,
    *,
    verbose: bool = False,
    grpc: str | None = None,
    service: str = "",
    heartbeat: str | None = None,
    max_age: float = _DEFAULT_MAX_AGE,
) -> int:
    """Probe once, print one summary line (and with ``verbose`` one per check); 0 healthy, 1 not.

    ``url``, ``grpc``, ``heartbeat`` and their options must have passed the command's validation
    (:func:`main`). With ``grpc``, asks that server's ``grpc.health.v1.Health`` for ``service``;
    2 when grpcio is not installed. With ``heartbeat``, see :func:`check_heartbeat`.
    """
    if heartbeat is not None:
        return check_heartbeat(heartbeat, max_age)
    if grpc is not None:
        return _check_grpc(grpc, service, timeout)
    if url is not None:
        from ..probe_client import probe_url

        healthy, summary = probe_url(url, timeout)
        say(summary)
        return 0 if healthy else 1
    from .loading import close_application, load_application  # here: `check --url` needs neither

    try:
        application = load_application(str(target))
    except SystemExit as error:
        say(str(error), sys.stderr)
        return 1
    respond = getattr(application, "respond", None)
    if not callable(respond):
        say(f"skiesish: {target!r} is not a skiesish context (contexts.wsgi(...))", sys.stderr)
        return 1
    try:
        response = respond(_request(path))
        healthy = 200 <= response.status_code < 400
        say(f"{'healthy' if healthy else 'unhealthy'}: {target} GET {path} -> {response.status_line}")
        if verbose:
            for line in report_lines(application, path):
                say(line)
    finally:
        close_application(application)
    return 0 if healthy else 1


def _check_grpc(target: str, service: str, timeout: float) -> int:
    """``check --grpc``: one health ``Check`` call; 0 when ``SERVING``, 1 otherwise, 2 without grpcio."""
    from ..exceptions import MissingExtraError

    try:
        import grpc

        from ..integrations.grpc.client import ask
    except (ImportError, MissingExtraError) as error:
        say(f"skiesish check --grpc: {error}", sys.stderr)
        return 2
    shown = f"service {service!r}" if service else "the whole server"
    with grpc.insecure_channel(target) as channel:
        answer = ask(channel, service, timeout)
    verdict = "healthy" if answer.is_serving else "unhealthy"
    detail = f" ({answer.detail})" if answer.detail else ""
    took = f"{answer.milliseconds:.1f} ms"
    say(f"{verdict}: gRPC health of {shown} at {target} -> {answer.status}{detail} in {took}")
    return 0 if answer.is_serving else 1


def check_heartbeat(path: str, max_age: float) -> int:
    """``check --heartbeat PATH``: 0 when the file at ``path`` was modified at most ``max_age`` s ago.

    1 when it is older, missing or unreadable. The line printed names no path, so that it is
    made of plain words and spares the probe the scrubber's import.
    """
    from ..heartbeat import beat_age

    try:
        age = beat_age(path)
    except OSError as error:
        say(f"unhealthy: the heartbeat file cannot be read: {type(error).__name__}: {error.strerror}")
        return 1
    if age is None:
        say("unhealthy: no heartbeat file")
        return 1
    is_fresh = age <= max_age
    say(f"{'healthy' if is_fresh else 'unhealthy'}: last beat {age:.1f} s ago (stale after {max_age:g} s)")
    return 0 if is_fresh else 1


def _request(path: str) -> Any:
    import urllib.parse

    from ..input_outputs import InputOutput

    request_path, _, query = path.partition("?")
    return InputOutput("GET", request_path, urllib.parse.parse_qs(query))


def report_lines(application: Any, path: str) -> list[str]:
    """One line per check of the report ``application`` gives for GET ``path``: its status and reason.

    Asked after the answer, so checks whose results are still cached are not run again. A
    :class:`~skiesish.input_outputs.ClientError` (a path no probe or route takes) is an unhealthy
    line with its message.
    """
    from ..di.scope import request_scope
    from ..input_outputs import ClientError

    handler = getattr(application, "handler", None)
    input_output = _request(path)
    try:
        with request_scope(input_output):
            report = None if handler is None else handler.health_report(input_output)
    except ClientError as error:
        return [f"  unhealthy: {error.status_code} {error}"]
    except Exception as error:  # noqa: BLE001 - a handler's own failure still gets its line
        return [f"  unhealthy: the report failed: {type(error).__name__}: {error}"]
    if report is None:
        return [f"  no report: {type(handler).__name__} answers GET {path} without running checks"]
    lines = [
        f"  {result.status} {result.name}" + (f": {result.output}" if result.output else "")
        for result in report.results
    ]
    if not report.results:
        lines.append(f"  pass (GET {path} runs no checks)")
    if not report.is_complete:
        lines.append("  unknown: some checks have no result yet")
    return lines


def add_check_parser(commands: Any) -> argparse.ArgumentParser:
    check_parser: argparse.ArgumentParser = commands.add_parser(
        "check",
        help="probe an application once; exit 0 if healthy, 1 if not",
        description=(
            "Probe MODULE:ATTR in process (no server needed), a running server with --url or --grpc, "
            "or a worker's heartbeat file with --heartbeat. Prints one summary line; exits 0 when "
            "healthy (2xx/3xx, SERVING, a fresh beat), 1 otherwise, as Docker's HEALTHCHECK and "
            "Kubernetes exec probes expect, and 2 for a mistake on the command line."
        ),
    )
    check_parser.add_argument(
        "target", nargs="?", metavar="MODULE:ATTR", help="the application to probe in process"
    )
    check_parser.add_argument("--path", help="with MODULE:ATTR, the path to GET, like /readyz (default /)")
    check_parser.add_argument(
        "--verbose",
        action="store_true",
        help="with MODULE:ATTR, also print one line per check: its status and why",
    )
    check_parser.add_argument(
        "--url", help="probe a running server over HTTP instead, e.g. http://127.0.0.1:9090/readyz"
    )
    check_parser.add_argument(
        "--grpc",
        metavar="HOST:PORT",
        help="ask a running server's gRPC health service (grpc.health.v1) instead; exit 0 when SERVING",
    )
    check_parser.add_argument(
        "--service",
        metavar="NAME",
        help='with --grpc, the health service to ask about (default: the whole server, "")',
    )
    check_parser.add_argument(
        "--heartbeat",
        metavar="PATH",
        help="read a worker's heartbeat file instead (skiesish.Heartbeat); exit 0 when it beat recently",
    )
    check_parser.add_argument(
        "--max-age",
        metavar="SECONDS",
        help=f"with --heartbeat, how old the last beat may be (default {_DEFAULT_MAX_AGE:g})",
    )
    check_parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        help=f"with --url or --grpc, give up after this long in all (default {DEFAULT_TIMEOUT:g})",
    )
    return check_parser


def validate_check(arguments: argparse.Namespace) -> None:
    """Check ``check``'s options together, in place; ValueError names the first wrong one."""
    from ..durations import MAX_TIMEOUT
    from .arguments import seconds_option

    given = [name for name in ("target", "url", "grpc", "heartbeat") if getattr(arguments, name) is not None]
    if len(given) != 1:
        raise ValueError("check needs one of MODULE:ATTR, --url URL, --grpc HOST:PORT and --heartbeat PATH")
    if arguments.service is not None and arguments.grpc is None:
        raise ValueError("--service goes with --grpc, naming the gRPC health service to ask about")
    if arguments.max_age is not None and arguments.heartbeat is None:
        raise ValueError("--max-age goes with --heartbeat, saying how old its last beat may be")
    if arguments.heartbeat is not None:
        _validate_heartbeat_check(arguments)
        return
    if arguments.grpc is not None:
        _validate_grpc_check(arguments)
        return
    if arguments.url is None:
        if arguments.timeout is not None:
            raise ValueError("--timeout goes with --url; in process, each check's deadline bounds the run")
        path = "/" if arguments.path is None else arguments.path
        if not path.startswith("/") or any(not "!" <= character <= "~" for character in path):
            raise ValueError(
                f"--path expects a path that starts with / and has no spaces, like /readyz; got {path!r}"
            )
        arguments.path = path
        return
    from ..probe_client import parse_url

    if arguments.path is not None:
        raise ValueError(
            f"--path goes with MODULE:ATTR; with --url the path is in the URL, got --path {arguments.path!r}"
        )
    if arguments.verbose:
        raise ValueError("--verbose goes with MODULE:ATTR; with --url only the status line is read")
    try:
        parse_url(arguments.url)
    except ValueError as error:
        raise ValueError(f"--url: {error}") from None
    timeout = str(DEFAULT_TIMEOUT) if arguments.timeout is None else arguments.timeout
    arguments.timeout = seconds_option("--timeout", timeout, MAX_TIMEOUT)


def _validate_grpc_check(arguments: argparse.Namespace) -> None:
    """``check --grpc HOST:PORT [--service NAME] [--timeout S]``, in place."""
    from ..durations import MAX_TIMEOUT
    from ..serving import grpc_target, is_service_name
    from .arguments import seconds_option

    for option, value in (("--path", arguments.path), ("--verbose", arguments.verbose or None)):
        if value is not None:
            raise ValueError(f"{option} goes with MODULE:ATTR; with --grpc only the serving status is read")
    arguments.grpc = grpc_target(arguments.grpc, "--grpc")
    service = "" if arguments.service is None else arguments.service
    if not is_service_name(service):
        raise ValueError(f"--service expects a printable name of at most 200 characters, got {service!r:.80}")
    arguments.service = service
    timeout = str(DEFAULT_TIMEOUT) if arguments.timeout is None else arguments.timeout
    arguments.timeout = seconds_option("--timeout", timeout, MAX_TIMEOUT)


def _validate_heartbeat_check(arguments: argparse.Namespace) -> None:
    """``check --heartbeat PATH [--max-age S]``, in place."""
    from ..heartbeat import MAX_AGE
    from .arguments import seconds_option

    for option, value in (
        ("--path", arguments.path),
        ("--verbose", arguments.verbose or None),
        ("--timeout", arguments.timeout),
    ):
        if value is not None:
            raise ValueError(f"{option} does not go with --heartbeat, which only reads the file's age")
    if not arguments.heartbeat:
        raise ValueError("--heartbeat expects the path of a heartbeat file, got ''")
    max_age = str(_DEFAULT_MAX_AGE) if arguments.max_age is None else arguments.max_age
    arguments.max_age = seconds_option("--max-age", max_age, MAX_AGE)


def quick_heartbeat_check(argv: list[str]) -> tuple[str, float] | None:
    """Read a valid ``check --heartbeat PATH [--max-age N]`` without argparse, as :func:`quick_url_check`.

    Anything else returns ``None`` and goes through the full parser and its messages.
    """
    quick = _quick_check(argv, "--heartbeat", "--max-age", _DEFAULT_MAX_AGE, _QUICK_MAX_AGE)
    if quick is None or not quick[0] or quick[0].startswith("-"):
        return None
    return quick


def quick_url_check(argv: list[str]) -> tuple[str, float] | None:
    """Read a valid ``check --url URL [--timeout N]`` without argparse, whose import costs a probe time.

    Anything else (``--help``, other options, values out of range) returns
    ``None`` and goes through the full parser and its messages.
    """
    quick = _quick_check(argv, "--url", "--timeout", DEFAULT_TIMEOUT, _QUICK_MAX_TIMEOUT)
    if quick is None:
        return None
    from ..probe_client import parse_url

    try:
        parse_url(quick[0])
    except ValueError:
        return None
    return quick


def _quick_check(
    argv: list[str], option: str, seconds_option: str, default: float, maximum: float
) -> tuple[str, float] | None:
    """``check OPTION VALUE [SECONDS_OPTION N]`` read by hand: (VALUE, N or ``default``), or ``None``.

    ``None`` for any other shape, or an N that is not a number of seconds above 0 and at most
    ``maximum``: the full parser then says what is wrong.
    """
    if len(argv) not in (3, 5) or argv[0] != "check" or argv[1] != option:
        return None
    seconds = default
    if len(argv) == 5:
        if argv[3] != seconds_option:
            return None
        try:
            seconds = float(argv[4])
        except ValueError:
            return None
        if not 0.0 < seconds <= maximum:  # also false for nan
            return None
    return argv[2], seconds
