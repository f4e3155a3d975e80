"""`manage.py skiesish_check`, in process or over HTTP: exit 0 healthy, 1 not, 2 a mistake or no server."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def database_up() -> bool:
    """Passes."""
    return True


def queue_down() -> tuple[bool, str]:
    """Fails, saying why."""
    return False, "queue length 12000"


@pytest.fixture(autouse=True)
def health(settings) -> None:
    """SKIESISH with one passing ready check and one failing startup check."""
    settings.SKIESISH = {"ready": [database_up], "startup": [queue_down]}


def skiesish_check(*arguments: str) -> tuple[int, str, str]:
    """Run the command; its exit status (0 when it returns), standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("skiesish_check", *arguments, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[Callable[[str], str]]:
    """``http_server(status)``: a server on 127.0.0.1 answering every GET with ``status``; its URL."""
    servers = []

    def start(status: str) -> str:
        def application(environ, start_response):
            start_response(status, [("Content-Length", "0")])
            return [b""]

        server = make_server("127.0.0.1", 0, application, handler_class=QuietHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/health/readyz"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_in_process_healthy_exits_0():
    """The ready probe passes: one line saying so, exit 0."""
    assert skiesish_check("--path", "/readyz") == (0, "healthy: skiesish GET /readyz -> 200 OK\n", "")


def test_in_process_unhealthy_exits_1_and_verbose_says_why():
    """The startup probe fails: exit 1, and --verbose adds each check's status and reason."""
    status, out, _ = skiesish_check("--path", "/startupz", "--verbose")
    assert status == 1
    assert out.splitlines() == [
        "unhealthy: skiesish GET /startupz -> 500 Internal Server Error",
        "  fail queue_down: queue length 12000",
    ]


def test_in_process_defaults_to_the_full_report():
    """Without --path the full report, every check, is asked."""
    assert skiesish_check()[:2] == (1, "unhealthy: skiesish GET / -> 500 Internal Server Error\n")


def test_a_query_selects_checks():
    """--path may carry ?check= to ask for some checks only."""
    assert skiesish_check("--path", "/?check=database_up")[0] == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--path", "/health"], r"--path expects one of /, /livez, /healthz/live, /readyz"),
        (["--path", "/readyz x"], r"--path expects one of"),
        (["--timeout", "3"], r"--timeout goes with --url; in process, each check's deadline bounds the run"),
        (
            ["--url", "ftp://example.com/"],
            r"--url: expected an http:// or https:// URL, got 'ftp://example.com/'",
        ),
        (["--url", "http://127.0.0.1:9/", "--timeout", "0"], r"--timeout"),
        (["--url", "http://127.0.0.1:9/", "--path", "/readyz"], r"--path goes without --url"),
        (["--url", "http://127.0.0.1:9/", "--verbose"], r"--verbose goes without --url"),
    ],
)
def test_mistakes_on_the_command_line_exit_2(arguments, message):
    """Each mistake is refused with one sentence naming the option, and exit status 2."""
    with pytest.raises(CommandError, match=message) as raised:
        call_command("skiesish_check", *arguments)
    assert raised.value.returncode == 2


def test_over_http_the_status_decides(http_server):
    """With --url a 2xx answer exits 0 and a 5xx one exits 1, each saying what came back."""
    healthy_url, unhealthy_url = http_server("200 OK"), http_server("503 Service Unavailable")
    assert skiesish_check("--url", healthy_url)[:2] == (0, f"healthy: GET {healthy_url} -> 200 OK\n")
    status, out, _ = skiesish_check("--url", unhealthy_url, "--timeout", "5")
    assert (status, out) == (1, f"unhealthy: GET {unhealthy_url} -> 503 Service Unavailable\n")


def test_over_http_an_unreachable_server_exits_2(free_port):
    """Nothing listening: no verdict on the application, exit 2, saying why."""
    status, out, _ = skiesish_check("--url", f"http://127.0.0.1:{free_port}/health/readyz")
    assert status == 2
    assert out.startswith(
        f"unhealthy: GET http://127.0.0.1:{free_port}/health/readyz failed: ConnectionRefusedError"
    )


def test_a_wrong_setting_exits_1_naming_it(settings):
    """A SKIESISH that cannot be built: the message on standard error, exit 1 (the probe cannot pass)."""
    settings.SKIESISH = {"ready": ["datbase"]}
    status, out, err = skiesish_check("--path", "/readyz")
    assert (status, out) == (1, "")
    assert err.startswith("skiesish: SKIESISH['ready'][0]: 'datbase' (did you mean 'database'?)")
