"""The Django URLconf and view: the probes and the full report, on one engine, under WSGI and ASGI.

The checks here are plain functions (no database), set through the SKIESISH
setting; each change of setting rebuilds the application.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time

import pytest
from asgiref.sync import iscoroutinefunction
from django.test import AsyncClient, Client

from skiesish import Check, ConfigurationError
from skiesish.integrations.django.application import health_context
from skiesish.integrations.django.views import HealthView

SUCCESS = b'{"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}'
FAILURE = b'{"status": "failure", "error": "", "data": [], "pagination": {}, "input_errors": {}}'


def database_up() -> bool:
    """Passes."""
    return True


def queue_down() -> bool:
    """Fails."""
    return False


def process_alive() -> bool:
    """Passes."""
    return True


@pytest.fixture
def client(settings) -> Client:
    """A test client of the test URLconf, SKIESISH with a passing live and ready check."""
    settings.SKIESISH = {"live": [process_alive], "ready": [database_up], "startup": []}
    return Client()


def test_each_path_answers_the_standard_envelope(client):
    """The full report and the three probes answer 200 with skiesish's success envelope, byte for byte."""
    for path in ("/health/", "/health/livez", "/health/readyz", "/health/startupz"):
        response = client.get(path)
        assert (response.status_code, response.content) == (200, SUCCESS), path
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Cache-Control"] == "no-store"
        assert response["Content-Length"] == str(len(SUCCESS))


def test_a_failing_ready_check_fails_readiness_and_the_full_report_only(client, settings):
    """A failing ready check: /readyz and / answer 500; /livez, which does not run it, 200."""
    settings.SKIESISH = {"live": [process_alive], "ready": [queue_down], "startup": []}
    assert (client.get("/health/readyz").status_code, client.get("/health/readyz").content) == (500, FAILURE)
    assert client.get("/health/").status_code == 500
    assert client.get("/health/livez").status_code == 200


def test_the_full_report_runs_every_check_and_selects_with_check(client, settings):
    """/ runs every list's checks once; ?check= narrows it; an unknown name is a 400 naming the known."""
    settings.SKIESISH = {
        "live": [process_alive],
        "ready": [database_up, queue_down],
        "startup": [],
        "details": "always",
    }
    body = client.get("/health/", HTTP_ACCEPT="application/health+json").json()
    assert sorted(body["checks"]) == [
        "database_up:responseTime",
        "process_alive:responseTime",
        "queue_down:responseTime",
    ]
    assert client.get("/health/?check=database_up").status_code == 200
    unknown = client.get("/health/?check=nope")
    assert unknown.status_code == 400
    assert (
        "unknown check 'nope'; known checks: process_alive, database_up, queue_down"
        in unknown.json()["error"]
    )


def test_health_json_and_the_html_status_page_are_served(client, settings):
    """Accept: application/health+json gets the draft's format, a browser the HTML status page."""
    settings.SKIESISH = {"ready": [database_up], "startup": [], "details": "always"}
    health_json = client.get("/health/readyz", HTTP_ACCEPT="application/health+json")
    assert health_json["Content-Type"] == "application/health+json; charset=utf-8"
    assert health_json.json()["checks"]["database_up:responseTime"][0]["status"] == "pass"
    page = client.get("/health/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert page["Content-Type"].startswith("text/html")
    assert b"<title>health: pass</title>" in page.content


def test_the_format_setting_is_honoured(client, settings):
    """SKIESISH's format key chooses the body, as the HealthCheck handler's does."""
    settings.SKIESISH = {"ready": [queue_down], "startup": [], "format": "problem+json"}
    response = client.get("/health/readyz")
    assert (response.status_code, response["Content-Type"].split(";")[0]) == (500, "application/problem+json")


def test_details_need_the_token(client, settings, monkeypatch):
    """With details 'authorized' a check's output is shown only to a caller with the bearer token."""
    monkeypatch.setenv("HEALTH_TOKEN", "s3cret-token-for-tests")

    def queue_length() -> tuple[bool, str]:
        return False, "queue length 12000"

    settings.SKIESISH = {
        "ready": [queue_length],
        "startup": [],
        "details": "authorized",
        "details_token": "env:HEALTH_TOKEN",
        "format": "health+json",
    }
    anonymous = client.get("/health/readyz")
    assert "checks" not in anonymous.json()
    authorized = client.get("/health/readyz", HTTP_AUTHORIZATION="Bearer s3cret-token-for-tests")
    assert authorized.json()["checks"]["queue_length:responseTime"][0]["output"] == "queue length 12000"


def test_results_are_cached_and_shared_by_the_probes(client, settings):
    """A check in both live and ready runs once for any number of probes within its TTL."""
    runs = []

    def counted() -> bool:
        runs.append(1)
        return True

    settings.SKIESISH = {"live": [counted], "ready": [counted], "startup": []}
    for path in ("/health/livez", "/health/readyz", "/health/", "/health/readyz"):
        assert client.get(path).status_code == 200
    assert len(runs) == 1


def test_simultaneous_probes_share_one_run(settings):
    """Eight probes arriving while the check runs wait for that run instead of starting their own."""
    runs, release = [], threading.Event()

    def slow() -> bool:
        runs.append(1)
        release.wait(5)
        return True

    settings.SKIESISH = {"ready": [slow], "startup": []}
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(Client().get("/health/readyz").status_code))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join(10)
    assert (statuses, len(runs)) == ([200] * 8, 1)


def test_a_hung_check_fails_at_its_deadline(client, settings):
    """A check past its deadline is reported failed, timed out, while the probe answers."""
    release = threading.Event()

    def hung() -> bool:
        release.wait(10)
        return True

    settings.SKIESISH = {"ready": [Check(hung, timeout=0.2)], "startup": [], "details": "always"}
    try:
        response = client.get("/health/readyz", HTTP_ACCEPT="application/health+json")
    finally:
        release.set()
    assert response.status_code == 500
    assert response.json()["checks"]["hung:responseTime"][0]["output"] == "timed out after 0.2 s"


def test_startup_passes_for_good_once_each_check_passed(client, settings):
    """/startupz passes once every startup check has passed, and never runs them again."""
    answers = [False, True, False]

    def warmed_up() -> bool:
        return answers.pop(0)

    settings.SKIESISH = {"ready": [], "startup": [warmed_up], "success_ttl": None, "failed_ttl": None}
    assert [client.get("/health/startupz").status_code for _ in range(3)] == [500, 200, 200]
    assert answers == [False]


def test_readiness_fails_while_draining_and_liveness_does_not(client):
    """service_state's drain (as on SIGTERM under skiesish serve) fails /readyz only."""
    health_context().di.build_from_name("service_state").start_draining()
    assert client.get("/health/readyz").status_code == 500
    assert client.get("/health/livez").status_code == 200


def test_head_gets_the_headers_of_get_without_a_body(client):
    """HEAD answers with GET's status and headers, Content-Length included, and no body."""
    response = client.head("/health/readyz")
    assert (response.status_code, response.content) == (200, b"")
    assert response["Content-Length"] == str(len(SUCCESS))


def test_other_methods_are_not_allowed(client):
    """POST (CSRF-exempt, the view changes nothing) gets 405 naming GET and HEAD."""
    response = client.post("/health/readyz")
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")


def test_a_malformed_query_gets_an_envelope(client):
    """Too many query fields get a 400 envelope saying so, never a traceback."""
    response = client.get("/health/?" + "&".join(f"check={number}" for number in range(100)))
    assert response.status_code == 400
    assert response.json()["error"] == "the query string has more than 64 fields"


def test_a_view_routed_by_hand_answers_its_probe(client, settings):
    """HealthView.as_view(probe='ready') in a project's own URLconf answers readiness."""
    settings.SKIESISH = {"ready": [queue_down], "startup": []}
    assert client.get("/ping/ready").status_code == 500


def test_as_view_refuses_an_unknown_probe():
    """A probe name the view does not know is refused when the URLconf is built, naming those it knows."""
    with pytest.raises(
        ConfigurationError, match=r"probe must be one of None, 'live', 'ready', 'startup', got 'readyz'"
    ):
        HealthView.as_view(probe="readyz")


def test_probes_open_no_transaction_under_atomic_requests(client, settings):
    """With ATOMIC_REQUESTS a probe still touches no database (the test blocks database access)."""
    settings.DATABASES["default"]["ATOMIC_REQUESTS"] = True
    try:
        response = client.get("/health/readyz")
    finally:
        settings.DATABASES["default"]["ATOMIC_REQUESTS"] = False
    assert response.status_code == 200


def test_failing_probes_are_not_logged_as_server_errors(client, settings, caplog):
    """A 500 probe is an answer: django.request does not log it as an Internal Server Error."""
    settings.SKIESISH = {"ready": [queue_down], "startup": []}
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/health/readyz").status_code == 500
    assert [record for record in caplog.records if record.name == "django.request"] == []


def test_the_views_share_one_application_until_a_setting_changes(settings):
    """Every view answers from one context; changing SKIESISH builds a new one and closes the old."""
    settings.SKIESISH = {"ready": [database_up], "startup": []}
    first = health_context()
    assert health_context() is first
    settings.SKIESISH = {"ready": [queue_down], "startup": []}
    assert health_context() is not first


# -- ASGI --------------------------------------------------------------------------------


def test_the_view_is_async_only_on_an_event_loop():
    """Django sees a plain view from a WSGI thread and an async one from the event loop's thread."""

    async def seen_from_the_loop() -> bool:
        return iscoroutinefunction(HealthView.as_view(probe="ready"))

    assert iscoroutinefunction(HealthView.as_view(probe="ready")) is False
    assert asyncio.run(seen_from_the_loop()) is True


def test_asgi_probes_answer_as_wsgi_ones(client, settings):
    """Through Django's ASGI handler the probes answer the same bytes and statuses."""
    settings.SKIESISH = {"live": [process_alive], "ready": [queue_down], "startup": []}

    async def probe_all() -> list[tuple[int, bytes]]:
        asgi_client = AsyncClient()
        return [
            ((response := await asgi_client.get(path)).status_code, response.content)
            for path in ("/health/livez", "/health/readyz")
        ]

    assert asyncio.run(probe_all()) == [(200, SUCCESS), (500, FAILURE)]


def test_an_uncached_check_does_not_block_the_event_loop(settings):
    """While a slow check runs for an ASGI probe, other tasks on the same event loop keep running."""
    started, release = threading.Event(), threading.Event()

    def slow() -> bool:
        started.set()
        release.wait(5)
        return True

    settings.SKIESISH = {"ready": [slow], "startup": []}

    async def probe_while_ticking() -> tuple[int, int]:
        ticks = 0
        request = asyncio.ensure_future(AsyncClient().get("/health/readyz"))
        while not started.is_set():
            await asyncio.sleep(0.01)
        for _ in range(5):  # the check is running: the loop must still serve this task
            await asyncio.sleep(0.01)
            ticks += 1
        release.set()
        return (await request).status_code, ticks

    assert asyncio.run(probe_while_ticking()) == (200, 5)


def test_asgi_head_and_methods(settings):
    """HEAD and POST behave under ASGI as under WSGI."""
    settings.SKIESISH = {"ready": [database_up], "startup": []}

    async def head_and_post() -> tuple[tuple[int, bytes, str], int]:
        asgi_client = AsyncClient()
        head = await asgi_client.head("/health/readyz")
        post = await asgi_client.post("/health/readyz")
        return (head.status_code, head.content, head["Content-Length"]), post.status_code

    assert asyncio.run(head_and_post()) == ((200, b"", str(len(SUCCESS))), 405)


def test_json_body_of_a_failing_report_with_details(client, settings):
    """With details 'always' the envelope's failure lists each failing check and why."""
    settings.SKIESISH = {"ready": [queue_down], "startup": [], "details": "always"}
    body = json.loads(client.get("/health/readyz").content)
    assert body["status"] == "failure"
    assert body["data"]
