"""The upper limit: a plain Django view answering skiesish's success envelope, with the same headers."""

from __future__ import annotations

from apps.django_common import BODY, configure

configure(__name__, [])

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after configure()
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def readyz(request: object) -> HttpResponse:
    """200 and the envelope; CommonMiddleware adds Content-Length, as for the others."""
    return HttpResponse(
        BODY, content_type="application/json; charset=utf-8", headers={"Cache-Control": "no-store"}
    )


urlpatterns = [path("health/readyz", readyz)]

application = get_wsgi_application()
