"""The django-health-check drop-in's view: formats, status codes, negotiation, caching, bad input."""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import threading
import xml.etree.ElementTree as ElementTree

import pytest
from asgiref.sync import async_to_sync
from django.test import Client, RequestFactory, override_settings

import skiesish.integrations.django.compat as compat
from skiesish.exceptions import ConfigurationError
from skiesish.integrations.django.compat.base import HealthCheck, HealthCheckResult
from skiesish.integrations.django.compat.checks import Database
from skiesish.integrations.django.compat.contrib.psutil import Disk
from skiesish.integrations.django.compat.exceptions import (
    HealthCheckException,
    ServiceReturnedUnexpectedResult,
    ServiceUnavailable,
    ServiceWarning,
    StatusPageWarning,
)
from skiesish.integrations.django.compat.views import HealthCheckView, MediaType

NO_CACHE = {"success_ttl": None, "failed_ttl": None}
INCIDENT = datetime.datetime(2024, 6, 15, 12, 0, tzinfo=datetime.timezone.utc)


@dataclasses.dataclass
class Passing(HealthCheck):
    def run(self) -> None:
        pass


@dataclasses.dataclass
class Failing(HealthCheck):
    reason: str = "the queue is gone"

    def run(self) -> None:
        raise ServiceUnavailable(self.reason)


@dataclasses.dataclass
class Counting(HealthCheck):
    runs: list[int] = dataclasses.field(default_factory=list, repr=False)

    def run(self) -> None:
        self.runs.append(1)


@dataclasses.dataclass
class Blocking(HealthCheck):
    started: threading.Event = dataclasses.field(default_factory=threading.Event, repr=False)
    release: threading.Event = dataclasses.field(default_factory=threading.Event, repr=False)
    runs: list[int] = dataclasses.field(default_factory=list, repr=False)

    def run(self) -> None:
        self.runs.append(1)
        self.started.set()
        self.release.wait(30)


class Incident(HealthCheck):
    def run(self) -> None:
        raise StatusPageWarning("the provider's API is degraded", timestamp=INCIDENT)


class Warning_(HealthCheck):
    def run(self) -> None:
        raise ServiceWarning("disk 91 % full")


class Broken(HealthCheck):
    def run(self) -> None:
        raise RuntimeError("cannot reach postgres://app:hunter2@db/app")


class AsyncPassing(HealthCheck):
    async def run(self) -> None:
        pass


class AsyncFailing(HealthCheck):
    async def run(self) -> None:
        raise ServiceReturnedUnexpectedResult("PONG expected")


class TheirError(Exception):
    message_type = "Unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.message_type}: {self.message}"


class TheirCheck:
    def __repr__(self) -> str:
        return "TheirCheck()"

    def run(self) -> None:
        raise TheirError("from their package")


@dataclasses.dataclass
class Hung(Blocking):
    timeout = datetime.timedelta(0)


@dataclasses.dataclass
class Labelled(HealthCheck):
    queue: str = "mail"
    secret: str = dataclasses.field(default="s3cr3t", repr=False)
    missing: str | None = None

    def run(self) -> None:
        pass


def answer(view, query: str = "", accept: str | None = None, method: str = "get"):
    """The view's rendered answer to a request of /health/ with ``query`` and ``accept``."""
    headers = {} if accept is None else {"Accept": accept}
    request = getattr(RequestFactory(), method)(f"/health/{query}", headers=headers)
    response = async_to_sync(view)(request)
    if hasattr(response, "render"):
        response.render()
    return response


def as_view(*checks, **options):
    """A HealthCheckView of ``checks`` that runs them on every request unless told otherwise."""
    return HealthCheckView.as_view(checks=list(checks), **{**NO_CACHE, **options})


@pytest.fixture
def compat_client():
    """A test client of django_compat_urls."""
    with override_settings(ROOT_URLCONF="django_compat_urls"):
        yield Client()


def test_passing_checks_answer_200_with_the_html_page(compat_client):
    """All checks passing: 200, the HTML page, one row per check saying OK."""
    response = compat_client.get("/health/pass/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"Passing()" in response.content
    assert b"<p>OK</p>" in response.content


@pytest.mark.parametrize(
    ("query", "content_type"),
    [
        ("", "text/html; charset=utf-8"),
        ("?format=json", "application/json"),
        ("?format=text", "text/plain; charset=utf-8"),
    ],
)
def test_a_failing_check_answers_500_with_its_message(compat_client, query, content_type):
    """One check failing: 500 in the HTML, JSON and text formats, with the check's message."""
    response = compat_client.get(f"/health/fail/{query}")
    assert response.status_code == 500
    assert response["Content-Type"] == content_type
    assert b"Unavailable: the queue is gone" in response.content


def test_json_maps_each_check_to_ok_or_its_error():
    """The JSON is {label: "OK" | error}, in the checks' order."""
    response = answer(as_view(Passing, Failing), "?format=json")
    assert list(json.loads(response.content).items()) == [
        ("Passing()", "OK"),
        ("Failing(reason='the queue is gone')", "Unavailable: the queue is gone"),
    ]


def test_text_has_one_line_per_check():
    """text/plain is one "label: OK|error" line per check."""
    response = answer(as_view(Passing, Failing), accept="text/plain")
    assert response.content.decode() == (
        "Passing(): OK\nFailing(reason='the queue is gone'): Unavailable: the queue is gone\n"
    )


def test_two_checks_of_one_repr_are_both_shown():
    """A second check with the same repr is shown as 'label (2)' rather than overwriting the first."""
    response = answer(as_view(Passing, Passing), "?format=json")
    assert json.loads(response.content) == {"Passing()": "OK", "Passing() (2)": "OK"}


def test_a_warning_fails_the_endpoint():
    """A ServiceWarning answers 500, as in django-health-check v4, which treats warnings as errors."""

    response = answer(as_view(Warning_), "?format=text")
    assert response.status_code == 500
    assert b"Warning: disk 91 % full" in response.content


def test_an_unexpected_exception_shows_unknown_error_and_logs_its_traceback(caplog):
    """Any other exception shows "Unknown Error: unknown error"; its traceback is logged, scrubbed."""

    with caplog.at_level(logging.WARNING, logger="skiesish"):
        response = answer(as_view(Broken), "?format=json")
    assert json.loads(response.content) == {"Broken()": "Unknown Error: unknown error"}
    assert "RuntimeError: cannot reach postgres://app:********@db/app" in caplog.text
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize("query", ["?format=json", "?format=text", "?format=atom", "?format=rss", ""])
def test_error_text_is_scrubbed_in_every_format(query):
    """A secret in a check's message or repr is masked in every format."""
    view = as_view((Failing, {"reason": "login failed with password=hunter2"}))
    response = answer(view, query)
    assert b"hunter2" not in response.content
    assert b"password=********" in response.content


def test_async_checks_run():
    """A check whose run() is async def is awaited; its exception fails it as a sync one's does."""

    response = answer(as_view(AsyncPassing, AsyncFailing), "?format=json")
    assert json.loads(response.content) == {
        "AsyncPassing()": "OK",
        "AsyncFailing()": "Unexpected Result: PONG expected",
    }


def test_a_user_check_in_their_style_takes_options_from_a_tuple_or_a_dotted_path():
    """A dataclass subclass of HealthCheck works as listed by class, (class, options) or dotted path."""
    view = as_view(
        Failing,
        (Failing, {"reason": "replica lags"}),
        ("django_compat_urls.Passing", {}),
        "django_compat_urls.Failing",
    )
    assert json.loads(answer(view, "?format=json").content) == {
        "Failing(reason='the queue is gone')": "Unavailable: the queue is gone",
        "Failing(reason='replica lags')": "Unavailable: replica lags",
        "Passing()": "OK",
        "Failing()": "Unavailable: the queue is gone",
    }


def test_a_class_that_is_not_a_health_check_but_has_run_works():
    """Any class with run() is a check; an exception shaped like theirs (message_type, message) is shown."""

    response = answer(as_view(TheirCheck), "?format=json")
    assert json.loads(response.content) == {"TheirCheck()": "Unavailable: from their package"}


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/json", "application/json"),
        ("application/*", "application/json"),
        ("text/plain", "text/plain; charset=utf-8"),
        ("text/html", "text/html; charset=utf-8"),
        ("application/xhtml+xml", "text/html; charset=utf-8"),
        ("*/*", "text/html; charset=utf-8"),
        ("application/atom+xml", "application/atom+xml; charset=utf-8"),
        ("application/rss+xml", "application/rss+xml; charset=utf-8"),
        ("application/openmetrics-text", "application/openmetrics-text; version=1.0.0; charset=utf-8"),
        ("text/html; q=0.5, application/json", "application/json"),
        ("application/octet-stream, text/plain; q=0.2", "text/plain; charset=utf-8"),
        ("application/json; q=0, text/plain; q=0.1", "text/plain; charset=utf-8"),
        ('text/html; level="1", application/json; q=0.9', "text/html; charset=utf-8"),
    ],
)
def test_the_accept_header_chooses_the_format(accept, content_type):
    """The heaviest acceptable media range the view can give decides; q=0 refuses a format."""
    assert answer(as_view(Passing), accept=accept)["Content-Type"] == content_type


def test_format_wins_over_the_accept_header():
    """?format= overrides Accept."""
    assert answer(as_view(Passing), "?format=json", accept="text/html")["Content-Type"] == "application/json"


def test_an_unsatisfiable_accept_header_answers_406():
    """No format the view has is acceptable: 406 in text/plain, listing the types it has."""
    response = answer(as_view(Passing), accept="application/octet-stream, application/json; q=0")
    assert response.status_code == 406
    assert response["Content-Type"] == "text/plain"
    assert response.content.startswith(b"Not Acceptable: Supported content types: text/plain, text/html")


def test_an_unknown_format_answers_400_naming_it():
    """An unknown ?format= answers 400 naming it and the formats there are; no check runs."""
    runs: list[int] = []
    response = answer(as_view((Counting, {"runs": runs})), "?format=xml")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert (
        response.content
        == b"Bad Request: unknown format 'xml'; use one of json, text, atom, rss, openmetrics\n"
    )
    assert runs == []


@pytest.mark.parametrize("accept", ["text/html; q=2", "text/html; xxx", "json", "text/html;  =a"])
def test_a_malformed_accept_header_answers_400(accept):
    """A malformed Accept header answers 400 quoting it, not a traceback page."""
    response = answer(as_view(Passing), accept=accept)
    assert response.status_code == 400
    assert f'"{accept}" is not a valid media type'.encode() in response.content


def test_answers_vary_on_accept_and_are_never_cached():
    """Every answer says Vary: Accept and forbids caching."""
    response = answer(as_view(Passing), "?format=json")
    assert "Accept" in response["Vary"]
    assert "no-store" in response["Cache-Control"]


def test_head_answers_like_get():
    """HEAD runs the checks and answers with GET's status and type."""
    response = answer(as_view(Failing), method="head", accept="application/json")
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")


def test_post_is_not_allowed():
    """A POST answers 405."""
    assert answer(as_view(Passing), method="post").status_code == 405


ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_answers_200_dating_each_failure_by_its_exception():
    """Atom answers 200 when failing; a passing entry is dated 1970, a failing one by its exception."""
    response = answer(as_view(Passing, Incident), "?format=atom")
    assert (response.status_code, response["Content-Type"]) == (200, "application/atom+xml; charset=utf-8")
    entries = ElementTree.fromstring(response.content).findall(f"{ATOM}entry")
    assert [
        (
            entry.findtext(f"{ATOM}title"),
            entry.findtext(f"{ATOM}summary"),
            entry.findtext(f"{ATOM}published"),
            [category.get("term") for category in entry.findall(f"{ATOM}category")],
            entry.find(f"{ATOM}link").get("href"),
        )
        for entry in entries
    ] == [
        ("Passing()", "OK", "1970-01-01T00:00:00+00:00", ["healthy"], "http://testserver/health/"),
        (
            "Incident()",
            "Warning: the provider's API is degraded",
            "2024-06-15T12:00:00+00:00",
            ["error", "unhealthy"],
            "http://testserver/health/",
        ),
    ]


def test_rss_answers_200_dating_each_failure_by_its_exception():
    """RSS answers 200 when failing; a passing item is dated 1970, a failing one by its exception."""
    response = answer(as_view(Passing, Incident), "?format=rss")
    assert (response.status_code, response["Content-Type"]) == (200, "application/rss+xml; charset=utf-8")
    items = ElementTree.fromstring(response.content).findall("channel/item")
    assert [
        (
            item.findtext("title"),
            item.findtext("description"),
            item.findtext("pubDate"),
            [category.text for category in item.findall("category")],
        )
        for item in items
    ] == [
        ("Passing()", "OK", "Thu, 01 Jan 1970 00:00:00 +0000", ["healthy"]),
        (
            "Incident()",
            "Warning: the provider's API is degraded",
            "Sat, 15 Jun 2024 12:00:00 +0000",
            ["error", "unhealthy"],
        ),
    ]


def test_openmetrics_answers_200_with_a_status_per_check_and_overall():
    """OpenMetrics answers 200 with each check's status (1/0), its time, and the overall status."""
    response = answer(as_view(Passing, Failing), "?format=openmetrics")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert 'django_health_check_status{check="Passing"} 1' in lines
    assert 'django_health_check_status{check="Failing",reason="the queue is gone"} 0' in lines
    assert "django_health_check_overall_status 0" in lines
    assert lines[-1] == "# EOF"
    assert "" not in lines


def test_openmetrics_labels_are_escaped_and_scrubbed():
    """Label values escape quotes, backslashes and newlines, and mask secrets."""
    response = answer(
        as_view((Failing, {"reason": 'a "b"\\c\nd token=ghp_0123456789abcdefghijABCDEFGHIJ0123'})),
        "?format=openmetrics",
    )
    text = response.content.decode()
    assert 'reason="a \\"b\\"\\\\c\\nd token=********"' in text


def test_results_are_cached_for_their_ttl():
    """With the default TTLs, a second request reuses the first one's result."""
    runs: list[int] = []
    view = HealthCheckView.as_view(checks=[(Counting, {"runs": runs})])
    answer(view)
    answer(view)
    assert runs == [1]


def test_without_ttls_every_request_runs_the_checks():
    """success_ttl=None and failed_ttl=None run the checks on every request, as django-health-check does."""
    runs: list[int] = []
    view = as_view((Counting, {"runs": runs}))
    answer(view)
    answer(view)
    assert runs == [1, 1]


def test_concurrent_requests_on_an_empty_cache_run_a_check_once():
    """Requests arriving while a check runs share that run (and then its cached result)."""
    check = Blocking()
    view = HealthCheckView.as_view(
        checks=[(Blocking, {"started": check.started, "release": check.release, "runs": check.runs})]
    )
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(answer(view).status_code)) for _ in range(5)]
    threads[0].start()
    assert check.started.wait(30)
    for thread in threads[1:]:
        thread.start()
    check.release.set()
    for thread in threads:
        thread.join(30)
    assert (check.runs, statuses) == ([1], [200] * 5)


def test_a_hung_check_times_out_after_its_timeout_and_a_second_of_grace():
    """A check still running at timeout + 1 s fails as "Unavailable: Timed out after N seconds"."""

    check = Hung()
    try:
        response = answer(as_view((Hung, {"release": check.release})), "?format=json")
    finally:
        check.release.set()
    assert response.status_code == 500
    assert json.loads(response.content) == {"Hung()": "Unavailable: Timed out after 0 seconds"}


def test_get_checks_may_yield_other_instances():
    """A view whose get_checks() yields its own instances runs those, on an engine of their own."""

    class Custom(HealthCheckView):
        def get_checks(self):
            yield Failing(reason="from get_checks")

    response = answer(Custom.as_view(checks=[Passing], **NO_CACHE), "?format=json")
    assert json.loads(response.content) == {
        "Failing(reason='from get_checks')": "Unavailable: from get_checks"
    }


def test_the_template_context_has_results_and_errors():
    """get_context_data() gives the template "results" (HealthCheckResult) and "errors"."""
    view = HealthCheckView(**NO_CACHE, checks=[Passing])
    view.setup(RequestFactory().get("/"))
    view.results = view.run_checks()
    context = view.get_context_data()
    assert context["errors"] is False
    assert isinstance(context["results"][0], HealthCheckResult)
    assert context["results"][0].label == "Passing()"


@pytest.mark.django_db
def test_the_default_checks_are_cache_database_mail_and_storage(compat_client):
    """A view built without checks runs Cache, Database, Mail and Storage (theirs, less DNS)."""
    response = compat_client.get("/health/?format=json")
    assert (response.status_code, response.json()) == (
        200,
        {
            "Cache(alias='default')": "OK",
            "Database(alias='default')": "OK",
            "Mail(alias='default')": "OK",
            "Storage(alias='default')": "OK",
        },
    )


class Abstract(HealthCheck):
    pass


class Forever(HealthCheck):
    timeout = datetime.timedelta(hours=1)

    def run(self) -> None:
        pass


class SlowToSay(HealthCheck):
    timeout = "5 s"  # type: ignore[assignment]

    def run(self) -> None:
        pass


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ("skiesish.integrations.django.compat.checks.Database", r"must be a list of check classes.*got str"),
        ({"database": Database}, "must be a list of check classes.*got dict"),
        (Database, "must be a list of check classes.*got the class Database .*; put it in a list"),
        ([42], r"checks=\.\.\.\)\[0\] must be a check class, its dotted path.*got int 42"),
        ([(Passing, {}, {})], r"\[0\] must be .*got a tuple of 3 items"),
        ([(Passing, ["alias"])], r"the options must be a dict of option names to values, got list"),
        ([(Passing, {1: "x"})], r"the options must be a dict of option names to values, got dict"),
        ([(Database, {"aliass": "x"})], r"Database has no option 'aliass'; it takes alias"),
        ([(Passing, {"alias": "x"})], r"Passing has no option 'alias'; it takes no options"),
        (["skiesish.integrations.django.compat.checks.Nope"], r"cannot import '.*checks.Nope'"),
        (["no_such_module.Check"], r"\[0\]: cannot import 'no_such_module.Check'"),
        (
            ["health_check.checks.Database"],
            r"with the drop-in, write 'skiesish.integrations.django.compat.checks.Database'",
        ),
        (
            ["skiesish.integrations.django.compat.checks.DNS"],
            r"does not provide it.*'health_check.checks.DNS'",
        ),
        ([Database()], r"got an instance, Database\(alias='default'\); pass its class"),
        ([object], r"got a class without a run\(\) method"),
        ([len], r"got builtin_function_or_method"),
        (
            [(Disk, {"max_disk_usage_percent": 120})],
            r"Disk\(max_disk_usage_percent=\.\.\.\) failed.*from 0 to 100",
        ),
        ([Abstract], r"Abstract\(\) failed: TypeError: Can't instantiate abstract class"),
        ([SlowToSay], r"SlowToSay.timeout must be a datetime.timedelta from 0 to 599 seconds, got str '5 s'"),
        ([Forever], r"Forever.timeout must be a datetime.timedelta from 0 to 599 seconds, got timedelta"),
    ],
)
def test_bad_checks_are_refused_when_the_view_is_built(checks, message):
    """as_view() refuses a wrong checks entry, naming the entry and what arrived."""
    with pytest.raises(ConfigurationError, match=message):
        HealthCheckView.as_view(checks=checks)


@pytest.mark.parametrize(("key", "value"), [("success_ttl", -1), ("failed_ttl", "9")])
def test_bad_ttls_are_refused_when_the_view_is_built(key, value):
    """as_view() refuses a TTL that is not a number of seconds, naming it."""
    with pytest.raises(
        ConfigurationError, match=rf"HealthCheckView\({key}=\.\.\.\) must be a number of seconds"
    ):
        HealthCheckView.as_view(checks=[Passing], **{key: value})


def test_an_unknown_view_argument_is_refused():
    """as_view() refuses an argument the view does not have, as Django's does."""
    with pytest.raises(TypeError, match="invalid keyword 'check'"):
        HealthCheckView.as_view(check=[Passing])


def test_get_result_runs_the_check_each_time():
    """HealthCheck.get_result() runs the check now, uncached, and returns a HealthCheckResult."""
    runs: list[int] = []
    check = Counting(runs=runs)
    first = async_to_sync(check.get_result)()
    second = async_to_sync(check.get_result)()
    assert (first.error, second.error, runs) == (None, None, [1, 1])
    assert first.check is check
    failed = async_to_sync(Failing().get_result)()
    assert isinstance(failed.error, ServiceUnavailable)
    assert str(failed.error) == "Unavailable: the queue is gone"


def test_a_failure_keeps_its_exception_class_and_timestamp():
    """The error a result carries is of the class the check raised, with its timestamp."""
    result = async_to_sync(Incident().get_result)()
    assert isinstance(result.error, StatusPageWarning)
    assert result.error.timestamp == INCIDENT


def test_exceptions_read_as_message_type_and_message():
    """Each exception reads "<type>: <message>" and keeps its message and timestamp."""
    assert [
        str(cls("x"))
        for cls in (
            HealthCheckException,
            ServiceWarning,
            ServiceUnavailable,
            ServiceReturnedUnexpectedResult,
            StatusPageWarning,
        )
    ] == ["Unknown Error: x", "Warning: x", "Unavailable: x", "Unexpected Result: x", "Warning: x"]
    error = ServiceUnavailable("down", timestamp=INCIDENT)
    assert (error.message, error.timestamp) == ("down", INCIDENT)


def test_labels_name_the_class_and_the_shown_fields():
    """labels holds the class name and every field shown in the repr that is not None."""

    assert Labelled().labels == {"check": "Labelled", "queue": "mail"}
    assert Labelled().pretty_status() == "OK"


def test_media_types_sort_by_weight_keeping_the_header_order():
    """MediaType.parse_header() yields the heaviest first; equal weights keep their order."""
    assert list(
        MediaType.parse_header("text/html; q=0.1, application/xhtml+xml; q=0.1, application/json")
    ) == [
        MediaType("application/json"),
        MediaType("text/html", 0.1),
        MediaType("application/xhtml+xml", 0.1),
    ]
    assert repr(MediaType("*/*", 0.5)) == "MediaType: */*; q=0.5"


def test_the_package_exports_their_top_level_names():
    """health_check's top-level names are there, and DNS's absence is explained."""
    assert compat.Database is Database
    assert compat.HealthCheck is HealthCheck
    with pytest.raises(AttributeError, match="no DNS check: keep django-health-check installed"):
        compat.DNS  # noqa: B018


def test_the_top_level_dotted_paths_of_their_docs_work():
    """ "health_check.Database"-style paths, as their migration guide writes them, build the checks."""
    view = as_view(*(f"skiesish.integrations.django.compat.{name}" for name in ("Cache", "Mail")))
    assert json.loads(answer(view, "?format=json").content) == {
        "Cache(alias='default')": "OK",
        "Mail(alias='default')": "OK",
    }


def test_the_public_names_are_pinned():
    """The drop-in's modules export exactly django-health-check's names that it provides."""
    from skiesish.integrations.django.compat import base, checks, exceptions, views
    from skiesish.integrations.django.compat.contrib import psutil, redis

    assert {
        module.__name__.rpartition("compat.")[2]: sorted(module.__all__)
        for module in (compat, base, checks, exceptions, views, psutil, redis)
    } == {
        "skiesish.integrations.django.compat": ["Cache", "Database", "HealthCheck", "Mail", "Storage"],
        "base": ["HealthCheck", "HealthCheckResult"],
        "checks": ["Cache", "Database", "Mail", "Storage"],
        "exceptions": [
            "HealthCheckException",
            "ServiceReturnedUnexpectedResult",
            "ServiceUnavailable",
            "ServiceWarning",
            "StatusPageWarning",
        ],
        "views": ["DEFAULT_CHECKS", "FORMATS", "HealthCheckView", "MediaType"],
        "contrib.psutil": ["Disk", "Memory"],
        "contrib.redis": ["Redis"],
    }


def test_the_html_page_escapes_messages():
    """A message holding markup is shown as text on the HTML page."""
    response = answer(as_view((Failing, {"reason": "<script>alert(1)</script>"})), accept="text/html")
    assert b"<script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
