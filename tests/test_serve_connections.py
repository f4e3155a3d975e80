"""`skiesish serve` keeps answering probes while many clients hold connections open, idle or slow."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from conftest import ROOT, serve_command

from skiesish.cli.serve import DEFAULT_CONNECTION_LIMIT, RESERVED_DESCRIPTORS

#: waitress's own connection limit, which `skiesish serve` used to keep.
OLD_CONNECTION_LIMIT = 100


@contextlib.contextmanager
def running(command: list[str], port: int, nofile: int | None = None) -> Iterator[subprocess.Popen[str]]:
    """Run ``command`` (with at most ``nofile`` open files) until it answers /livez; stop it afterwards."""

    def limit_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**environment, "PYTHONUNBUFFERED": "1"},
        preexec_fn=limit_files,
    )
    try:
        deadline = time.monotonic() + 30
        while livez(port, timeout=2) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {process.communicate(timeout=10)[0]}")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=20)


def livez(port: int, timeout: float = 10) -> int | None:
    """The status of GET /livez, or None when no answer came within ``timeout``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code)
    except OSError:
        return None


class Slowloris:
    """Connections that send a request's headers one byte at a time and never finish them."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        for sock in self.sockets:
            sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._dribble, daemon=True)
        self.thread.start()

    def _dribble(self) -> None:
        while not self.stopped.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X")

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


def test_probes_answer_while_more_clients_than_the_old_limit_hold_connections(free_port):
    """150 idle connections and 5 slowloris ones held open: /livez still answers 200."""
    with running(serve_command(free_port), free_port):
        idle = [socket.create_connection(("127.0.0.1", free_port), timeout=5) for _ in range(150)]
        slowloris = Slowloris(free_port, 5)
        try:
            assert len(idle) + 5 > OLD_CONNECTION_LIMIT
            assert livez(free_port) == 200
        finally:
            slowloris.close()
            for sock in idle:
                sock.close()


def test_an_explicit_connection_limit_is_kept(free_port):
    """--connection-limit 5 lets five clients in, all answered, and then stops accepting (and says so)."""
    with running(serve_command(free_port, "--connection-limit", "5"), free_port) as process:
        held = [socket.create_connection(("127.0.0.1", free_port), timeout=5) for _ in range(5)]
        try:
            for sock in held:  # every one of the five is answered: they were all let in
                sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert sock.recv(64).startswith(b"HTTP/1.1 200 ")
        finally:
            for sock in held:
                sock.close()
        assert livez(free_port) == 200  # the slots came back
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "reached the connection limit" in output


def test_the_default_limit_shrinks_to_the_files_the_process_may_open(free_port):
    """Under `ulimit -n 512` the server starts with fewer connections, and says how many."""
    with running(serve_command(free_port), free_port, nofile=512) as process:
        assert livez(free_port) == 200
        process.terminate()
        output = process.communicate(timeout=20)[0]
    fitting = 512 - RESERVED_DESCRIPTORS
    assert f"serving at most {fitting} connections, not {DEFAULT_CONNECTION_LIMIT}" in output


def test_a_soft_file_limit_is_raised_to_what_the_connections_need(free_port):
    """With a soft limit of 256 and a hard one above, the default limit is served in full."""

    def soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < DEFAULT_CONNECTION_LIMIT + RESERVED_DESCRIPTORS:
        pytest.skip(f"the hard limit here, {hard}, is below what the default needs")
    code = (
        "import resource, sys; from skiesish.cli.serve import _connection_limit; "
        "print(_connection_limit(None, use_poll=True), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, preexec_fn=soft_limit
    )
    wanted = DEFAULT_CONNECTION_LIMIT + RESERVED_DESCRIPTORS
    assert result.stdout.split() == [str(DEFAULT_CONNECTION_LIMIT), str(wanted)]


@pytest.mark.parametrize(
    ("options", "nofile", "message"),
    [
        (["--connection-limit", "5000"], 512, "--connection-limit 5000 needs 5064 open files"),
        (["--connection-limit", "2000", "--no-asyncore-use-poll"], None, "select() watches descriptors"),
    ],
)
def test_a_connection_limit_that_cannot_be_had_is_a_usage_error(free_port, options, nofile, message):
    """Asking for more connections than the process may hold exits 2, saying why, before serving."""

    def limit_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    result = subprocess.run(
        serve_command(free_port, *options),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limit_files,
    )
    assert result.returncode == 2
    assert message in result.stderr
