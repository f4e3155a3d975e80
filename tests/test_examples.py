"""Every program in examples/ runs and does what its docstring says."""

from __future__ import annotations

import os
import queue
import runpy
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import webtest
from conftest import require_server, skiesish_command, wait_until

import skiesish

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def load(monkeypatch, tmp_path):
    """Run examples/<name>.py afresh, in an empty working folder, with an environment of its own."""
    applications = []

    def run(name: str, **environment: str) -> webtest.TestApp:
        monkeypatch.chdir(tmp_path)
        for variable in ("DATABASE_URL", "db_host"):
            monkeypatch.delenv(variable, raising=False)
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        application = runpy.run_path(str(EXAMPLES / f"{name}.py"))["application"]
        applications.append(application)
        return webtest.TestApp(application, lint=True)

    yield run
    for application in applications:
        application.close()


def test_every_example_is_tested():
    """Each example file has a test here: adding one without a test fails."""
    tested = {
        "memory_backend_health",
        "cursor_backend_health",
        "callable_health",
        "health_demo",
        "postgres_health",
        "kubernetes_probes",
        "asgi_app",  # tests/test_asgi.py
        "tornado_app",  # tests/test_integration_tornado.py
        "flask_app",  # tests/test_integration_flask.py
        "grpc_health",  # tests/test_grpc_probes.py
        "worker_heartbeat",
        "celery_worker",
    }
    assert {path.stem for path in EXAMPLES.glob("*.py")} - {"__init__"} == tested


def test_memory_backend_example_succeeds(load):
    """memory_backend is always healthy."""
    assert load("memory_backend_health").get("/").status_int == 200


def test_cursor_backend_example_fails_without_a_database(load):
    """With nothing configured, the cursor_backend example answers 500."""
    response = load("cursor_backend_health").get("/", status=500)
    assert response.json["status"] == "failure"


def test_cursor_backend_example_succeeds_with_sqlite(load, tmp_path):
    """Pointing DATABASE_URL at a SQLite file makes the same example healthy."""
    application = load("cursor_backend_health", DATABASE_URL=f"sqlite:///{tmp_path}/app.db")
    assert application.get("/").status_int == 200


def test_callable_example_follows_its_dependency(load):
    """The injected callable passes until 100 jobs are pending (seen once the cached result is renewed)."""
    application = load("callable_health")
    assert application.get("/").status_int == 200
    memory_backend = application.app.di.build("memory_backend")
    for _ in range(100):
        memory_backend.create("jobs", {"state": "pending"})
    application.app.handler.engine.refresh()  # what the 27 s success TTL running out would do
    assert application.get("/", status=500).json["status"] == "failure"


def test_health_demo_succeeds_on_embedded_sqlite(load, tmp_path):
    """The demo is healthy out of the box, on a SQLite file and the standard library alone."""
    application = load("health_demo", DATABASE_URL=f"sqlite:///{tmp_path}/demo.db")
    assert application.get("/").status_int == 200
    assert (tmp_path / "demo.db").exists()


def test_postgres_example_succeeds(load, postgres_url):
    """The PostgreSQL example is healthy against the real server."""
    application = load("postgres_health", DATABASE_URL=postgres_url)
    assert application.get("/").status_int == 200


def test_postgres_example_fails_when_the_server_is_unreachable(load, free_port):
    """Pointed at a closed port, the PostgreSQL example answers 500."""
    url = f"postgresql://postgres@127.0.0.1:{free_port}/test"
    application = load("postgres_health", DATABASE_URL=url)
    assert application.get("/", status=500).json["status"] == "failure"


@pytest.mark.parametrize("name", ["memory_backend_health", "health_demo"])
def test_examples_answer_head(name, load, tmp_path):
    """Examples answer HEAD probes with headers only."""
    application = load(name, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    response = application.head("/")
    assert (response.status_int, response.body) == (200, b"")


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/startupz", "/healthz/live", "/healthz/ready"])
def test_kubernetes_example_answers_every_probe(load, tmp_path, path):
    """examples/kubernetes_probes.py answers 200 on each probe path with SQLite."""
    application = load("kubernetes_probes", DATABASE_URL=f"sqlite:///{tmp_path}/k8s.db")
    assert application.get(path).status_int == 200


def test_worker_heartbeat_example_beats_while_it_works(tmp_path):
    """examples/worker_heartbeat.py, run as a program, leaves a fresh heartbeat its probe passes."""
    path = str(tmp_path / "alive")
    environment = {**os.environ, "WORKER_TURNS": "3", "WORKER_HEARTBEAT": path}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "worker_heartbeat.py")],
        env=environment,
        timeout=60,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    assert skiesish_command("check", "--heartbeat", path, "--max-age", "30").returncode == 0


def test_worker_heartbeat_example_beats_when_idle_too(tmp_path):
    """A turn that finds no job beats as well: with an empty queue the file is fresh, and no job was done."""
    example = runpy.run_path(str(EXAMPLES / "worker_heartbeat.py"))
    example["work"].__globals__["POLL_SECONDS"] = 0.01
    heartbeat = skiesish.Heartbeat(tmp_path / "alive")
    assert example["work"](queue.Queue(), heartbeat, turns=2) == 0
    assert heartbeat.is_fresh(30)


@pytest.mark.services
def test_celery_example_is_live_ready_and_checked_by_its_application(load, tmp_path):
    """A real worker of examples/celery_worker.py beats both files and passes the example's own
    HealthCheck; on SIGTERM its readiness goes."""
    require_server("RabbitMQ", "127.0.0.1", 5672)
    settings = {
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "CELERY_QUEUE": f"skiesish-example-{uuid.uuid4().hex[:10]}",
        "CELERY_ALIVE_FILE": str(tmp_path / "alive"),
        "CELERY_READY_FILE": str(tmp_path / "ready"),
    }
    ready = skiesish.Heartbeat(settings["CELERY_READY_FILE"])
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "examples.celery_worker", "worker"),
                *("--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=warning"),
            ],
            cwd=ROOT,
            env={**without_django(os.environ), **settings},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: ready.is_fresh(10) or worker.poll() is not None, "the worker beating its ready file"
        )
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        assert (
            skiesish_command(
                "check", "--heartbeat", settings["CELERY_ALIVE_FILE"], "--max-age", "30"
            ).returncode
            == 0
        )
        assert load("celery_worker", **settings).get("/").status_int == 200
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        assert skiesish_command("check", "--heartbeat", ready.path, "--max-age", "10").returncode == 1
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
        forget_queue(settings["CELERY_BROKER_URL"], settings["CELERY_QUEUE"])


def forget_queue(url: str, name: str) -> None:
    """Delete the queue and the exchange of that name that the example's worker declared."""
    import kombu

    with kombu.Connection(url) as connection:
        channel = connection.default_channel
        channel.queue_delete(name)
        channel.exchange_delete(name)


def without_django(environment: os._Environ[str]) -> dict[str, str]:
    """``environment`` less pytest-django's DJANGO_SETTINGS_MODULE, which would make Celery set Django up."""
    return {name: value for name, value in environment.items() if name != "DJANGO_SETTINGS_MODULE"}
