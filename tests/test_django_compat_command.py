"""``manage.py health_check``: exit 0 healthy, 1 unhealthy, 2 when the answer cannot be had."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from skiesish.serving import create_waitress_server


@pytest.fixture(autouse=True)
def compat_urls() -> Iterator[None]:
    """Every test here resolves names in django_compat_urls."""
    with override_settings(ROOT_URLCONF="django_compat_urls"):
        yield


@pytest.fixture
def addrport() -> Iterator[str]:
    """host:port of a waitress server of this Django project, stopped afterwards."""
    from django.core.wsgi import get_wsgi_application
    from waitress import wasyncore

    socket_map: dict[int, object] = {}
    server = create_waitress_server(get_wsgi_application(), "127.0.0.1:0", socket_map=socket_map, threads=2)
    thread = threading.Thread(target=server.run, name="compat-command-server", daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.effective_port}"
    server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
    thread.join(30)
    server.task_dispatcher.shutdown(timeout=30)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def run(*arguments: str, **options: object) -> tuple[int, str, str]:
    """Run the command; return its exit code, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("health_check", *arguments, stdout=stdout, stderr=stderr, **options)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, stdout.getvalue(), stderr.getvalue()


def test_a_healthy_endpoint_exits_0_printing_the_answer(addrport):
    """Every check passing: exit 0, with the endpoint's text answer printed."""
    assert run("compat_pass", addrport) == (0, "Passing(): OK\n", "")


def test_an_unhealthy_endpoint_exits_1_printing_the_answer(addrport):
    """A check failing (HTTP 500): exit 1, with the answer naming the failure printed."""
    code, out, _ = run("compat_fail", addrport)
    assert code == 1
    assert "Failing(): Unavailable: the queue is gone" in out


def test_verbosity_2_says_what_it_asks(addrport):
    """With -v 2 the URL and headers asked are printed first."""
    _, out, _ = run("compat_pass", addrport, verbosity=2)
    assert out.startswith(f"Checking health endpoint at 'http://{addrport}/health/pass/' with headers: ")


def test_an_unknown_endpoint_name_exits_2():
    """A URL name that resolves to nothing: exit 2, naming it."""
    code, _, err = run("no_such_endpoint", "127.0.0.1:1")
    assert code == 2
    assert "Could not resolve endpoint 'no_such_endpoint'" in err


def test_an_unreachable_server_exits_2(free_port):
    """Nothing listening: exit 2, saying the URL is not reachable."""
    code, _, err = run("compat_pass", f"127.0.0.1:{free_port}")
    assert code == 2
    assert f"'http://127.0.0.1:{free_port}/health/pass/' is not reachable" in err


def test_a_server_that_never_answers_exits_2(silent_port):
    """A server that accepts and never answers: exit 2 after --timeout."""
    code, _, err = run("compat_pass", f"127.0.0.1:{silent_port}", "--timeout", "1")
    assert code == 2
    assert "Timeout when trying to reach" in err


def test_another_application_on_the_port_exits_2(addrport):
    """An answer other than 200 or 500 (here 404): exit 2, suggesting another application is there."""
    code, _, err = run("compat_missing", addrport)
    assert code == 2
    assert "Unexpected HTTP error" in err
    assert "invalid endpoint 'compat_missing'" in err


def test_a_bad_request_exits_2(addrport):
    """A 400 (what Django answers a Host outside ALLOWED_HOSTS): exit 2, pointing at both remedies."""
    code, _, err = run("compat_bad_request", addrport)
    assert code == 2
    assert "ALLOWED_HOSTS" in err
    assert "--forwarded-host" in err


def test_no_http_runs_the_checks_here():
    """--no-http runs the view's checks in this process: exit 0, or 1 with the failures printed."""
    assert run("compat_pass", use_http=False) == (0, "Passing(): OK\n", "")
    code, out, _ = run("compat_fail", use_http=False)
    assert (code, out) == (1, "Passing(): OK\nFailing(): Unavailable: the queue is gone\n")


def test_no_http_on_a_view_that_is_no_health_check_exits_2():
    """--no-http on a URL not served by a HealthCheckView: exit 2, saying so."""
    code, _, err = run("compat_plain", use_http=False)
    assert code == 2
    assert "'/plain/' is not served by a HealthCheckView" in err


@pytest.mark.parametrize("timeout", ["0", "-1", "soon", "601"])
def test_a_bad_timeout_is_refused(timeout):
    """--timeout takes whole seconds from 1 to 600; anything else is refused, naming what arrived."""
    with pytest.raises(CommandError, match="argument --timeout: expected"):
        run("compat_pass", "--timeout", timeout)
