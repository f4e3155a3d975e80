"""skiesish's URLconf, included under /health/ as docs/django.md shows: /health/readyz, cached (27 s)."""

from __future__ import annotations

from apps.django_common import configure

configure(__name__, ["skiesish.integrations.django"], SKIESISH={"ready": ["cache"], "startup": []})

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after configure()
from django.urls import include, path  # noqa: E402

urlpatterns = [path("health/", include("skiesish.integrations.django.urls"))]

application = get_wsgi_application()
