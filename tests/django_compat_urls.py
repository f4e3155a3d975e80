"""The URLconf of the django-health-check drop-in's tests (``override_settings(ROOT_URLCONF=...)``).

Every view here runs its checks on each request (no TTL), so that no test
sees a result another test left in the cache; the tests of caching build
views of their own.
"""

from __future__ import annotations

import dataclasses

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.urls import path

from skiesish.integrations.django.compat.base import HealthCheck
from skiesish.integrations.django.compat.exceptions import ServiceUnavailable
from skiesish.integrations.django.compat.views import HealthCheckView

NO_CACHE = {"success_ttl": None, "failed_ttl": None}


@dataclasses.dataclass
class Passing(HealthCheck):
    """Always passes."""

    def run(self) -> None:
        pass


@dataclasses.dataclass
class Failing(HealthCheck):
    """Always fails, saying why."""

    def run(self) -> None:
        raise ServiceUnavailable("the queue is gone")


urlpatterns = [
    path("health/", HealthCheckView.as_view(**NO_CACHE), name="health_check"),
    path("health/pass/", HealthCheckView.as_view(checks=[Passing], **NO_CACHE), name="compat_pass"),
    path("health/fail/", HealthCheckView.as_view(checks=[Passing, Failing], **NO_CACHE), name="compat_fail"),
    path("plain/", lambda request: HttpResponse("not a health check"), name="compat_plain"),
    path("missing/", lambda request: HttpResponseNotFound("gone"), name="compat_missing"),
    path("bad-request/", lambda request: HttpResponseBadRequest("bad host"), name="compat_bad_request"),
]
