"""`skiesish check`: what it shows, what it refuses, how long it waits, and what --verbose adds."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import skiesish_command, usage_error
from webtest.http import StopableWSGIServer

import skiesish
from skiesish import durations
from skiesish.cli import main
from skiesish.cli.check import _QUICK_MAX_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server() -> Iterator[StopableWSGIServer]:
    """A healthy HealthCheck served on an ephemeral port."""
    application = skiesish.contexts.wsgi(
        skiesish.Application(skiesish.handlers.HealthCheck, {"services": ["memory_backend"]})
    )
    running = StopableWSGIServer.create(application)
    yield running
    running.shutdown()


def test_the_summary_never_shows_the_urls_credentials(server, capsys):
    """user:password@ in the URL is not printed: the summary shows the URL without it."""
    port = server.adj.port
    assert main(["check", "--url", f"http://probe:hunter2@127.0.0.1:{port}/"]) == 0
    assert capsys.readouterr().out == f"healthy: GET http://127.0.0.1:{port}/ -> 200 OK\n"


def test_the_summary_is_scrubbed(server, capsys):
    """A secret in the query string is masked by the project's scrubber."""
    assert main(["check", "--url", f"{server.application_url}?token=hunter2"]) == 0
    printed = capsys.readouterr().out
    assert "hunter2" not in printed
    assert "?token=********" in printed


def test_an_error_line_never_shows_the_urls_credentials(capsys):
    """A refused URL is quoted back without its credentials."""
    line = usage_error(["check", "--url", "ftp://probe:hunter2@127.0.0.1/"], capsys)
    assert "hunter2" not in line
    assert line.endswith("--url: expected an http:// or https:// URL, got 'ftp://127.0.0.1/'")


@pytest.mark.parametrize(
    ("tail", "refused"),
    [
        ("readyz\r\nX-Injected: 1", "'\\r'"),
        ("readyz\nX-Injected: 1", "'\\n'"),
        ("ready z", "' '"),
        ("readyz\t", "'\\t'"),
        ("readyz\x00", "'\\x00'"),
        ("readyz\x7f", "'\\x7f'"),
        ("réadyz", "'é'"),
    ],
)
def test_a_url_with_control_characters_or_spaces_is_refused(server, tail, refused, capsys):
    """CR, LF, spaces, other control characters and non-ASCII in the URL: exit 2, nothing sent."""
    line = usage_error(["check", "--url", server.application_url + tail], capsys)
    assert "expected a URL of printable ASCII characters" in line
    assert line.endswith(f"which holds {refused}")


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_a_url_with_a_port_out_of_range_is_refused(port, capsys):
    """A port outside 1 to 65535 is a usage error."""
    line = usage_error(["check", "--url", f"http://127.0.0.1:{port}/"], capsys)
    assert "expected a numeric port from 1 to 65535" in line


@pytest.mark.parametrize(
    ("timeout", "shown"),
    [
        ("0", "float 0.0"),
        ("-1", "float -1.0"),
        ("inf", "float inf"),
        ("nan", "float nan"),
        ("601", "float 601.0"),
        ("soon", "str 'soon'"),
    ],
)
def test_a_bad_timeout_is_a_usage_error(server, timeout, shown, capsys):
    """--timeout must be a number of seconds above 0 and at most MAX_TIMEOUT."""
    line = usage_error(["check", "--url", server.application_url, "--timeout", timeout], capsys)
    assert line.endswith(f"--timeout must be a number of seconds greater than 0 and at most 600, got {shown}")


def test_the_quick_path_allows_the_same_longest_timeout_as_durations():
    """The fast path's own copy of the longest --timeout is durations.MAX_TIMEOUT."""
    assert _QUICK_MAX_TIMEOUT == durations.MAX_TIMEOUT


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--url", "http://127.0.0.1:9/readyz", "--path", "/livez"], "--path goes with MODULE:ATTR"),
        (["--url", "http://127.0.0.1:9/readyz", "--verbose"], "--verbose goes with MODULE:ATTR"),
        (["examples.health_demo:application", "--timeout", "3"], "--timeout goes with --url"),
        (["examples.health_demo:application", "--path", "readyz"], "--path expects a path"),
        (["examples.health_demo:application", "--path", "/a b"], "--path expects a path"),
    ],
)
def test_options_that_do_not_go_together_are_a_usage_error(arguments, message, capsys):
    """An option the chosen kind of check would ignore is refused, not silently dropped."""
    assert message in usage_error(["check", *arguments], capsys)


@contextlib.contextmanager
def dribbling_server(answer: bytes = b"HTTP/1.1 200 OK\r\n", pause: float = 0.25) -> Iterator[int]:
    """A server that sends ``answer`` one byte every ``pause`` seconds to each client; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stopped = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            while not stopped.is_set():
                client, _ = listener.accept()
                with client, contextlib.suppress(OSError):
                    client.recv(4096)
                    for byte in answer:
                        if stopped.wait(pause):
                            break
                        client.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stopped.set()
        listener.close()
        thread.join(timeout=10)


def test_the_timeout_bounds_the_whole_probe_not_each_read(capsys):
    """A server dribbling a healthy status line a byte at a time gets --timeout in all: unhealthy."""
    with dribbling_server() as port:
        assert main(["check", "--url", f"http://127.0.0.1:{port}/", "--timeout", "1"]) == 1
    assert capsys.readouterr().out == (
        f"unhealthy: GET http://127.0.0.1:{port}/ failed: TimeoutError: no answer within 1 s\n"
    )


def test_a_reason_phrase_cannot_write_control_characters(capsys):
    """The server's reason phrase is printed with its control characters replaced."""
    with dribbling_server(b"HTTP/1.1 500 \x1b[2JBad\r\n", pause=0) as port:
        assert main(["check", "--url", f"http://127.0.0.1:{port}/"]) == 1
    assert capsys.readouterr().out.endswith("-> 500 ?[2JBad\n")


def test_the_quick_path_loads_no_more_than_it_needs(server):
    """A healthy `check --url` imports no third-party module, argparse, typing, re, durations or scrubber."""
    code = (
        "import sys; before = set(sys.modules); from skiesish.cli import main; "
        "code = main(['check', '--url', sys.argv[1], '--timeout', '3']); "
        "heavy = {'argparse', 'typing', 're', 'skiesish.durations', 'skiesish.scrubbing'}; "
        "loaded = set(sys.modules) - before; "
        "third_party = {m for m in loaded if m.split('.')[0] in ('pydantic', 'waitress', 'dotenv')}; "
        "print(sorted(heavy & loaded | third_party)); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, server.application_url], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_full_parser_answers_as_the_quick_path_does(server, capsys):
    """`--timeout=3` (read by argparse) prints what `--timeout 3` (the quick path) prints."""
    assert main(["check", "--url", server.application_url, "--timeout=3"]) == 0
    assert main(["check", "--url", server.application_url, "--timeout", "3"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first == second


def test_verbose_says_why_a_check_fails():
    """--verbose adds one line per check: its status, its name and its reason."""
    result = skiesish_command("check", "examples.cursor_backend_health:application", "--verbose", timeout=60)
    assert result.returncode == 1
    summary, detail = result.stdout.splitlines()
    assert summary.endswith("GET / -> 500 Internal Server Error")
    assert detail.startswith("  fail cursor_backend: DatabaseNotConfiguredError: no database is configured")


def test_verbose_lists_every_check_that_passes():
    """A healthy answer lists each check as passing."""
    result = skiesish_command("check", "examples.health_demo:application", "--verbose", timeout=60)
    assert (result.returncode, result.stdout.splitlines()[1:]) == (
        0,
        ["  pass cursor_backend", "  pass table_is_readable"],
    )


def test_verbose_reports_an_unknown_probe_path_as_unhealthy_with_its_message():
    """A path no probe takes (a ClientError) is an unhealthy line saying which paths exist."""
    result = skiesish_command(
        "check", "examples.kubernetes_probes:application", "--path", "/nope", "--verbose", timeout=60
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "unhealthy: examples.kubernetes_probes:application GET /nope -> 404 Not Found",
        "  unhealthy: 404 no probe at /nope; probes: /livez, /healthz/live, /readyz, /healthz/ready, "
        "/startupz, /healthz/startup",
    ]


def test_verbose_says_when_a_probe_runs_no_checks():
    """A probe with no checks (liveness here) says so in its one line."""
    result = skiesish_command(
        "check", "examples.kubernetes_probes:application", "--path", "/livez", "--verbose", timeout=60
    )
    assert result.stdout.splitlines()[1:] == ["  pass (GET /livez runs no checks)"]


def test_verbose_reaches_the_report_through_a_router(tmp_path):
    """Behind SimpleRouting, the report of the route the path reaches is the one shown."""
    (tmp_path / "routed.py").write_text(
        "import skiesish\n"
        "from skiesish.handlers import HealthCheck, SimpleRouting\n\n"
        "def database():\n"
        "    return False, 'no route to the database'\n\n"
        "application = skiesish.contexts.wsgi(skiesish.Application(SimpleRouting, {'routes': [\n"
        "    {'path': 'healthz', 'handler_class': HealthCheck, 'handler_config': {'checks': [database]}},\n"
        "]}))\n"
    )
    result = skiesish_command(
        "check", "routed:application", "--path", "/healthz", "--verbose", cwd=tmp_path, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == ["  fail database: no route to the database"]


def test_verbose_lines_are_scrubbed(tmp_path):
    """A check's reason holding a password is printed with the password masked."""
    (tmp_path / "leaky.py").write_text(
        "import skiesish\n\n"
        "def database():\n"
        "    return False, 'cannot reach postgresql://app:hunter2@db.internal/app'\n\n"
        "application = skiesish.contexts.wsgi(\n"
        "    skiesish.Application(skiesish.handlers.HealthCheck, {'checks': [database]})\n"
        ")\n"
    )
    result = skiesish_command("check", "leaky:application", "--verbose", cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "hunter2" not in result.stdout + result.stderr
    assert (
        result.stdout.splitlines()[1]
        == "  fail database: cannot reach postgresql://app:********@db.internal/app"
    )


def test_version(capsys):
    """--version prints the package's version."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"skiesish {skiesish.__version__}\n"
