"""Serving for real: waitress on an ephemeral port, the ``skiesish serve`` command, concurrency."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from webtest.http import StopableWSGIServer

import skiesish
from skiesish.handlers import HealthCheck

ROOT = Path(__file__).resolve().parent.parent


def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    """GET ``url``; return (status, body, headers) whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), dict(error.headers)


@pytest.fixture
def serve_in_thread():
    """Start a waitress server for a WSGI app on an ephemeral port; return its base URL."""
    servers = []

    def start(application, threads=4):
        server = StopableWSGIServer.create(application, threads=threads)
        servers.append(server)
        return server.application_url.rstrip("/")

    yield start
    for server in servers:
        server.shutdown()


def wait_for(url: str, process: subprocess.Popen, seconds: float = 20) -> None:
    """Wait until ``url`` answers (any status), or fail with the process's output."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early with {process.returncode}: {process.stdout.read()}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"server did not answer {url} in {seconds} s")


def test_real_waitress_server_answers(serve_in_thread):
    """Under a real waitress server the endpoint answers 200 with the exact envelope."""
    url = serve_in_thread(
        skiesish.contexts.wsgi(skiesish.Application(HealthCheck, {"services": ["memory_backend"]}))
    )
    status, body, headers = get(url + "/")
    assert status == 200
    assert json.loads(body) == {
        "status": "success",
        "error": "",
        "data": {},
        "pagination": {},
        "input_errors": {},
    }
    assert headers["Content-Length"] == str(len(body))


def test_real_waitress_server_reports_failure_with_a_correct_status_line(serve_in_thread):
    """A failing check reaches the client as 500 Internal Server Error."""
    url = serve_in_thread(
        skiesish.contexts.wsgi(skiesish.Application(HealthCheck, {"callable": lambda: False}))
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url + "/", timeout=10)
    error.value.close()
    assert (error.value.code, error.value.reason) == (500, "Internal Server Error")


class SlowDependency:
    """A healthy dependency that takes 50 ms to answer."""

    def ping(self):
        time.sleep(0.05)
        return True


def test_32_concurrent_probes_of_a_slow_healthy_dependency_all_pass(serve_in_thread):
    """32 probes at once against a healthy 50 ms dependency: every answer is 200."""

    def is_healthy(slow_dependency, memory_backend):
        return slow_dependency.ping() and memory_backend.ping()

    url = serve_in_thread(
        skiesish.contexts.wsgi(
            skiesish.Application(
                HealthCheck,
                {"services": ["slow_dependency"], "callable": is_healthy},
                binding_classes=[SlowDependency],
            )
        ),
        threads=8,
    )
    barrier = threading.Barrier(32)

    def probe(_):
        barrier.wait()
        return get(url + "/")[0]

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(probe, range(32)))
    assert statuses == [200] * 32


def start_process(arguments: list[str], port: int) -> subprocess.Popen:
    """Start a server process from the repository root; return it once it answers."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environment.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        arguments, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
    )
    wait_for(f"http://127.0.0.1:{port}/", process)
    return process


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_skiesish_serve_stops_cleanly(free_port, signal_number):
    """`python -m skiesish serve` serves the demo and exits 0 on SIGTERM or SIGINT."""
    process = start_process(
        [
            sys.executable,
            "-m",
            "skiesish",
            "serve",
            "examples.health_demo:application",
            "--listen",
            f"127.0.0.1:{free_port}",
        ],
        free_port,
    )
    try:
        assert get(f"http://127.0.0.1:{free_port}/")[0] == 200
    finally:
        process.send_signal(signal_number)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "shutting down" in output


def test_waitress_serve_runs_the_demo(free_port):
    """The README's `waitress-serve ... examples.health_demo:application` answers 200."""
    waitress_serve = Path(sys.executable).with_name("waitress-serve")
    process = start_process(
        [str(waitress_serve), f"--listen=127.0.0.1:{free_port}", "examples.health_demo:application"],
        free_port,
    )
    try:
        status, body, _ = get(f"http://127.0.0.1:{free_port}/")
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert status == 200
    assert json.loads(body)["status"] == "success"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("examples.health_demo", "expected MODULE:ATTR"),
        ("examples.no_such_module:application", "cannot load 'examples.no_such_module:application'"),
        ("examples.health_demo:no_such_attr", "cannot load 'examples.health_demo:no_such_attr'"),
        ("examples.health_demo:DATABASE_URL", "not a WSGI application"),
    ],
)
def test_serve_rejects_a_bad_target(target, message):
    """A bad MODULE:ATTR ends the command with a message saying what is wrong."""
    result = subprocess.run(
        [sys.executable, "-m", "skiesish", "serve", target, "--listen", "127.0.0.1:0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_serve_help():
    """`skiesish serve --help` explains the command."""
    result = subprocess.run(
        [sys.executable, "-m", "skiesish", "serve", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert "MODULE:ATTR" in result.stdout
