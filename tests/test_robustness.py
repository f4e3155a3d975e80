"""Robustness: any request gets a well-formed answer, many at once all get 200, memory stays flat."""

from __future__ import annotations

import concurrent.futures
import functools
import gc
import http.client
import io
import json
import queue
import re
import time
from pathlib import Path

import pytest
from conftest import wsgi_environ
from hypothesis import given, settings
from hypothesis import strategies as st
from webtest.http import StopableWSGIServer

import skiesish
from skiesish.handlers import HealthCheck

ENVELOPE_KEYS = {"status", "error", "data", "pagination", "input_errors"}
JSON_FORMATS = {"envelope", "health+json", "runscope", "problem+json"}
STATUS_LINE = re.compile(r"^(\d{3}) [A-Za-z]")


def ok():
    """A check that passes."""
    return True


def bad():
    """A check that fails with a message that is not ASCII."""
    raise skiesish.HealthError("disk \xff full \u2713")


@functools.cache
def health_app(format_name):
    """A WSGI HealthCheck with one passing and one failing check, details always, in ``format_name``."""
    config = {"checks": [ok, bad], "details": "always", "format": format_name, "sections": {"version": "1"}}
    return skiesish.contexts.wsgi(skiesish.Application(HealthCheck, config))


def call(application, environ):
    """Call a WSGI application directly; return (status line, header list, body)."""
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured.update(status=status, headers=headers)

    chunks = application(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], body


# -- random environs ----------------------------------------------------------

LATIN1 = st.characters(min_codepoint=0, max_codepoint=255)


def wsgi_strings(max_size):
    """Native strings as PEP 3333 gives them: arbitrary bytes (often not UTF-8) decoded as latin-1."""
    return st.one_of(
        st.text(LATIN1, max_size=max_size),
        st.binary(max_size=max_size).map(lambda raw: raw.decode("latin-1")),
        st.text(max_size=max_size).map(lambda text: text.encode("utf-8").decode("latin-1")),
    )


METHODS = st.one_of(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"]),
    st.sampled_from(["get", "head", "Head", "BREW", "M-SEARCH", "PROPFIND", "", " ", "G E T", "GET\x00"]),
    st.text(
        st.sampled_from("!#$%&'*+-.^_`|~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
        max_size=12,
    ),
    wsgi_strings(8),
)
PATHS = st.one_of(
    st.sampled_from(["/", "", "/health", "//", "/a/../b", "/%2e%2e/", "/\xc3\x28", "/\xff\xfe"]),
    wsgi_strings(40),
)
QUERY_PIECES = st.one_of(
    st.sampled_from(
        [
            "check=ok",
            "check=bad",
            "check=nope",
            "check=%6Fk",
            "check=",
            "exclude=bad",
            "exclude=ok",
            "exclude=%zz",
            "verbose",
            "verbose=1",
            "%",
            "%zz",
            "%ff%fe",
            "check=%C3%28",
            "a=b=c",
            "=",
            ";",
            "&&",
            "check=\xff",
        ]
    ),
    wsgi_strings(20),
)
QUERY_STRINGS = st.lists(QUERY_PIECES, max_size=6).map("&".join)
ACCEPTS = st.one_of(
    st.sampled_from(
        [
            "application/health+json",
            "application/health+json; charset=utf-8",
            "text/html, application/health+json;q=0.9",
            "application/json",
            "text/plain",
            "*/*",
            "",
            "\x00\x01",
        ]
    ),
    wsgi_strings(40),
)
HEADER_NAMES = st.one_of(
    st.from_regex(r"HTTP_[A-Z0-9_]{0,20}", fullmatch=True),
    wsgi_strings(20).map(lambda name: "HTTP_" + name),
)
CONTENT_LENGTHS = st.one_of(
    st.sampled_from(["", "0", "5", "-1", "abc", " 3 ", "1e3", "99999999999999999999", "2048576"]),
    st.text(LATIN1, max_size=10),
)


@st.composite
def environs(draw):
    """A WSGI environ with random method, path, query, headers, Content-Length and body."""
    environ = wsgi_environ(
        draw(st.binary(max_size=200)),
        REQUEST_METHOD=draw(METHODS),
        PATH_INFO=draw(PATHS),
        QUERY_STRING=draw(QUERY_STRINGS),
        SERVER_PROTOCOL=draw(st.sampled_from(["HTTP/1.0", "HTTP/1.1"])),
    )
    environ.update(draw(st.dictionaries(HEADER_NAMES, wsgi_strings(40), max_size=5)))
    if draw(st.booleans()):
        environ["HTTP_ACCEPT"] = draw(ACCEPTS)
    if draw(st.booleans()):
        environ["HTTP_AUTHORIZATION"] = draw(st.one_of(st.just("Bearer t"), wsgi_strings(30)))
    if draw(st.booleans()):
        environ["CONTENT_LENGTH"] = draw(CONTENT_LENGTHS)
    if draw(st.booleans()):
        environ["CONTENT_TYPE"] = draw(st.one_of(st.just("application/json"), wsgi_strings(30)))
    return environ


@pytest.mark.parametrize("format_name", ["envelope", "health+json", "text", "runscope", "problem+json"])
@settings(max_examples=200, deadline=None, database=None)
@given(environ=environs())
def test_any_request_gets_a_well_formed_answer(format_name, environ):
    """Whatever arrives, the answer has a valid status line, a true Content-Length and a parseable body."""
    is_head = environ["REQUEST_METHOD"] == "HEAD"  # methods are case-sensitive: "head" is not HEAD
    status, header_list, body = call(health_app(format_name), environ)

    match = STATUS_LINE.match(status)
    assert match, status
    code = int(match.group(1))
    assert code in {200, 400, 500}, status
    assert all(isinstance(name, str) and isinstance(value, str) for name, value in header_list)
    headers = {name.lower(): value for name, value in header_list}
    assert len(headers) == len(header_list), header_list
    content_type = headers["content-type"]
    if is_head:
        assert body == b""
        assert headers["content-length"].isdigit()
        return
    assert headers["content-length"] == str(len(body))

    if code == 400:
        payload = json.loads(body)
        assert set(payload) == ENVELOPE_KEYS
        assert payload["status"] == "client_error"
        return
    if format_name in JSON_FORMATS or "json" in content_type:
        assert "json" in content_type, content_type
        payload = json.loads(body)
        if format_name == "envelope" and content_type.startswith("application/json"):
            assert set(payload) == ENVELOPE_KEYS
            assert payload["status"] == ("success" if code == 200 else "failure")
    else:
        assert content_type.startswith("text/plain")
        assert body.decode("utf-8")


# -- many probes at once against a real server --------------------------------


class SlowDependency:
    """A dependency whose ping takes 20 ms, as a database round trip might."""

    def ping(self):
        time.sleep(0.02)
        return True


def slow_dependency_answers(slow_dependency):
    """A check that pings the injected dependency."""
    return slow_dependency.ping()


@pytest.fixture
def slow_server():
    """A waitress server (8 threads) whose HealthCheck runs a 20 ms check on every request."""
    config = {"checks": [slow_dependency_answers], "success_ttl": None, "failed_ttl": None}
    application = skiesish.contexts.wsgi(
        skiesish.Application(HealthCheck, config), binding_classes=[SlowDependency]
    )
    server = StopableWSGIServer.create(application, threads=8)
    try:
        yield server
    finally:
        server.shutdown()
        application.close()


def probe_until_done(host, port, tokens, statuses):
    """Send GET / over one keep-alive connection until ``tokens`` is empty, noting each status."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        while True:
            try:
                tokens.get_nowait()
            except queue.Empty:
                return
            connection.request("GET", "/")
            response = connection.getresponse()
            try:
                response.read()
                statuses.append(response.status)
            finally:
                response.close()
            if response.will_close:
                connection.close()
    finally:
        connection.close()


def test_two_thousand_concurrent_probes_all_succeed(slow_server):
    """2,000 probes from 64 clients at once against a 20 ms check, uncached: every answer is 200."""
    probes, concurrency = 2000, 64
    tokens = queue.SimpleQueue()
    for _ in range(probes):
        tokens.put(None)
    statuses = []
    host, port = slow_server.adj.host, slow_server.adj.port
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(probe_until_done, host, port, tokens, statuses) for _ in range(concurrency)]
        for future in futures:
            future.result()
    assert len(statuses) == probes
    assert set(statuses) == {200}


# -- memory -------------------------------------------------------------------


def resident_kib():
    """This process's resident set size in KiB, from /proc/self/status."""
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("needs /proc/self/status (Linux)")
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    pytest.skip("/proc/self/status has no VmRSS line")


def probe_environ():
    """A fresh environ for GET /?verbose, as a server would build one."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "verbose",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def test_memory_stays_flat_over_many_cached_probes():
    """100,000 probes answered from the cache do not grow the resident set by more than 5 MB."""
    application = skiesish.contexts.wsgi(
        skiesish.Application(HealthCheck, {"checks": [ok, bad], "details": "always"})
    )
    statuses = set()

    def start_response(status, headers, exc_info=None):
        statuses.add(status)

    def probe(times):
        for _ in range(times):
            b"".join(application(probe_environ(), start_response))

    try:
        probe(10_000)
        gc.collect()
        before = resident_kib()
        probe(90_000)
        gc.collect()
        after = resident_kib()
    finally:
        application.close()
    assert statuses == {"500 Internal Server Error"}
    assert application.handler.engine.run_count("ok") == 1
    assert after - before < 5 * 1024, f"RSS grew by {after - before} KiB over 90,000 probes"
