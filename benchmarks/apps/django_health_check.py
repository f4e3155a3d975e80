"""django-health-check (v4) in the peers' virtualenv: its view running its cache check, answering JSON.

It caches nothing, so every request runs the check (set, get on the local-memory cache). JSON
is its cheapest format; the view is asked for it as ``?format=json`` would, since the harness's
first request sends no query string.
"""

from __future__ import annotations

from typing import Any

from apps.django_common import configure

configure(__name__, ["health_check"])

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after configure()
from django.http import QueryDict  # noqa: E402
from django.urls import path  # noqa: E402
from health_check.views import HealthCheckView  # noqa: E402


class JSONHealthCheckView(HealthCheckView):
    """``HealthCheckView`` answering as for ``?format=json``."""

    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        request.GET = QueryDict("format=json")
        return await super().get(request, *args, **kwargs)


urlpatterns = [path("health/", JSONHealthCheckView.as_view(checks=["health_check.checks.Cache"]))]

application = get_wsgi_application()
