"""The skiesish command: check (in process and over HTTP) and serve's drain period."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, serve_command, skiesish_command
from webtest.http import StopableWSGIServer

import skiesish
from skiesish.cli import main
from skiesish.probe_client import probe_url


@pytest.fixture
def server():
    """Serve a HealthCheck whose health the test sets through ``server.state``."""
    state = {"healthy": True}
    application = skiesish.contexts.wsgi(
        skiesish.Application(
            skiesish.handlers.HealthCheck,
            {"callable": lambda: state["healthy"], "success_ttl": None, "failed_ttl": None},
        )
    )
    running = StopableWSGIServer.create(application)
    running.state = state
    yield running
    running.shutdown()


def test_check_in_process_healthy():
    """`skiesish check MODULE:ATTR` exits 0 with one summary line when healthy."""
    result = skiesish_command("check", "examples.memory_backend_health:application")
    assert result.returncode == 0
    assert result.stdout == "healthy: examples.memory_backend_health:application GET / -> 200 OK\n"


def test_check_in_process_unhealthy():
    """An unhealthy application exits 1, saying so in one line."""
    result = skiesish_command("check", "examples.cursor_backend_health:application")
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: ")
    assert "500 Internal Server Error" in result.stdout


def test_check_in_process_path():
    """--path asks for another path (a probe endpoint)."""
    result = skiesish_command("check", "examples.kubernetes_probes:application", "--path", "/livez")
    assert (result.returncode, result.stdout.split(" -> ")[1]) == (0, "200 OK\n")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("examples.memory_backend_health", "expected MODULE:ATTR"),
        ("examples.nowhere:application", "cannot load 'examples.nowhere:application': ModuleNotFoundError"),
        ("examples.memory_backend_health:nothing", "cannot load 'examples.memory_backend_health:nothing'"),
        ("examples.health_demo:DATABASE_URL", "is not a skiesish context"),
    ],
)
def test_check_rejects_a_bad_target(target, message):
    """A bad MODULE:ATTR exits 1 (never Docker's reserved 2) with a message saying what is wrong."""
    result = skiesish_command("check", target)
    assert result.returncode == 1
    assert message in result.stderr


def test_check_needs_a_target_or_a_url(capsys):
    """`skiesish check` with none of MODULE:ATTR, --url, --grpc and --heartbeat is a usage error."""
    with pytest.raises(SystemExit) as exit_info:
        main(["check"])
    assert exit_info.value.code == 2
    assert (
        "check needs one of MODULE:ATTR, --url URL, --grpc HOST:PORT and --heartbeat PATH"
        in capsys.readouterr().err
    )


def test_check_url_healthy(server, capsys):
    """`check --url` exits 0 when the server answers 2xx."""
    assert main(["check", "--url", server.application_url]) == 0
    assert capsys.readouterr().out == f"healthy: GET {server.application_url} -> 200 OK\n"


def test_check_url_unhealthy(server, capsys):
    """`check --url` exits 1 when the server answers 500."""
    server.state["healthy"] = False
    assert main(["check", "--url", server.application_url, "--timeout", "2"]) == 1
    assert "-> 500 Internal Server Error" in capsys.readouterr().out


def test_check_url_refused(free_port, capsys):
    """A refused connection is unhealthy, exit 1, with the reason."""
    assert main(["check", "--url", f"http://127.0.0.1:{free_port}/readyz"]) == 1
    assert "ConnectionRefusedError" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x/", "expected an http:// or https:// URL"),
        ("http://:80/", "with a host"),
        ("http://h:port/", "numeric port"),
    ],
)
def test_probe_url_rejects_bad_urls(url, message):
    """probe_url refuses what is not an http(s) URL with a host."""
    with pytest.raises(ValueError, match=message):
        probe_url(url, 1)


def test_probe_url_keeps_the_query(server):
    """The path and query reach the server."""
    healthy, summary = probe_url(server.application_url + "?verbose=1", 2)
    assert healthy
    assert summary.endswith("-> 200 OK")


@pytest.mark.parametrize("command", [[], ["serve"], ["check"]])
def test_help_on_every_command(command):
    """--help works on the command and each subcommand."""
    result = skiesish_command(*command, "--help")
    assert result.returncode == 0
    assert "usage: skiesish" in result.stdout


def get_status(url):
    """The HTTP status of GET url."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


def test_serve_drains_before_stopping(free_port):
    """After SIGTERM with --drain, readiness fails while the server still answers, then it exits 0."""
    base = f"http://127.0.0.1:{free_port}"
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    process = subprocess.Popen(
        serve_command(free_port, "--drain", "3"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if get_status(base + "/readyz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert get_status(base + "/readyz") == 200
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert get_status(base + "/readyz") == 500
        assert get_status(base + "/livez") == 200
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "answering for 3 s more before shutting down" in output


def test_the_installed_command_runs(server):
    """The `skiesish` script installed beside the interpreter probes a server."""
    command = Path(sys.executable).with_name("skiesish")
    result = subprocess.run(
        [str(command), "check", "--url", server.application_url], capture_output=True, text=True, timeout=30
    )
    assert (result.returncode, result.stdout) == (0, f"healthy: GET {server.application_url} -> 200 OK\n")
