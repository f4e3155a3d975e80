"""The example's URLs: a home page, and skiesish's probes under /health/."""

from django.http import HttpResponse
from django.urls import include, path


def home(request):
    """The application itself."""
    return HttpResponse("hello\n", content_type="text/plain")


urlpatterns = [
    path("", home),
    # /health/ (every check), /health/livez, /health/readyz, /health/startupz
    path("health/", include("skiesish.integrations.django.urls")),
]
