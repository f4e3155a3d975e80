"""The ASGI surface: answers, HEAD, bodies, mounting, lifespan, async checks, and a real uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import runpy
import socket
import threading
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount

import skiesish
from skiesish.handlers import HealthCheck
from skiesish.health import Check
from skiesish.input_outputs.asgi import MAX_BODY_BYTES, relative_path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SUCCESS_BYTES = b'{"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}'
FAILURE_BYTES = b'{"status": "failure", "error": "", "data": [], "pagination": {}, "input_errors": {}}'


@pytest.fixture
def anyio_backend():
    """Async tests run on asyncio, the loop uvicorn, Starlette and FastAPI use here."""
    return "asyncio"


@pytest.fixture
def contexts():
    """Build ASGI contexts that are closed after the test."""
    built = []

    def build(application, **arguments):
        context = skiesish.contexts.asgi(application, **arguments)
        built.append(context)
        return context

    yield build
    for context in built:
        context.close()


def health(config):
    """A HealthCheck application with ``config``."""
    return skiesish.Application(HealthCheck, config)


def echo(input_output):
    """A handler (plain function) returning what it was given."""
    return {
        "method": input_output.method,
        "path": input_output.path,
        "query": input_output.query_parameters,
        "header": input_output.header("X-Probe"),
        "body": input_output.json_body(),
    }


def client(app, base_url="http://testserver"):
    """An httpx client calling ``app`` in process, on the running loop."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def call(app, scope=None, receive=None):
    """Call ``app`` with a hand-made ``http`` scope; return the messages it sent."""
    full_scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        **(scope or {}),
    }
    sent = []

    async def empty_body():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(full_scope, receive or empty_body, send)
    return sent


@pytest.mark.anyio
async def test_success_is_the_envelope_with_its_headers(contexts):
    """A healthy service answers 200 with the exact envelope, Content-Type, Content-Length, no-store."""
    async with client(contexts(health({"services": ["memory_backend"]}))) as http_client:
        response = await http_client.get("/")
    assert (response.status_code, response.content) == (200, SUCCESS_BYTES)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["content-length"] == str(len(SUCCESS_BYTES))
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.anyio
async def test_failure_answers_500(contexts):
    """A failing check answers 500 with the failure envelope."""
    async with client(contexts(health({"callable": lambda: False}))) as http_client:
        response = await http_client.get("/")
    assert (response.status_code, response.content) == (500, FAILURE_BYTES)


@pytest.mark.anyio
async def test_head_has_the_headers_of_get_and_no_body(contexts):
    """HEAD gets GET's status and Content-Length, and an empty body."""
    sent = await call(contexts(health({})), {"method": "HEAD"})
    assert sent[0]["status"] == 200
    assert (b"content-length", str(len(SUCCESS_BYTES)).encode()) in sent[0]["headers"]
    assert sent[1] == {"type": "http.response.body", "body": b""}


@pytest.mark.anyio
async def test_method_path_query_headers_and_body_reach_the_handler(contexts):
    """Everything in the ASGI request reaches the handler's input_output."""
    async with client(contexts(echo)) as http_client:
        response = await http_client.post(
            "/deep/path?a=1&a=2&empty=", headers={"X-Probe": "yes"}, json={"hello": "world"}
        )
    assert response.json()["data"] == {
        "method": "POST",
        "path": "/deep/path",
        "query": {"a": ["1", "2"], "empty": [""]},
        "header": "yes",
        "body": {"hello": "world"},
    }


@pytest.mark.anyio
async def test_repeated_headers_are_joined(contexts):
    """A header sent twice reaches the handler as one comma-separated value."""
    sent = await call(contexts(echo), {"headers": [(b"x-probe", b"a"), (b"X-Probe", b"b")]})
    assert b'"header": "a, b"' in sent[1]["body"]


@pytest.mark.anyio
async def test_malformed_query_and_header_bytes_are_replaced_not_raised(contexts):
    """Bad percent-encoding and non-UTF-8 bytes become replacement characters; the answer is 200."""
    sent = await call(contexts(echo), {"query_string": b"a=%ff&b=\xfe", "headers": [(b"x-probe", b"\xff")]})
    assert sent[0]["status"] == 200
    assert b'"query": {"a": ["\\ufffd"], "b": ["\\ufffd"]}, "header": "\\ufffd"' in sent[1]["body"]


@pytest.mark.anyio
async def test_a_body_over_the_limit_is_refused_and_not_read_to_its_end(contexts):
    """A streamed body past MAX_BODY_BYTES answers 413, and reading stops just past the limit."""
    chunk = b"x" * 65536
    received = 0

    async def endless_body():
        nonlocal received
        received += 1
        return {"type": "http.request", "body": chunk, "more_body": received < 1000}

    sent = await call(contexts(echo), {"method": "POST"}, endless_body)
    assert sent[0]["status"] == 413
    assert received == MAX_BODY_BYTES // len(chunk) + 1


@pytest.mark.anyio
async def test_a_declared_content_length_over_the_limit_is_not_read(contexts):
    """With Content-Length past MAX_BODY_BYTES the body is refused (413) without a receive()."""

    async def unexpected():
        raise AssertionError("the body was read")

    headers = [(b"content-length", str(MAX_BODY_BYTES + 1).encode())]
    sent = await call(contexts(echo), {"method": "POST", "headers": headers}, unexpected)
    assert sent[0]["status"] == 413


@pytest.mark.anyio
async def test_a_client_gone_before_its_body_arrived_gets_no_answer(contexts):
    """An http.disconnect while the body is read ends the request without sending anything."""
    calls = []

    async def disconnect():
        return {"type": "http.disconnect"}

    sent = await call(contexts(lambda: calls.append(1)), {"method": "POST"}, disconnect)
    assert (sent, calls) == ([], [])


@pytest.mark.anyio
async def test_a_slow_sync_check_does_not_block_the_loop(contexts):
    """While a 2 s sync check runs, another request on the same loop is answered first."""
    loop = asyncio.get_running_loop()
    slow_started = asyncio.Event()
    release = threading.Event()

    def slow_check():
        loop.call_soon_threadsafe(slow_started.set)
        return release.wait(2)  # a 2 s check, ended early once the other answer is seen

    slow_app = contexts(health({"callable": slow_check, "timeout": 30}))
    fast_app = contexts(health({"services": ["memory_backend"]}))
    finished = []

    async def probe(name, app):
        async with client(app) as http_client:
            await http_client.get("/")
        finished.append(name)
        release.set()

    slow = asyncio.ensure_future(probe("slow", slow_app))
    await slow_started.wait()
    await probe("fast", fast_app)
    await slow
    assert finished == ["fast", "slow"]


@pytest.mark.anyio
@pytest.mark.parametrize(("verdict", "status"), [(True, 200), (False, 500)])
async def test_an_async_check_is_awaited(contexts, verdict, status):
    """An async def check is awaited and its return value decides the status."""

    async def database():
        await asyncio.sleep(0)
        return verdict

    async with client(contexts(health({"checks": [database]}))) as http_client:
        response = await http_client.get("/")
    assert response.status_code == status


@pytest.mark.anyio
async def test_an_async_check_is_cancelled_at_its_deadline(contexts):
    """An async check still running at its deadline fails the answer and is cancelled inside."""
    cancelled = threading.Event()

    async def hung():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    application = health({"checks": [Check(hung, timeout=0.1)], "failed_ttl": None})
    async with client(contexts(application)) as http_client:
        response = await http_client.get("/")
    assert response.status_code == 500
    assert cancelled.wait(10)


@pytest.mark.parametrize(
    ("root_path", "path", "relative"),
    [
        ("", "/live", "/live"),
        ("/health", "/health/live", "/live"),
        ("/health/", "/health/live", "/live"),
        ("/health", "/health", "/"),
        ("/health", "/live", "/live"),
        ("/health", "/healthz", "/healthz"),
    ],
)
def test_the_handler_sees_the_path_below_root_path(root_path, path, relative):
    """root_path is taken off path when path starts with it (uvicorn, Starlette), else path is kept."""
    assert relative_path({"root_path": root_path, "path": path}) == relative


def fastapi_mounting(application):
    """A FastAPI app with a route of its own and ``application`` mounted at /health."""
    app = FastAPI()
    app.get("/other")(lambda: {"other": True})
    app.mount("/health", application)
    return app


def starlette_mounting(application):
    """A Starlette app with ``application`` mounted at /health."""
    return Starlette(routes=[Mount("/health", app=application)])


@pytest.mark.anyio
@pytest.mark.parametrize("mounting", [fastapi_mounting, starlette_mounting])
async def test_mounted_at_health_the_handler_sees_paths_below_the_mount(contexts, mounting):
    """Mounted at /health in FastAPI or Starlette, a request for /health/live reaches the handler as /live."""
    async with client(mounting(contexts(echo))) as http_client:
        response = await http_client.get("/health/live?verbose=1")
    assert response.status_code == 200
    assert response.json()["data"]["path"] == "/live"
    assert response.json()["data"]["query"] == {"verbose": ["1"]}


@pytest.mark.anyio
async def test_fastapi_keeps_its_own_routes_beside_the_mount(contexts):
    """A FastAPI app mounting skiesish at /health still answers its own routes, and probes reach skiesish."""
    probes = contexts(skiesish.probes(ready=[lambda: True]))
    async with client(fastapi_mounting(probes)) as http_client:
        other = await http_client.get("/other")
        ready = await http_client.get("/health/readyz")
    assert other.json() == {"other": True}
    assert ready.status_code == 200


async def run_lifespan(app):
    """Send startup then shutdown through the lifespan protocol; return the replies."""
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    replies = []

    async def receive():
        return next(messages)

    async def send(message):
        replies.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return replies


@pytest.mark.anyio
async def test_lifespan_shutdown_closes_the_application(contexts, monkeypatch):
    """Startup completes; shutdown calls close() and then completes."""
    app = contexts(health({}))
    closed = []
    monkeypatch.setattr(app, "close", lambda: closed.append(True))
    replies = await run_lifespan(app)
    assert replies == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert closed == [True]


@pytest.mark.anyio
async def test_a_failing_close_reports_shutdown_failed(contexts, monkeypatch, caplog):
    """close() raising is logged and reported as lifespan.shutdown.failed with its message."""
    app = contexts(health({}))

    def broken_close():
        raise RuntimeError("pool would not close")

    monkeypatch.setattr(app, "close", broken_close)
    replies = await run_lifespan(app)
    monkeypatch.undo()  # the contexts fixture closes the application for real afterwards
    assert replies[-1]["type"] == "lifespan.shutdown.failed"
    assert "pool would not close" in replies[-1]["message"]
    assert "closing the skiesish application failed" in caplog.text


@pytest.mark.anyio
async def test_an_unsupported_scope_type_is_refused_by_name(contexts):
    """A websocket connection raises, naming the scope types that are answered."""

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        raise AssertionError(f"nothing should be sent, got {message}")

    with pytest.raises(ValueError, match=r"'http' and 'lifespan'.*got 'websocket'"):
        await contexts(health({}))({"type": "websocket", "path": "/"}, receive, send)


@pytest.fixture
def listening_socket():
    """A TCP socket listening on an ephemeral 127.0.0.1 port (connections queue until accepted)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock
    sock.close()


def fetch(port, method, path):
    """One HTTP/1.1 request over a real socket; return (status, reason, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.reason, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_real_uvicorn_server_answers_and_shuts_down_cleanly(contexts, listening_socket, monkeypatch):
    """Under uvicorn on a real port: 200 OK with Content-Length, HEAD without body, close() on shutdown."""
    app = contexts(health({"services": ["memory_backend"]}))
    closed = threading.Event()
    close = app.close
    monkeypatch.setattr(app, "close", lambda: (close(), closed.set()))
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_config=None, access_log=False, ws="none", http="h11")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening_socket]}, daemon=True)
    thread.start()
    try:
        port = listening_socket.getsockname()[1]
        status, reason, headers, body = fetch(port, "GET", "/")
        head_status, _, head_headers, head_body = fetch(port, "HEAD", "/")
    finally:
        server.should_exit = True
        thread.join(10)
    assert (status, reason, body) == (200, "OK", SUCCESS_BYTES)
    assert headers["content-length"] == str(len(SUCCESS_BYTES))
    assert (head_status, head_body, head_headers["content-length"]) == (200, b"", str(len(SUCCESS_BYTES)))
    assert not thread.is_alive()
    assert closed.is_set()


@contextlib.asynccontextmanager
async def lifespan_running(app):
    """Run ``app``'s lifespan: startup on entry, shutdown on exit, as a server would."""
    to_app: asyncio.Queue = asyncio.Queue()
    from_app: asyncio.Queue = asyncio.Queue()
    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, to_app.get, from_app.put)
    )
    await to_app.put({"type": "lifespan.startup"})
    assert (await from_app.get())["type"] == "lifespan.startup.complete"
    yield
    await to_app.put({"type": "lifespan.shutdown"})
    assert (await from_app.get())["type"] == "lifespan.shutdown.complete"
    await task


@pytest.mark.anyio
async def test_the_asgi_example_answers_under_fastapi_and_is_closed_by_its_lifespan(monkeypatch):
    """examples/asgi_app.py answers at /health/ and / under FastAPI; FastAPI's shutdown closes it."""
    namespace = runpy.run_path(str(EXAMPLES / "asgi_app.py"))
    application = namespace["application"]
    closed = []
    close = application.close
    monkeypatch.setattr(application, "close", lambda: (close(), closed.append(True)))
    async with lifespan_running(namespace["app"]), client(namespace["app"]) as http_client:
        health_response = await http_client.get("/health/")
        own = await http_client.get("/")
    assert (health_response.status_code, health_response.content) == (200, SUCCESS_BYTES)
    assert own.json() == {"service": "example"}
    assert closed == [True]


@pytest.mark.anyio
async def test_the_asgi_example_answers_served_alone():
    """examples/asgi_app.py's application answers by itself too (uvicorn examples.asgi_app:application)."""
    application = runpy.run_path(str(EXAMPLES / "asgi_app.py"))["application"]
    try:
        sent = await call(application)
    finally:
        application.close()
    assert (sent[0]["status"], sent[1]["body"]) == (200, SUCCESS_BYTES)
