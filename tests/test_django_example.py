"""examples/django/ runs: `manage.py check` passes, the probes answer under waitress and uvicorn, and
`manage.py skiesish_check` exits as documented."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent / "examples" / "django"
ROOT = PROJECT.parent.parent
START_WITHIN = 30.0


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    """The example's environment: a SQLite file of its own, a health token, the project importable."""
    return {
        **os.environ,
        "MYSITE_DATABASE": str(tmp_path / "db.sqlite3"),
        "HEALTH_TOKEN": "example-token-for-tests",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "mysite.settings",
    }


def manage(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run `python manage.py ARGUMENTS` in the example's folder."""
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def status(url: str, **headers: str) -> tuple[int, bytes]:
    """GET ``url`` with ``headers``: the status and body, whatever the status."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


@contextmanager
def served(command: list[str], environment: dict[str, str], port: int) -> Iterator[str]:
    """Run the server ``command`` in the example's folder until it accepts on ``port``; its base URL."""
    process = subprocess.Popen(
        command, cwd=PROJECT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + START_WITHIN
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{command[0]} did not start: {process.stderr.read()}") from None  # type: ignore[union-attr]
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_manage_py_check_passes(environment):
    """The example's settings pass Django's system checks, skiesish's own among them."""
    finished = manage(environment, "check")
    assert (finished.returncode, finished.stdout) == (0, "System check identified no issues (0 silenced).\n")


def test_skiesish_check_follows_the_migrations(environment):
    """/startupz fails until `migrate` ran (exit 1, naming them), then passes (exit 0)."""
    before = manage(environment, "skiesish_check", "--path", "/startupz", "--verbose")
    assert before.returncode == 1
    assert "  fail migrations: " in before.stdout
    assert "unapplied migration(s): contenttypes.0001_initial" in before.stdout
    assert manage(environment, "migrate", "--verbosity", "0").returncode == 0
    after = manage(environment, "skiesish_check", "--path", "/startupz")
    assert (after.returncode, after.stdout) == (0, "healthy: skiesish GET /startupz -> 200 OK\n")


def test_probes_answer_under_waitress(environment, free_port):
    """Served by waitress (WSGI): readiness passes, details need the token, the home page still answers."""
    command = [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{free_port}", "mysite.wsgi:application"]
    with served(command, environment, free_port) as base:
        assert status(f"{base}/health/readyz")[0] == 200
        assert status(f"{base}/health/startupz")[0] == 500  # not migrated
        health_json = {"Accept": "application/health+json"}
        anonymous = json.loads(status(f"{base}/health/readyz", **health_json)[1])
        token = {"Authorization": "Bearer example-token-for-tests"}
        detailed = json.loads(status(f"{base}/health/readyz", **health_json, **token)[1])
        assert status(f"{base}/")[1] == b"hello\n"
    assert anonymous == {"status": "pass"}
    assert sorted(detailed["checks"]) == [
        "cache:default:responseTime",
        "database:default:responseTime",
        "disk:responseTime",
    ]


def test_probes_answer_under_uvicorn(environment, free_port):
    """Served by uvicorn (ASGI): the same answers, through the asynchronous path of the view."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--port",
        str(free_port),
        "--log-level",
        "warning",
        "mysite.asgi:application",
    ]
    with served(command, environment, free_port) as base:
        assert status(f"{base}/health/readyz")[0] == 200
        assert status(f"{base}/health/livez")[0] == 200
        assert status(f"{base}/health/startupz")[0] == 500


def test_the_probes_module_serves_a_probe_listener(environment):
    """mysite.probes, for a probe listener, answers the same probes as the views."""
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mysite.probes import application; from webtest import TestApp; "
            "app = TestApp(application); "
            "print(app.get('/readyz').status_int, app.get('/startupz', status='*').status_int)",
        ],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (finished.returncode, finished.stdout) == (0, "200 500\n"), finished.stderr


def test_gunicorn_serves_the_probes_from_its_master(environment, free_port):
    """Under gunicorn.conf.py the master's probe listener answers the SKIESISH probes; workers, the site."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        probe_port = other.getsockname()[1]
    environment = {
        **environment,
        "MYSITE_BIND": f"127.0.0.1:{free_port}",
        "MYSITE_PROBES": f"127.0.0.1:{probe_port}",
        "WEB_CONCURRENCY": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mysite.wsgi"]
    with served(command, environment, free_port) as base:
        assert status(f"{base}/")[1] == b"hello\n"
        assert status(f"http://127.0.0.1:{probe_port}/readyz")[0] == 200
        assert status(f"http://127.0.0.1:{probe_port}/startupz")[0] == 500  # not migrated
