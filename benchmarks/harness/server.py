"""Starting one app under its server (waitress, uvicorn or Tornado) in its own process, and stopping it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import BenchmarkError
from .settings import BENCHMARKS_DIR, EVENT_LOOP_SERVE_SCRIPT, SERVE_SCRIPT

__all__ = ["App", "Served", "Servers"]

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


@dataclasses.dataclass(frozen=True)
class App:
    """One server to measure.

    Attributes:
        label: how the report names it.
        module: the module under ``benchmarks/`` exposing ``application``.
        venv: ``"main"`` (the project's virtualenv) or ``"peers"``.
        path: the URL path of its health endpoint.
        server: ``"waitress"`` (``serve.py``, WSGI), or ``"uvicorn"`` (ASGI) or ``"tornado"`` (a
            ``tornado.web.Application``), both one process on one event loop (``serve_event_loop.py``).
    """

    label: str
    module: str
    venv: str
    path: str = "/health"
    server: str = "waitress"


@dataclasses.dataclass(frozen=True)
class Served:
    """A running server: its health URL and its process id."""

    url: str
    pid: int


@dataclasses.dataclass
class Servers:
    """Starts apps with the right interpreter and the same thread count.

    Attributes:
        pythons: interpreter per virtualenv name.
        unavailable: why a virtualenv cannot be used, per name.
        threads: waitress worker threads for every server.
        workdir: where port files, logs and counters go.
    """

    pythons: dict[str, Path]
    unavailable: dict[str, str]
    threads: int
    workdir: Path

    def python_for(self, app: App) -> Path:
        """The interpreter that can import ``app``."""
        if app.venv in self.unavailable:
            raise BenchmarkError(f"{app.venv} virtualenv unavailable: {self.unavailable[app.venv]}")
        return self.pythons[app.venv]

    @contextlib.contextmanager
    def running(self, app: App, environment: Mapping[str, str] | None = None) -> Iterator[str]:
        """Serve ``app`` on an ephemeral 127.0.0.1 port; yield its health URL; stop it afterwards."""
        with self.serving(app, environment) as served:
            yield served.url

    @contextlib.contextmanager
    def serving(self, app: App, environment: Mapping[str, str] | None = None) -> Iterator[Served]:
        """As :meth:`running`, yielding the server's process id with its URL."""
        port_file = self.workdir / f"{app.module}.port"
        log_file = self.workdir / f"{app.module}.log"
        port_file.unlink(missing_ok=True)
        command = [str(self.python_for(app)), str(SERVE_SCRIPT), app.module, "--threads", str(self.threads)]
        if app.server != "waitress":
            command[1:2] = [str(EVENT_LOOP_SERVE_SCRIPT), "--server", app.server]
        with open(log_file, "wb") as log:
            process = subprocess.Popen(
                [*command, "--port-file", str(port_file)],
                cwd=BENCHMARKS_DIR,
                env={**os.environ, **(environment or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            port = wait_for_port(process, port_file, log_file)
            yield Served(f"http://127.0.0.1:{port}{app.path}", process.pid)
        finally:
            stop(process)


def wait_for_port(process: subprocess.Popen[bytes], port_file: Path, log_file: Path) -> int:
    """The port the server wrote, once it listens.

    Raises:
        BenchmarkError: the server exited first (with the last line it logged) or took too long.
    """
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if port_file.exists():
            return int(port_file.read_text(encoding="ascii"))
        if process.poll() is not None:
            raise BenchmarkError(f"the server exited with {process.returncode}: {last_line(log_file)}")
        time.sleep(0.05)
    raise BenchmarkError(f"the server was not listening after {STARTUP_TIMEOUT:.0f} s")


def last_line(log_file: Path) -> str:
    """The last non-blank line of a server's log: for a crash, the exception."""
    lines = [line.strip() for line in log_file.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(nothing logged)"


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server, killing it if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)
