"""django-health-check's ``HealthCheckView``, its checks run on skiesish's health engine.

In the URLconf, as before::

    path("health/", HealthCheckView.as_view(checks=[
        "skiesish.integrations.django.compat.checks.Database",
        ("skiesish.integrations.django.compat.checks.Cache", {"alias": "sessions"}),
        MyCheck,
    ]))

The answer is the HTML page (``health_check/index.html``), ``text/plain``,
JSON (``{label: "OK" | error}``), Atom, RSS or OpenMetrics, chosen by
``?format=`` or else by the ``Accept`` header; ``200`` when every check
passes, ``500`` otherwise (the feeds and OpenMetrics always ``200``), ``406``
for an ``Accept`` header none of them satisfies, ``400`` for an unknown
``?format=`` or a malformed ``Accept`` header. Underneath, the checks of one
``as_view()`` share one :class:`~skiesish.health.HealthEngine`: they run
concurrently, each under a deadline, results are reused for ``success_ttl``
or ``failed_ttl`` seconds, concurrent requests share one run, and every text
shown is scrubbed of secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from concurrent.futures import Executor
from typing import Any

from django.db import transaction  # type: ignore[import-untyped, unused-ignore]
from django.http import HttpResponse, JsonResponse  # type: ignore[import-untyped, unused-ignore]
from django.utils.cache import (  # type: ignore[import-untyped, unused-ignore]
    add_never_cache_headers,
    patch_vary_headers,
)
from django.utils.decorators import (  # type: ignore[import-untyped, unused-ignore]
    classonlymethod,
    method_decorator,
)
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed  # type: ignore[import-untyped, unused-ignore]
from django.views.generic import TemplateView  # type: ignore[import-untyped, unused-ignore]

from ....health.engine import DEFAULT_FAILED_TTL, DEFAULT_SUCCESS_TTL
from ....scrubbing import scrub_text
from ....text import bounded
from ._building import COMPAT_PACKAGE
from ._media import MediaType
from ._running import ViewRunners
from .base import HealthCheckResult

__all__ = ["DEFAULT_CHECKS", "FORMATS", "HealthCheckView", "MediaType"]

#: The checks of a view built without ``checks``: django-health-check's, less DNS (which skiesish lacks).
DEFAULT_CHECKS = tuple(f"{COMPAT_PACKAGE}.checks.{name}" for name in ("Cache", "Database", "Mail", "Storage"))

#: The values ``?format=`` takes.
FORMATS = ("json", "text", "atom", "rss", "openmetrics")

#: Media type (as ``Accept`` names it) -> format; ``html`` is the template.
MEDIA_FORMATS = {
    "text/plain": "text",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/*": "html",
    "*/*": "html",
    "application/json": "json",
    "application/*": "json",
    "application/atom+xml": "atom",
    "application/rss+xml": "rss",
    "application/openmetrics-text": "openmetrics",
}

NOT_ACCEPTABLE = (
    "Not Acceptable: Supported content types: text/plain, text/html, application/json, "
    "application/atom+xml, application/rss+xml, application/openmetrics-text"
)

#: A passing check's publication date in the feeds: it has no event to date.
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class HealthCheckView(TemplateView):  # type: ignore[misc, unused-ignore]
    """Run the checks and answer in the format asked for.

    Attributes (all may be passed to ``as_view()``):
        checks: check classes, their dotted paths, or ``(class or path, {options})``
            pairs; imported and instantiated once, by ``as_view()``.
        success_ttl: seconds a passing result is reused (``None``: run on every request).
        failed_ttl: seconds a failing result is reused (``None``: run on every request).
        template_name: the HTML page's template.
        feed_author: the author of the Atom and RSS items.

    Raises:
        ConfigurationError: from ``as_view()``, when an entry of ``checks``
            or a TTL is wrong, naming the entry and what arrived.
    """

    template_name = "health_check/index.html"
    feed_author = "Django Health Check"
    checks: Any = DEFAULT_CHECKS
    success_ttl: float | None = DEFAULT_SUCCESS_TTL
    failed_ttl: float | None = DEFAULT_FAILED_TTL
    #: The engines of this ``as_view()``, which passes them to every instance it makes.
    runners: ViewRunners | None = None
    results: list[HealthCheckResult]

    @classonlymethod  # type: ignore[untyped-decorator, unused-ignore]
    def as_view(cls, **initkwargs: Any) -> Any:
        """The view function; the checks are built now, and their engine with them."""
        if "runners" not in initkwargs:
            initkwargs["runners"] = ViewRunners(
                initkwargs.get("checks", cls.checks),
                success_ttl=initkwargs.get("success_ttl", cls.success_ttl),
                failed_ttl=initkwargs.get("failed_ttl", cls.failed_ttl),
                owner=f"{cls.__name__}",
            )
        return super().as_view(**initkwargs)

    @method_decorator(transaction.non_atomic_requests)  # type: ignore[untyped-decorator, unused-ignore]
    async def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = await super().dispatch(request, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        add_never_cache_headers(response)
        return response

    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        chosen = self.choose_format(request)
        if not isinstance(chosen, str):
            return chosen
        with self.get_executor() as executor:
            self.results = await asyncio.get_running_loop().run_in_executor(executor, self.run_checks)
        status = 500 if any(result.error for result in self.results) else 200
        if chosen == "html":
            return self.render_to_response(self.get_context_data(**kwargs), status=status)
        if chosen in ("json", "text"):
            return getattr(self, f"render_to_response_{chosen}")(status)
        return getattr(self, f"render_to_response_{chosen}")()

    def choose_format(self, request: Any) -> str | HttpResponse:
        """The format to answer in (``"html"`` or one of :data:`FORMATS`), or the answer refusing them all."""
        requested = request.GET.get("format")
        if requested:
            if requested in FORMATS:
                return str(requested)
            shown = scrub_text(bounded(repr(requested), 60))
            return _plain(400, f"Bad Request: unknown format {shown}; use one of {', '.join(FORMATS)}")
        try:
            ranges = list(MediaType.parse_header(request.headers.get("accept", "*/*")))
        except ValueError as error:
            return _plain(400, f"Bad Request: the Accept header: {scrub_text(bounded(str(error), 200))}")
        for media in ranges:
            chosen = MEDIA_FORMATS.get(media.mime_type.lower())
            if chosen is not None and media.weight > 0:
                return chosen
        return HttpResponse(NOT_ACCEPTABLE, status=406, content_type="text/plain")

    def run_checks(self) -> list[HealthCheckResult]:
        """Every check's result (blocking): fresh ones from the cache, the others from a run."""
        return self.get_runners().runner_for(list(self.get_checks())).results()

    def get_runners(self) -> ViewRunners:
        """The engines of this view: those of its ``as_view()``, or this instance's own."""
        if self.runners is None:
            self.runners = ViewRunners(
                self.checks,
                success_ttl=self.success_ttl,
                failed_ttl=self.failed_ttl,
                owner=type(self).__name__,
            )
        return self.runners

    def get_checks(self) -> Any:
        """Yield the check instances (built once, by ``as_view()``)."""
        yield from self.get_runners().configured.checks

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "results": self.results,
            "errors": any(result.error for result in self.results),
        }

    def get_executor(self) -> contextlib.AbstractContextManager[Executor | None]:
        """A context manager giving the executor that waits for the results (``None``: the loop's default)."""
        return contextlib.nullcontext(None)

    def render_to_response_json(self, status: int) -> JsonResponse:
        """``{label: "OK" | error}``."""
        return JsonResponse(
            {result.label: "OK" if result.error is None else str(result.error) for result in self.results},
            status=status,
        )

    def render_to_response_text(self, status: int) -> HttpResponse:
        """One ``label: OK`` (or ``label: error``) line per check."""
        lines = "".join(
            f"{result.label}: {'OK' if result.error is None else result.error}\n" for result in self.results
        )
        return HttpResponse(lines, content_type="text/plain; charset=utf-8", status=status)

    def render_to_response_atom(self) -> HttpResponse:
        """An Atom feed, one entry per check; always ``200``."""
        return self._render_feed(Atom1Feed)

    def render_to_response_rss(self) -> HttpResponse:
        """An RSS 2.0 feed, one item per check; always ``200``."""
        return self._render_feed(Rss201rev2Feed)

    @staticmethod
    def abnf_escape(value: str) -> str:
        r"""An OpenMetrics label value: ``\``, ``"`` and line feeds escaped."""
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    @staticmethod
    def abnf_dumps(labels: dict[str, str]) -> str:
        """OpenMetrics labels: ``key="value",...``."""
        return ",".join(f'{key}="{HealthCheckView.abnf_escape(value)}"' for key, value in labels.items())

    def render_to_response_openmetrics(self) -> HttpResponse:
        """Status and response time per check, and the overall status; always ``200``."""
        lines = [
            "# HELP django_health_check_status Health check status (1 = healthy, 0 = unhealthy)",
            "# TYPE django_health_check_status gauge",
        ]
        labels = [self.abnf_dumps(_metric_labels(result)) for result in self.results]
        lines += [
            f"django_health_check_status{{{label}}} {int(result.error is None)}"
            for label, result in zip(labels, self.results, strict=True)
        ]
        lines += [
            "# HELP django_health_check_response_time_seconds Health check response time in seconds",
            "# TYPE django_health_check_response_time_seconds gauge",
        ]
        lines += [
            f"django_health_check_response_time_seconds{{{label}}} {result.time_taken:.6f}"
            for label, result in zip(labels, self.results, strict=True)
        ]
        healthy = all(result.error is None for result in self.results)
        lines += [
            "# HELP django_health_check_overall_status Overall health check status "
            "(1 = all healthy, 0 = at least one unhealthy)",
            "# TYPE django_health_check_overall_status gauge",
            f"django_health_check_overall_status {int(healthy)}",
            "# EOF",
        ]
        return HttpResponse(
            "\n".join(lines) + "\n",
            content_type="application/openmetrics-text; version=1.0.0; charset=utf-8",
            status=200,
        )

    def _render_feed(self, feed_class: Any) -> HttpResponse:
        link = self.request.build_absolute_uri(self.request.path)
        feed = feed_class(
            title="Health Check Status",
            link=link,
            description="Current status of system health checks",
            feed_url=self.request.build_absolute_uri(),
        )
        for result in self.results:
            published = EPOCH if result.error is None else result.error.timestamp
            feed.add_item(
                title=result.label,
                link=link,
                description="OK" if result.error is None else str(result.error),
                pubdate=published,
                updateddate=published,
                author_name=self.feed_author,
                categories=["healthy"] if result.error is None else ["error", "unhealthy"],
            )
        return HttpResponse(feed.writeString("utf-8"), content_type=feed.content_type, status=200)


def _metric_labels(result: HealthCheckResult) -> dict[str, str]:
    """The check's ``labels``, their values scrubbed; its class name alone if ``labels`` fails."""
    try:
        labels = dict(result.check.labels)
    except Exception:  # noqa: BLE001 - a check's own labels property may raise anything
        labels = {"check": type(result.check).__name__}
    return {str(key): scrub_text(str(value)) for key, value in labels.items()}


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
