"""skiesish.integrations.grpc: grpc.health.v1 (Check, Watch, List) served from the engine, over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from conftest import wait_until
from grpc_health.v1 import health_pb2, health_pb2_grpc

import skiesish
from skiesish.exceptions import ConfigurationError
from skiesish.integrations.grpc import (
    NOT_SERVING,
    SERVICE_UNKNOWN,
    SERVING,
    UNKNOWN,
    HealthServer,
    add_async_health_servicer,
    add_health_servicer,
    start_health_server,
)

DEADLINE = 0.5  # the engine's deadline in these tests, in seconds
SLACK = 0.5  # what a hung check may take past the deadline, in seconds
TTL = 0.1  # short cache lifetimes, so that a change is seen on the next look


class Switch:
    """A dependency the test turns up and down: the check passes while ``up`` is set."""

    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    def __call__(self) -> tuple[bool, str]:
        self.calls += 1
        return self.up, "up" if self.up else "down"


def health_context(*checks: skiesish.Check, **config: Any) -> Any:
    """A WSGI context of a HealthCheck with ``checks`` and short TTLs (unless ``config`` says otherwise)."""
    settings = {"checks": list(checks), "success_ttl": TTL, "failed_ttl": TTL, "timeout": DEADLINE, **config}
    return skiesish.contexts.wsgi(skiesish.Application(skiesish.handlers.HealthCheck, settings))


@contextlib.contextmanager
def sync_server(application: Any, **options: Any) -> Iterator[tuple[Any, Any]]:
    """A ``grpc.Server`` on a free loopback port with the health servicer; yields (stub, servicer)."""
    server = grpc.server(ThreadPoolExecutor(8))
    servicer = add_health_servicer(server, application, watch_interval=0.05, **options)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield health_pb2_grpc.HealthStub(channel), servicer
    finally:
        channel.close()
        servicer.end_watches()
        server.stop(0).wait(10)
        servicer.close()


@contextlib.contextmanager
def aio_server(application: Any, **options: Any) -> Iterator[tuple[Any, HealthServer]]:
    """The standalone (grpc.aio) health server on a free loopback port; yields (stub, server)."""
    server = start_health_server(application, "127.0.0.1:0", watch_interval=0.05, **options)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield health_pb2_grpc.HealthStub(channel), server
    finally:
        channel.close()
        server.stop(0)


SERVERS = [pytest.param(sync_server, id="sync"), pytest.param(aio_server, id="aio")]


def check(stub: Any, service: str = "", timeout: float = 10) -> int:
    """The status ``Check`` answers for ``service``."""
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout).status


def check_error(stub: Any, service: str) -> grpc.RpcError:
    """The error ``Check`` fails with for ``service``."""
    with pytest.raises(grpc.RpcError) as caught:
        check(stub, service)
    return caught.value


# -- Check ------------------------------------------------------------------------


@pytest.mark.parametrize("serve", SERVERS)
def test_check_answers_serving_while_every_check_passes(serve: Callable[..., Any]) -> None:
    """The whole server ("") and each check's own service answer SERVING when all pass."""
    with serve(
        health_context(skiesish.Check(Switch(), name="db"), skiesish.Check(Switch(), name="cache"))
    ) as (
        stub,
        _,
    ):
        assert [check(stub, name) for name in ("", "db", "cache")] == [SERVING] * 3


@pytest.mark.parametrize("serve", SERVERS)
def test_check_answers_not_serving_for_a_failing_check_and_the_whole(serve: Callable[..., Any]) -> None:
    """A failing critical check makes its service and "" NOT_SERVING; its neighbour stays SERVING."""
    db = Switch()
    db.up = False
    with serve(health_context(skiesish.Check(db, name="db"), skiesish.Check(Switch(), name="cache"))) as (
        stub,
        _,
    ):
        assert [check(stub, name) for name in ("", "db", "cache")] == [NOT_SERVING, NOT_SERVING, SERVING]


def test_a_failing_non_critical_check_is_a_warning_that_keeps_serving() -> None:
    """As over HTTP (200 with "warn"), a failing non-critical check leaves "" and its own service SERVING."""
    optional = Switch()
    optional.up = False
    application = health_context(
        skiesish.Check(Switch(), name="db"), skiesish.Check(optional, name="optional", critical=False)
    )
    with sync_server(application) as (stub, _):
        assert (check(stub, ""), check(stub, "optional")) == (SERVING, SERVING)
    assert application.respond(skiesish.input_outputs.InputOutput("GET", "/")).status_code == 200


@pytest.mark.parametrize("serve", SERVERS)
def test_an_unknown_service_is_not_found_as_the_protocol_says(serve: Callable[..., Any]) -> None:
    """Check of a service that is not configured fails with NOT_FOUND, naming it."""
    with serve(health_context(skiesish.Check(Switch(), name="db"))) as (stub, _):
        error = check_error(stub, "payments")
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "'payments'" in error.details()


@pytest.mark.parametrize(
    "service", ["x" * 100_000, "bad\nname\x00\x1b[31m", "ünïcode ☃", "token=sk_live_abcdefghijklmnop1234"]
)
def test_a_hostile_service_name_gets_a_short_printable_not_found(service: str) -> None:
    """Whatever name a caller sends, the answer is NOT_FOUND with short, printable details."""
    with sync_server(health_context(skiesish.Check(Switch(), name="db"))) as (stub, _):
        error = check_error(stub, service)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert len(error.details()) < 200
    assert error.details().isprintable()


@pytest.mark.parametrize("serve", SERVERS)
def test_a_hung_check_is_not_serving_at_the_deadline(serve: Callable[..., Any]) -> None:
    """A check that hangs is failed at the engine's deadline: Check answers NOT_SERVING in time."""
    release = threading.Event()
    application = health_context(skiesish.Check(lambda: release.wait(30), name="hangs"))
    with serve(application) as (stub, _):
        started = time.monotonic()
        status = check(stub, "hangs")
        took = time.monotonic() - started
        release.set()
    assert status == NOT_SERVING
    assert took < DEADLINE + SLACK


@pytest.mark.parametrize("serve", SERVERS)
def test_a_client_deadline_shorter_than_the_check_is_honoured(serve: Callable[..., Any]) -> None:
    """A client's own short deadline ends its call with DEADLINE_EXCEEDED; the server answers the next."""
    release = threading.Event()
    application = health_context(skiesish.Check(lambda: release.wait(30), name="hangs"), timeout=5)
    with serve(application) as (stub, _):
        with pytest.raises(grpc.RpcError) as caught:
            check(stub, "hangs", timeout=0.1)
        release.set()
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert check(stub, "hangs") in (SERVING, NOT_SERVING)


def test_a_check_raising_base_exception_is_not_serving_and_the_server_goes_on() -> None:
    """A check raising SystemExit (a BaseException) is a failed check, never a dead server."""

    def exits() -> None:
        raise SystemExit(3)

    with sync_server(
        health_context(skiesish.Check(exits, name="exits"), skiesish.Check(Switch(), name="db"))
    ) as (
        stub,
        _,
    ):
        assert (check(stub, "exits"), check(stub, "db")) == (NOT_SERVING, SERVING)


@pytest.mark.parametrize("serve", SERVERS)
def test_an_internal_error_answers_unknown_and_is_logged(
    serve: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """If reading a status fails inside skiesish, the call answers UNKNOWN and the reason is logged."""
    with serve(health_context(skiesish.Check(Switch(), name="db"))) as (stub, holder):
        servicer = holder if not isinstance(holder, HealthServer) else holder.servicer

        def broken(service: str) -> int:
            raise RuntimeError("the engine broke")

        servicer.statuses.status = broken
        servicer.statuses.fresh_status = lambda service: None
        assert check(stub, "db") == UNKNOWN
    assert "the gRPC health Check of 'db' failed" in caplog.text


def test_http_and_grpc_share_one_engine_and_cache() -> None:
    """Given the WSGI context, gRPC answers from its engine: a cached result is not run again."""
    dependency = Switch()
    context = health_context(skiesish.Check(dependency, name="db"), success_ttl=60)
    assert context.respond(skiesish.input_outputs.InputOutput("GET", "/")).status_code == 200
    with sync_server(context) as (stub, _):
        assert check(stub, "") == SERVING
    assert dependency.calls == 1


# -- List -------------------------------------------------------------------------


@pytest.mark.parametrize("serve", SERVERS)
def test_list_gives_every_service_with_its_status(serve: Callable[..., Any]) -> None:
    """List returns "", each check's service and each mapped service, with their statuses."""
    down = Switch()
    down.up = False
    application = health_context(
        skiesish.Check(Switch(), name="db", tags=("storage",)), skiesish.Check(down, name="queue")
    )
    with serve(application, services={"storage": ["storage"], "all": ["db", "queue"]}) as (stub, _):
        listed = stub.List(health_pb2.HealthListRequest(), timeout=10)
    assert {name: response.status for name, response in listed.statuses.items()} == {
        "": NOT_SERVING,
        "storage": SERVING,
        "all": NOT_SERVING,
    }


@pytest.mark.parametrize("serve", SERVERS)
def test_list_of_more_than_100_services_is_resource_exhausted(serve: Callable[..., Any]) -> None:
    """As gRFC A90 says, List fails with RESOURCE_EXHAUSTED past 100 services; Check still answers each."""
    services = {f"service-{number}": ["db"] for number in range(101)}
    with serve(health_context(skiesish.Check(Switch(), name="db")), services=services) as (stub, _):
        with pytest.raises(grpc.RpcError) as caught:
            stub.List(health_pb2.HealthListRequest(), timeout=10)
        assert check(stub, "service-100") == SERVING
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "more than the 100 List may return" in caught.value.details()


# -- Watch ------------------------------------------------------------------------


def next_status(stream: Any) -> int:
    """The next status a Watch stream sends."""
    return next(stream).status


@pytest.mark.parametrize("serve", SERVERS)
def test_watch_sends_the_status_then_each_change(serve: Callable[..., Any]) -> None:
    """Watch sends the current status at once, then one message per change: down, then up again."""
    dependency = Switch()
    with serve(health_context(skiesish.Check(dependency, name="db"))) as (stub, _):
        stream = stub.Watch(health_pb2.HealthCheckRequest(service="db"), timeout=30)
        assert next_status(stream) == SERVING
        dependency.up = False
        assert next_status(stream) == NOT_SERVING
        dependency.up = True
        assert next_status(stream) == SERVING
        stream.cancel()


@pytest.mark.parametrize("serve", SERVERS)
def test_a_cancelled_watch_ends_and_is_forgotten(serve: Callable[..., Any]) -> None:
    """When the client cancels, the server drops its subscription and the background refresh stops."""
    with serve(health_context(skiesish.Check(Switch(), name="db"))) as (stub, holder):
        statuses = (holder.servicer if isinstance(holder, HealthServer) else holder).statuses
        stream = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        assert next_status(stream) == SERVING
        assert statuses._subscriptions
        stream.cancel()
        wait_until(lambda: not statuses._subscriptions, "the subscription to go", 10)
        wait_until(lambda: statuses._refresher is None, "the background refresh to stop", 10)


@pytest.mark.parametrize("serve", SERVERS)
def test_watch_of_an_unknown_service_says_service_unknown(serve: Callable[..., Any]) -> None:
    """As the protocol says, Watch of an unknown service sends SERVICE_UNKNOWN rather than failing."""
    with serve(health_context(skiesish.Check(Switch(), name="db"))) as (stub, _):
        stream = stub.Watch(health_pb2.HealthCheckRequest(service="nope"), timeout=30)
        assert next_status(stream) == SERVICE_UNKNOWN
        stream.cancel()


# -- shutting down ------------------------------------------------------------------


@pytest.mark.parametrize("serve", SERVERS)
def test_graceful_shutdown_turns_every_service_not_serving(serve: Callable[..., Any]) -> None:
    """After enter_graceful_shutdown, every service answers NOT_SERVING and watchers are told."""
    with serve(health_context(skiesish.Check(Switch(), name="db"))) as (stub, holder):
        stream = stub.Watch(health_pb2.HealthCheckRequest(service="db"), timeout=30)
        assert next_status(stream) == SERVING
        holder.enter_graceful_shutdown()
        assert next_status(stream) == NOT_SERVING
        assert (check(stub, ""), check(stub, "db")) == (NOT_SERVING, NOT_SERVING)
        stream.cancel()


def test_stopping_the_server_tells_watchers_not_serving_before_their_stream_ends() -> None:
    """HealthServer.stop(): watchers get NOT_SERVING, then their stream ends cleanly."""
    server = start_health_server(health_context(skiesish.Check(Switch(), name="db")), "127.0.0.1:0")
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stream = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=""), timeout=30
        )
        assert next_status(stream) == SERVING
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        assert [response.status for response in stream] == [NOT_SERVING]
        stopper.join(30)


@pytest.mark.parametrize("serve", SERVERS)
def test_a_process_out_of_service_is_not_serving(serve: Callable[..., Any]) -> None:
    """While service_state says out of service (or shutting down), every service is NOT_SERVING."""
    context = health_context(skiesish.Check(Switch(), name="db"))
    state = context.di.build_from_name("service_state")
    with serve(context) as (stub, _):
        state.set_out_of_service(True)
        assert (check(stub, ""), check(stub, "db")) == (NOT_SERVING, NOT_SERVING)
        state.set_out_of_service(False)
        assert check(stub, "") == SERVING


# -- probes -------------------------------------------------------------------------


def test_probes_serve_live_ready_and_the_whole_as_readiness() -> None:
    """With skiesish.probes: "" and "ready" follow the ready checks, "live" the live ones."""
    database = Switch()
    database.up = False
    application = skiesish.probes(
        live=[],
        ready=[skiesish.Check(database, name="database")],
        success_ttl=TTL,
        failed_ttl=TTL,
    )
    with sync_server(skiesish.contexts.wsgi(application)) as (stub, _):
        statuses = {name: check(stub, name) for name in ("", "live", "ready", "database")}
    assert statuses == {"": NOT_SERVING, "live": SERVING, "ready": NOT_SERVING, "database": NOT_SERVING}


# -- asyncio, on your own server ---------------------------------------------------------


def test_the_async_servicer_serves_a_grpc_aio_server() -> None:
    """add_async_health_servicer on the application's own grpc.aio server: Check and Watch."""
    dependency = Switch()
    context = health_context(skiesish.Check(dependency, name="db"))

    async def scenario() -> list[int]:
        server = grpc.aio.server()
        servicer = add_async_health_servicer(server, context, watch_interval=0.05)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                seen = [(await stub.Check(health_pb2.HealthCheckRequest(service="db"))).status]
                stream = stub.Watch(health_pb2.HealthCheckRequest(service="db"))
                seen.append((await stream.read()).status)
                dependency.up = False
                seen.append((await stream.read()).status)
                stream.cancel()
                return seen
        finally:
            servicer.end_watches()
            await server.stop(0)
            servicer.close()

    assert asyncio.run(scenario()) == [SERVING, SERVING, NOT_SERVING]


# -- building --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ({"db": ["postgres"]}, r"services\['db'\] names 'postgres', which is neither a check nor a tag"),
        ({"db": []}, r"services\['db'\] must be a check name or tag, or a non-empty list"),
        ({"db": [3]}, r"services\['db'\] must be a check name or tag"),
        ({3: ["db"]}, r"a gRPC service name must be a printable string"),
        ({"bad\nname": ["db"]}, r"a gRPC service name must be a printable string"),
        (["db"], r"services must map each gRPC service name to check names or tags"),
    ],
)
def test_a_wrong_service_mapping_fails_at_build_time_naming_it(services: Any, message: str) -> None:
    """A mapping naming an unknown check or tag, or of the wrong shape, is refused at build time."""
    server = grpc.server(ThreadPoolExecutor(1))
    with pytest.raises(ConfigurationError, match=message):
        add_health_servicer(server, health_context(skiesish.Check(Switch(), name="db")), services=services)


def test_an_application_that_is_not_a_health_check_is_refused() -> None:
    """The servicer needs a HealthCheck or probes application, and says so."""
    routing = skiesish.Application(skiesish.handlers.Callable, {"callable": lambda: {}})
    with pytest.raises(ConfigurationError, match=r"handler is skiesish\.handlers\.HealthCheck or"):
        add_health_servicer(grpc.server(ThreadPoolExecutor(1)), routing)
    with pytest.raises(ConfigurationError, match=r"needs a skiesish\.Application or a context"):
        add_health_servicer(grpc.server(ThreadPoolExecutor(1)), object())


def test_an_application_gets_a_context_of_its_own_closed_with_the_servicer() -> None:
    """Given an Application, the servicer builds a context and closes it on close()."""
    application = skiesish.Application(
        skiesish.handlers.HealthCheck, {"checks": [skiesish.Check(Switch(), name="db")]}
    )
    with sync_server(application) as (stub, servicer):
        assert check(stub, "db") == SERVING
        built = servicer._built
    assert built is not None
    assert built.handler.engine._stop.is_set()


@pytest.mark.parametrize("listen", ["127.0.0.1", "nohost:", "127.0.0.1:99999", ""])
def test_a_wrong_listen_address_is_refused(listen: str) -> None:
    """HealthServer's address must be HOST:PORT, said in one sentence."""
    with pytest.raises(ValueError, match="listen expects"):
        HealthServer(health_context(skiesish.Check(Switch(), name="db")), listen)


def test_an_address_in_use_is_refused_when_starting() -> None:
    """Starting on a port another server holds raises ValueError naming the address."""
    first = start_health_server(health_context(skiesish.Check(Switch(), name="db")), "127.0.0.1:0")
    try:
        with pytest.raises(ValueError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            start_health_server(
                health_context(skiesish.Check(Switch(), name="db")), f"127.0.0.1:{first.port}"
            )
    finally:
        first.stop(0)


@pytest.mark.parametrize("interval", [0, -1, "1", float("nan")])
def test_a_wrong_watch_interval_is_refused(interval: Any) -> None:
    """watch_interval must be a number of seconds in range."""
    with pytest.raises(ConfigurationError, match="watch_interval"):
        add_health_servicer(
            grpc.server(ThreadPoolExecutor(1)),
            health_context(skiesish.Check(Switch(), name="db")),
            watch_interval=interval,
        )
