"""gRPC health from outside: checks.grpc(), `check --grpc`, `serve --grpc-listen`, the example, faults."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from conftest import REDIS_URL, ROOT, free_ports, http_get, require_server, skiesish_command, wait_until
from grpc_health.v1 import health_pb2, health_pb2_grpc
from test_grpc import Switch, health_context, sync_server

import skiesish
from skiesish.exceptions import ConfigurationError
from skiesish.integrations.grpc import NOT_SERVING, SERVING

TIMEOUT = 1.0  # the remote check's and the command's timeout, in seconds
SLACK = 0.5  # what a call may take past its timeout, in seconds


class Remote:
    """A second server's health service, on a sync gRPC server of its own, with one switchable check."""

    def __init__(self) -> None:
        self.dependency = Switch()
        self._server = sync_server(health_context(skiesish.Check(self.dependency, name="db")))
        stub, self.servicer = self._server.__enter__()
        self.target = stub.Check._channel.target().decode()

    def close(self) -> None:
        self._server.__exit__(None, None, None)


@pytest.fixture
def remote() -> Iterator[Remote]:
    """A second gRPC server whose health service says SERVING while ``remote.dependency.up``."""
    server = Remote()
    yield server
    server.close()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_ports(1)[0]


# -- checks.grpc() -----------------------------------------------------------------


def run(check: skiesish.Check) -> Any:
    """The report of an engine holding ``check`` alone, caching off."""
    context = skiesish.contexts.wsgi(
        skiesish.Application(
            skiesish.handlers.HealthCheck, {"checks": [check], "success_ttl": None, "failed_ttl": None}
        )
    )
    try:
        return context.handler.engine.evaluate().results[0]
    finally:
        context.close()


def test_the_remote_check_passes_while_the_server_is_serving(remote: Remote) -> None:
    """checks.grpc() passes, with its latency, while the other server says SERVING."""
    result = run(skiesish.checks.grpc(remote.target))
    assert result.passed
    assert result.output.startswith("SERVING in ")


def test_the_remote_check_fails_when_the_server_is_not_serving(remote: Remote) -> None:
    """NOT_SERVING from the other server fails the check, naming the status and the service."""
    remote.dependency.up = False
    result = run(skiesish.checks.grpc(remote.target, service="db"))
    assert not result.passed
    assert result.output == f"{remote.target} answered NOT_SERVING for the service 'db'"


def test_the_remote_check_fails_for_a_service_the_server_does_not_know(remote: Remote) -> None:
    """An unknown service is NOT_FOUND on the other side, and a failed check here."""
    result = run(skiesish.checks.grpc(remote.target, service="payments"))
    assert not result.passed
    assert "answered NOT_FOUND" in result.output


def test_an_unreachable_server_fails_within_the_timeout() -> None:
    """Nothing listening: the check fails (UNAVAILABLE or DEADLINE_EXCEEDED) within its timeout."""
    started = time.monotonic()
    result = run(skiesish.checks.grpc(f"127.0.0.1:{closed_port()}", timeout=TIMEOUT))
    assert not result.passed
    assert "UNAVAILABLE" in result.output or "DEADLINE_EXCEEDED" in result.output
    assert time.monotonic() - started < TIMEOUT + SLACK


def test_the_remote_check_keeps_one_channel_and_recovers_when_the_server_returns(remote: Remote) -> None:
    """Probes reuse one channel; after the server says NOT_SERVING and then SERVING, the check follows."""
    check = skiesish.checks.grpc(remote.target, timeout=TIMEOUT)
    context = skiesish.contexts.wsgi(
        skiesish.Application(
            skiesish.handlers.HealthCheck, {"checks": [check], "success_ttl": None, "failed_ttl": None}
        )
    )
    engine = context.handler.engine
    try:
        assert engine.evaluate().passed
        remote.dependency.up = False
        wait_until(lambda: not engine.evaluate().passed, "the check to fail")
        remote.dependency.up = True
        wait_until(lambda: engine.evaluate().passed, "the check to pass again")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"target": "nohost"}, r"grpc\(\): target expects HOST:PORT"),
        ({"target": "127.0.0.1:70000"}, r"with a port from 1 to 65535"),
        ({"target": "a b:1"}, r"holds a space or control character"),
        ({"target": 5}, r"grpc\(\): target expects"),
        ({"target": "127.0.0.1:1", "service": "x\n"}, r"service must be a printable string"),
        ({"target": "127.0.0.1:1", "timeout": 0}, r"grpc\(\): timeout"),
        ({"target": "127.0.0.1:1", "retries": 3}, r"unknown argument\(s\) retries"),
    ],
)
def test_a_wrong_argument_is_refused_at_build_time(arguments: dict[str, Any], message: str) -> None:
    """Bad targets, services, timeouts and unknown options fail when the check is made, naming them."""
    with pytest.raises(ConfigurationError, match=message):
        skiesish.checks.grpc(**arguments)


def test_the_default_name_says_where_and_which_service() -> None:
    """The check is named after the target and the service."""
    assert skiesish.checks.grpc("127.0.0.1:50051").name == "grpc:127.0.0.1:50051"
    assert skiesish.checks.grpc("127.0.0.1:50051", service="db").name == "grpc:127.0.0.1:50051/db"


# -- skiesish check --grpc ---------------------------------------------------------------


def test_check_grpc_exits_0_when_serving(remote: Remote) -> None:
    """`check --grpc` exits 0 and says healthy while the server is SERVING."""
    finished = skiesish_command("check", "--grpc", remote.target)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith(
        f"healthy: gRPC health of the whole server at {remote.target} -> SERVING in "
    )


def test_check_grpc_exits_1_when_not_serving(remote: Remote) -> None:
    """`check --grpc --service db` exits 1 when that service is NOT_SERVING."""
    remote.dependency.up = False
    finished = skiesish_command("check", "--grpc", remote.target, "--service", "db")
    assert finished.returncode == 1
    assert "unhealthy: gRPC health of service 'db'" in finished.stdout
    assert "-> NOT_SERVING" in finished.stdout


def test_check_grpc_exits_1_for_an_unknown_service(remote: Remote) -> None:
    """An unknown service is NOT_FOUND: exit 1, with the server's details."""
    finished = skiesish_command("check", "--grpc", remote.target, "--service", "payments")
    assert finished.returncode == 1
    assert "-> NOT_FOUND (no health service is named 'payments')" in finished.stdout


def test_check_grpc_exits_1_when_nothing_answers() -> None:
    """Nothing listening: exit 1 within the timeout, saying UNAVAILABLE or DEADLINE_EXCEEDED."""
    finished = skiesish_command("check", "--grpc", f"127.0.0.1:{closed_port()}", "--timeout", str(TIMEOUT))
    assert finished.returncode == 1
    assert "UNAVAILABLE" in finished.stdout or "DEADLINE_EXCEEDED" in finished.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--grpc", "nohost"], "--grpc expects HOST:PORT"),
        (["--grpc", "127.0.0.1:0"], "with a port from 1 to 65535"),
        (["examples.health_demo:application", "--service", "db"], "--service goes with --grpc"),
        (["--grpc", "127.0.0.1:1", "--url", "http://127.0.0.1:1/"], "check needs one of MODULE:ATTR"),
        (["--grpc", "127.0.0.1:1", "--path", "/readyz"], "--path goes with MODULE:ATTR"),
        (["--grpc", "127.0.0.1:1", "--verbose"], "--verbose goes with MODULE:ATTR"),
        (["--grpc", "127.0.0.1:1", "--timeout", "0"], "--timeout"),
        (["--grpc", "127.0.0.1:1", "--service", "a\tb"], "--service expects a printable name"),
    ],
)
def test_check_grpc_exits_2_for_a_mistake_on_the_command_line(arguments: list[str], message: str) -> None:
    """A wrong --grpc, --service or option mix exits 2 with one sentence naming it."""
    finished = skiesish_command("check", *arguments)
    assert finished.returncode == 2
    assert message in finished.stderr


# -- skiesish serve --grpc-listen and the example ------------------------------------------


def start(arguments: list[str], grpc_port: int) -> subprocess.Popen[str]:
    """Start a server process from the repository root; return it once its gRPC port accepts connections."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environment.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        arguments, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
    )

    def accepts() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the server exited early with {process.returncode}: {process.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", grpc_port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_until(accepts, f"the gRPC port {grpc_port} to accept connections")
    return process


def stub_for(port: int) -> Any:
    return health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{port}"))


def status(stub: Any, service: str = "") -> int:
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status


def watch_in_background(stub: Any, service: str) -> tuple[list[int], threading.Thread]:
    """Watch ``service``; the statuses arrive in the returned list, and the thread ends with the stream."""
    seen: list[int] = []
    stream = stub.Watch(health_pb2.HealthCheckRequest(service=service), timeout=60)

    def read() -> None:
        try:
            for response in stream:
                seen.append(response.status)
        except grpc.RpcError as error:
            seen.append(-error.code().value[0])

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return seen, thread


def test_serve_grpc_listen_answers_and_turns_not_serving_on_sigterm_while_draining() -> None:
    """`serve --grpc-listen`: SERVING; on SIGTERM NOT_SERVING at once, HTTP still answering; exit 0."""
    http_port, grpc_port = free_ports(2)
    process = start(
        [
            sys.executable,
            "-m",
            "skiesish",
            "serve",
            "examples.kubernetes_probes:application",
            "--listen",
            f"127.0.0.1:{http_port}",
            "--grpc-listen",
            f"127.0.0.1:{grpc_port}",
            "--drain",
            "3",
        ],
        grpc_port,
    )
    stub = stub_for(grpc_port)
    try:
        assert (status(stub, ""), status(stub, "live"), status(stub, "ready")) == (SERVING, SERVING, SERVING)
        seen, watcher = watch_in_background(stub, "")
        wait_until(lambda: seen == [SERVING], "the watch's first message")
        process.send_signal(signal.SIGTERM)
        wait_until(lambda: seen == [SERVING, NOT_SERVING], "the watch to learn of the shutdown")
        assert status(stub, "live") == NOT_SERVING
        assert http_get(f"http://127.0.0.1:{http_port}/livez")[0] == 200  # still draining
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"skiesish serving gRPC health on 127.0.0.1:{grpc_port}" in output
    watcher.join(10)
    assert not watcher.is_alive()


def test_serve_grpc_listen_refuses_an_application_without_health_checks(
    free_port: int, tmp_path: Any
) -> None:
    """`serve --grpc-listen` of an application that is not a HealthCheck or probes exits 2, saying so."""
    (tmp_path / "routes.py").write_text(
        "import skiesish\n"
        "application = skiesish.contexts.wsgi(skiesish.Application(\n"
        "    skiesish.handlers.Callable, {'callable': lambda: {'ok': True}}\n"
        "))\n"
    )
    grpc_port = free_ports(1)[0]
    finished = skiesish_command(
        "serve",
        "routes:application",
        "--listen",
        f"127.0.0.1:{free_port}",
        "--grpc-listen",
        f"127.0.0.1:{grpc_port}",
        cwd=tmp_path,
    )
    assert finished.returncode == 2
    assert "--grpc-listen: the gRPC health service needs an application whose handler is" in finished.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("nohost", "--grpc-listen expects HOST:PORT"),
        ("127.0.0.1:9090", "--grpc-listen must differ from --listen"),
    ],
)
def test_serve_grpc_listen_refuses_a_wrong_address(option: str, message: str) -> None:
    """A malformed --grpc-listen, or the HTTP address again, exits 2 naming the option."""
    finished = skiesish_command(
        "serve", "examples.health_demo:application", "--listen", "127.0.0.1:9090", "--grpc-listen", option
    )
    assert finished.returncode == 2
    assert message in finished.stderr


def test_the_example_serves_grpc_health_and_drains_on_sigterm() -> None:
    """examples/grpc_health.py: every probe SERVING; SIGTERM: NOT_SERVING to watchers, then exit 0."""
    grpc_port = free_ports(1)[0]
    process = start(
        [sys.executable, "-m", "examples.grpc_health", "--listen", f"127.0.0.1:{grpc_port}", "--drain", "1"],
        grpc_port,
    )
    stub = stub_for(grpc_port)
    try:
        assert [status(stub, name) for name in ("", "live", "ready")] == [SERVING] * 3
        finished = skiesish_command("check", "--grpc", f"127.0.0.1:{grpc_port}", "--service", "ready")
        assert finished.returncode == 0, finished.stdout + finished.stderr
        seen, watcher = watch_in_background(stub, "ready")
        wait_until(lambda: seen == [SERVING], "the watch's first message")
        process.send_signal(signal.SIGTERM)
        watcher.join(30)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert seen == [SERVING, NOT_SERVING]
    assert process.returncode == 0, output


# -- a real dependency going down and up ----------------------------------------------------


@pytest.mark.services
def test_watch_follows_redis_going_down_and_up_behind_a_fault_proxy(fault_proxy: Any) -> None:
    """Watch of "" sends SERVING, NOT_SERVING when Redis stops answering, SERVING when it is back."""
    require_server("Redis", "127.0.0.1", 6379)
    proxy = fault_proxy(int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    redis = skiesish.checks.redis(url=f"redis://127.0.0.1:{proxy.port}/0", timeout=0.5)
    context = health_context(redis, timeout=1, success_ttl=0.2, failed_ttl=0.2)
    with sync_server(context) as (stub, _):
        seen, watcher = watch_in_background(stub, "")
        wait_until(lambda: seen == [SERVING], "the watch's first message")
        proxy.set_mode("refuse")
        wait_until(lambda: seen == [SERVING, NOT_SERVING], "the watch to see Redis down")
        proxy.set_mode("pass")
        wait_until(lambda: seen == [SERVING, NOT_SERVING, SERVING], "the watch to see Redis back")
    watcher.join(10)


# -- the Kubernetes manifest of docs/grpc.md ------------------------------------------------


def test_the_guides_kubernetes_probes_ask_services_the_example_serves() -> None:
    """docs/grpc.md's manifest probes the container's gRPC port, for services examples/grpc_health.py has."""
    import re

    import yaml

    from examples.grpc_health import health
    from skiesish.integrations.grpc import HealthStatuses

    guide = (ROOT / "docs" / "grpc.md").read_text()
    manifest = yaml.safe_load(re.search(r"```yaml\n(.*?)```", guide, re.S).group(1))
    container = manifest["containers"][0]
    port = container["ports"][0]["containerPort"]
    probes = {kind: container[kind] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert {probe["grpc"]["port"] for probe in probes.values()} == {port}
    assert f"0.0.0.0:{port}" in container["command"]
    services = HealthStatuses(health.handler).services
    assert {probe["grpc"]["service"] for probe in probes.values()} <= set(services)


def test_the_grpc_client_imports_neither_the_engine_nor_pydantic() -> None:
    """`check --grpc` loads grpcio and the client, not the servicer's engine, handlers and pydantic."""
    code = (
        "import sys; import skiesish.integrations.grpc.client; "
        "print(sorted(m for m in sys.modules if m == 'pydantic' or m.startswith('skiesish.health') "
        "or m.startswith('skiesish.handlers')))"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "[]"
