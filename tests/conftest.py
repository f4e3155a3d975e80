"""Shared fixtures and helpers: real servers (skipped, or failed under CI, when down), one-off check runs."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy

from skiesish.backends import ConnectionDetails, Database
from skiesish.di import DI
from skiesish.health import Check, CheckResult, HealthEngine, Report

#: The project's folder: where `python -m skiesish serve examples...` is run from.
ROOT = Path(__file__).resolve().parent.parent

POSTGRES_URL = os.environ.get("SKIESISH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("SKIESISH_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def wsgi_environ(body: bytes = b"", **overrides: object) -> dict[str, object]:
    """A minimal PEP 3333 environ for a GET of / with ``body``, then ``overrides``."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **overrides,
    }


def services_required() -> bool:
    """Whether an unreachable server is a failure (CI) rather than a skip (a laptop)."""
    return os.environ.get("SKIESISH_REQUIRE_SERVICES") == "1"


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, with SKIESISH_REQUIRE_SERVICES=1, fail) unless ``host:port`` accepts connections."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        reason = f"{name} is not reachable at {host}:{port} ({error})"
        if services_required():
            pytest.fail(reason + " and SKIESISH_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(reason)


def server_database(url: str, name: str) -> Database:
    """A :class:`Database` for ``url`` once its server answers."""
    details = ConnectionDetails.from_url(url)
    require_server(name, details.host, details.port or 0)
    return Database(details)


@pytest.fixture
def postgres_url() -> str:
    """The URL of the PostgreSQL test database; skips when the server is down."""
    server_database(POSTGRES_URL, "PostgreSQL").close()
    return POSTGRES_URL


@pytest.fixture
def mysql_url() -> str:
    """The URL of the MariaDB/MySQL test database; skips when the server is down."""
    server_database(MYSQL_URL, "MariaDB").close()
    return MYSQL_URL


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses."""
    return f"skiesish_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def tcp_server(answer: Callable[[socket.socket], object]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that gives each connection to ``answer``, then closes it; yields its port.

    One daemon thread accepts the connections and answers them one at a time;
    leaving the block stops accepting.
    """
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                answer(connection)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def evaluate_once(check: Check, **bindings: object) -> Report:
    """Run ``check`` once in an uncached HealthEngine (with these DI bindings); return the whole report."""
    engine = HealthEngine([check], DI(bindings=bindings), success_ttl=None, failed_ttl=None)
    try:
        return engine.evaluate()
    finally:
        engine.close()


def run_once(check: Check, **bindings: object) -> CheckResult:
    """Run ``check`` once, uncached (with these DI bindings), and return its result."""
    return evaluate_once(check, **bindings).results[0]


@pytest.fixture
def fault_proxy() -> Iterator[Callable[[int], FaultProxy]]:
    """``fault_proxy(port)`` starts a FaultProxy in front of 127.0.0.1:port; all are closed afterwards."""
    proxies: list[FaultProxy] = []

    def start(target_port: int) -> FaultProxy:
        proxy = FaultProxy("127.0.0.1", target_port)
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.close()


#: The Redis the shared-cache tests use.
REDIS_URL = os.environ.get("SKIESISH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def forget_namespace(client, name: str) -> None:
    """Delete every shared-cache key of the namespace ``name``."""
    for key in client.scan_iter(f"skiesish:{name}:*"):
        client.delete(key)


@pytest.fixture
def redis_client():
    """A client of the local Redis, closed afterwards; skips (or fails under CI) when it is down."""
    import redis

    require_server("Redis", "127.0.0.1", 6379)
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def namespace(redis_client) -> Iterator[str]:
    """A shared-cache namespace no other test uses; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    forget_namespace(redis_client, name)


def serve_command(port: int, *options: str) -> list[str]:
    """`python -m skiesish serve` of the Kubernetes example on 127.0.0.1:``port``, run from :data:`ROOT`."""
    return [
        sys.executable,
        "-m",
        "skiesish",
        "serve",
        "examples.kubernetes_probes:application",
        "--listen",
        f"127.0.0.1:{port}",
        *options,
    ]


def skiesish_command(
    *arguments: str, cwd: Path = ROOT, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run `python -m skiesish ARGUMENTS` in ``cwd`` (the project by default), with no DATABASE_URL.

    ``timeout`` is a hang guard: a command still running then fails the test.
    """
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "skiesish", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    """GET ``url``; return (status, body) whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that the OS gave out a moment ago."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_until(condition: Callable[[], object], what: str, seconds: float = 30) -> None:
    """Poll ``condition`` until it holds; a hang guard, not a speed target."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        time.sleep(0.02)


def poll_until(url: str, status: int, what: str, seconds: float = 30) -> bytes:
    """GET ``url`` until it answers ``status``, and return that body; a hang guard, not a speed target."""
    answers: list[tuple[int, bytes]] = []
    wait_until(
        lambda: answers.append(http_get(url)) or answers[-1][0] == status,
        f"{what}: {url} answering {status}",
        seconds,
    )
    return answers[-1][1]


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Chromium (1100 x 500) driven by Selenium through Debian's chromedriver."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (binary and driver):
        reason = (
            "Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") or os.environ.get("SKIESISH_REQUIRE_SERVICES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1100,500",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    yield browser
    browser.quit()


def usage_error(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command's ``main(arguments)``, expecting exit 2; return the error line it printed."""
    from skiesish.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    last_line = capsys.readouterr().err.splitlines()[-1]
    assert last_line.startswith("skiesish check: error: ")
    return last_line


class ListenedService:
    """A HealthCheck (caching off) with a critical ``database`` and a non-critical ``cache`` check,
    whose runs and changes go to ``listener``; the test says whether each check passes.

    Attributes:
        healthy: each check's outcome for the next probe.
        outputs: what each check says when it fails.
    """

    #: A hang guard for waits that end as soon as their condition holds, never a speed target.
    WAIT = 60

    def __init__(self, listener: Any, database_output: str = "connection refused") -> None:
        import skiesish

        self.listener = listener
        self.healthy = {"database": True, "cache": True}
        self.outputs = {"database": database_output, "cache": "cache is full"}

        def database() -> Any:
            return self.healthy["database"] or (False, self.outputs["database"])

        def cache() -> Any:
            return self.healthy["cache"] or (False, self.outputs["cache"])

        self.context = skiesish.contexts.test(
            skiesish.Application(
                skiesish.handlers.HealthCheck,
                {
                    "checks": [
                        skiesish.Check(database, name="database"),
                        skiesish.Check(cache, name="cache", critical=False),
                    ],
                    "success_ttl": None,
                    "failed_ttl": None,
                    "listeners": [listener],
                },
            )
        )
        self.engine = self.context.handler.engine

    def probe(self, database: bool = True, cache: bool = True) -> int:
        """Set the checks' outcomes, answer one probe, wait until the listener has been told; the status."""
        self.healthy.update(database=database, cache=cache)
        _, status, _ = self.context()
        assert self.engine.wait_notified(self.WAIT)
        return int(status)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def service_for() -> Iterator[Callable[..., ListenedService]]:
    """``service_for(listener, ...)`` makes a :class:`ListenedService`; all are closed after the test."""
    made: list[ListenedService] = []

    def make(listener: Any, **options: Any) -> ListenedService:
        made.append(ListenedService(listener, **options))
        return made[-1]

    yield make
    for service in made:
        service.close()
