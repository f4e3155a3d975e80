"""Answers sent again while their results are fresh: never stale, never another request's answer."""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import wsgi_environ

import skiesish
from skiesish.contexts.answers import MAX_KEPT_ANSWERS
from skiesish.health import engine as engine_module


class Switch:
    """A check whose result the test sets, counting its runs."""

    def __init__(self, result: object = True, name: str = "switch") -> None:
        self.result = result
        self.runs = 0
        self.__name__ = name

    def __call__(self) -> object:
        self.runs += 1
        return self.result


class Clock:
    """The engine's cache clock, moved by hand."""

    def __init__(self, monkeypatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(engine_module, "_clock", lambda: self.now)


def call(application, **environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI application once; return (status line, headers, body)."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    body = b"".join(application(wsgi_environ(**environ), start_response))
    return seen["status"], seen["headers"], body


def health(*checks, **config) -> skiesish.contexts.WSGIContext:
    """A WSGI HealthCheck over ``checks`` with ``config``."""
    return skiesish.contexts.wsgi(
        skiesish.Application(skiesish.handlers.HealthCheck, {"checks": list(checks), **config})
    )


def test_a_kept_answer_is_sent_without_running_the_check_again():
    """The second probe within the TTL gets the same bytes, and the check ran once."""
    switch = Switch()
    application = health(switch)
    first = call(application)
    assert call(application) == first
    assert switch.runs == 1


def test_an_expired_result_is_run_again_and_its_new_answer_sent(monkeypatch):
    """Past the TTL the kept answer is not used: the check runs and its new result is answered."""
    clock = Clock(monkeypatch)
    switch = Switch()
    application = health(switch, success_ttl=10)
    assert call(application)[0] == "200 OK"
    switch.result = False
    clock.now += 11
    assert call(application)[0] == "500 Internal Server Error"
    assert switch.runs == 2


def test_a_result_expiring_while_the_answer_is_made_is_not_reused(monkeypatch):
    """An answer made from results that expired while it was being made is not sent again."""
    clock = Clock(monkeypatch)
    switch = Switch()
    application = health(switch, success_ttl=10)
    call(application)  # runs the check; the report is kept from here on
    handler = application.handler
    answer = handler.answer

    def answer_slowly(report, input_output):
        response = answer(report, input_output)
        clock.now += 11  # the result expires after the engine said it was fresh
        return response

    monkeypatch.setattr(handler, "answer", answer_slowly)
    call(application)
    monkeypatch.setattr(handler, "answer", answer)
    switch.result = False
    assert call(application)[0] == "500 Internal Server Error"
    assert switch.runs == 2


def test_a_refreshed_result_replaces_the_kept_answer():
    """A new result stored before the old one expired (a refresh) is answered at once."""
    switch = Switch()
    application = health(switch)
    assert call(application)[0] == "200 OK"
    switch.result = False
    application.handler.engine.refresh()
    assert call(application)[0] == "500 Internal Server Error"


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("*/*", "application/json; charset=utf-8"),
        ("application/health+json", "application/health+json; charset=utf-8"),
        (None, "application/json; charset=utf-8"),
    ],
)
def test_each_accept_header_gets_its_own_answer(accept, content_type):
    """A kept answer for one Accept header is never sent to a request with another."""
    application = health(Switch())
    for other in ("*/*", "application/health+json", None):
        call(application, **({} if other is None else {"HTTP_ACCEPT": other}))
    headers = dict(call(application, **({} if accept is None else {"HTTP_ACCEPT": accept}))[1])
    assert headers["Content-Type"] == content_type


def test_a_browser_gets_a_status_page_made_now_every_time(monkeypatch):
    """The status page says how long ago each check ran, so it is never a kept answer."""
    clock_calls = []
    from skiesish.formats import html

    real_since = html._since
    monkeypatch.setattr(html, "_since", lambda *arguments: clock_calls.append(1) or real_since(*arguments))
    application = health(Switch(), details="always")
    call(application, HTTP_ACCEPT="text/html")  # runs the check
    made = len(clock_calls)
    for _ in range(3):
        call(application, HTTP_ACCEPT="text/html")
    assert made > 0
    assert len(clock_calls) == 4 * made


def test_runscope_answers_carry_the_time_of_each_request(monkeypatch):
    """The runscope format's timestamp is the request's, so its answers are made anew."""
    import time

    application = health(Switch(), format="runscope")
    moments = iter([100.0, 200.0, 300.0])
    monkeypatch.setattr(time, "time", lambda: next(moments))
    stamps = [json.loads(call(application)[2])["timestamp"] for _ in range(3)]
    assert stamps == [100.0, 200.0, 300.0]


def counting_handles(application, monkeypatch) -> list[str]:
    """Record the query string of every request the application's handler is asked to answer."""
    handled: list[str] = []
    handle = application.handler.handle

    def counted(input_output):
        handled.append("&".join(input_output.query_parameters))
        return handle(input_output)

    monkeypatch.setattr(application.handler, "handle", counted)
    return handled


def test_a_query_string_is_always_answered_afresh(monkeypatch):
    """?verbose and ?check= always reach the handler; a plain probe gets the kept answer."""
    application = health(Switch(), details="always")
    call(application)
    plain = call(application)[2]
    handled = counting_handles(application, monkeypatch)
    for query in ("verbose", "check=switch", "verbose"):
        call(application, QUERY_STRING=query)
    assert call(application)[2] == plain
    assert handled == ["verbose", "check", "verbose"]


def test_head_and_get_keep_answers_of_their_own():
    """HEAD gets no body even after GET was kept, and GET its body after HEAD was kept."""
    application = health(Switch())
    head = call(application, REQUEST_METHOD="HEAD")
    get = call(application)
    assert head[2] == b""
    assert get[2].startswith(b'{"status": "success"')
    assert call(application, REQUEST_METHOD="HEAD")[2] == b""
    assert dict(head[1])["Content-Length"] == dict(get[1])["Content-Length"]


def test_a_token_holder_never_gets_the_anonymous_answer():
    """With details for token holders, an Authorization header is always answered afresh."""
    application = health(Switch((True, "all good")), details="authorized", details_token="s3cret-token-value")
    anonymous = call(application, HTTP_ACCEPT="application/health+json")[2]
    detailed = call(
        application, HTTP_ACCEPT="application/health+json", HTTP_AUTHORIZATION="Bearer s3cret-token-value"
    )[2]
    assert b'"output"' not in anonymous
    assert b'"output"' in detailed
    assert call(application, HTTP_ACCEPT="application/health+json")[2] == anonymous


def test_custom_handlers_are_called_for_every_request():
    """A success_handler may read anything, so its answers are never kept."""
    calls = []

    def success_handler(report):
        calls.append(report)
        return {"calls": len(calls)}

    application = health(Switch(), success_handler=success_handler)
    assert [json.loads(call(application)[2]) for _ in range(3)] == [{"calls": 1}, {"calls": 2}, {"calls": 3}]


def test_sections_shown_to_everyone_are_made_for_every_request():
    """Sections shown to anyone may change between requests, so those answers are made anew."""
    counter = iter(range(100))
    application = health(
        Switch(), details="always", sections={"counter": lambda: next(counter)}, format="health+json"
    )
    assert [json.loads(call(application)[2])["counter"] for _ in range(3)] == [0, 1, 2]


def test_draining_fails_readiness_at_once_even_with_a_kept_answer():
    """A kept /readyz answer is dropped the moment the process starts shutting down."""
    application = skiesish.contexts.wsgi(skiesish.probes(ready=[Switch()]))
    assert call(application, PATH_INFO="/readyz")[0] == "200 OK"
    assert call(application, PATH_INFO="/readyz")[0] == "200 OK"
    application.di.build_from_name("service_state").start_draining()
    assert call(application, PATH_INFO="/readyz")[0] == "500 Internal Server Error"
    assert call(application, PATH_INFO="/livez")[0] == "200 OK"


def test_kept_probe_answers_do_not_run_their_checks_again():
    """/readyz within the TTL reuses the answer: its check ran once."""
    switch = Switch()
    application = skiesish.contexts.wsgi(skiesish.probes(ready=[switch]))
    for _ in range(5):
        assert call(application, PATH_INFO="/readyz")[0] == "200 OK"
    assert switch.runs == 1


def test_a_hostile_caller_cannot_grow_the_kept_answers():
    """Thousands of distinct Accept headers keep at most MAX_KEPT_ANSWERS answers."""
    application = health(Switch())
    for number in range(1000):
        call(application, HTTP_ACCEPT=f"application/x-{number}")
    assert len(application._kept._answers) <= MAX_KEPT_ANSWERS


def test_the_status_change_is_still_noticed_after_kept_answers(caplog):
    """on_change fires when a refreshed result changes the status, kept answers or not."""
    changes = []
    switch = Switch()
    application = health(switch, on_change=changes.append)
    call(application)
    call(application)
    switch.result = False
    application.handler.engine.refresh()
    call(application)
    application.handler.engine.status_watch.wait_delivered(10)
    assert [report.status for report in changes] == ["pass", "fail"]


def asgi_call(application, path="/", headers=(), query=b"", method="GET") -> tuple[int, dict, bytes]:
    """One ASGI request through ``application``; return (status, headers, body)."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": list(headers),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(application(scope, receive, send))
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


def test_asgi_kept_answers_skip_the_worker_thread(monkeypatch):
    """Under ASGI a kept answer is sent from the event loop: no thread hop, same bytes."""
    switch = Switch()
    application = skiesish.contexts.asgi(
        skiesish.Application(skiesish.handlers.HealthCheck, {"checks": [switch]})
    )
    asgi_call(application)  # runs the check
    first = asgi_call(application)  # answered from the cache, and kept
    hops = []
    real_to_thread = asyncio.to_thread

    async def counted_to_thread(*arguments, **keywords):
        hops.append(1)
        return await real_to_thread(*arguments, **keywords)

    monkeypatch.setattr(asyncio, "to_thread", counted_to_thread)
    assert asgi_call(application) == first
    assert hops == []
    assert switch.runs == 1


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Accept", b"application/health+json")],
        [(b"accept", b"text/plain"), (b"accept", b"application/health+json")],
        [(b"AUTHORIZATION", b"Bearer x")],
    ],
)
def test_asgi_headers_in_any_case_and_repeated_are_told_apart(headers):
    """Upper-case or repeated headers never get the plain kept answer by mistake."""
    application = skiesish.contexts.asgi(
        skiesish.Application(skiesish.handlers.HealthCheck, {"checks": [Switch()]})
    )
    plain = asgi_call(application)
    answer = asgi_call(application, headers=headers)
    if any(name.lower() == b"accept" for name, _ in headers):
        assert answer[1][b"content-type"].startswith(b"application/health+json")
    assert asgi_call(application) == plain
    assert asgi_call(application, headers=headers) == answer


def test_asgi_head_and_query_are_answered_as_before(monkeypatch):
    """HEAD has no body and a query string always reaches the handler, kept answers or not."""
    application = skiesish.contexts.asgi(
        skiesish.Application(skiesish.handlers.HealthCheck, {"checks": [Switch()], "details": "always"})
    )
    asgi_call(application)  # runs the check
    get = asgi_call(application)
    handled = counting_handles(application, monkeypatch)
    assert asgi_call(application, method="HEAD")[2] == b""
    assert asgi_call(application, query=b"verbose")[0] == 200
    assert asgi_call(application) == get
    assert handled == ["", "verbose"]
