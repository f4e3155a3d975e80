"""The URLconf of the Django integration's tests; tests that need other routes override ROOT_URLCONF."""

from __future__ import annotations

from django.urls import include, path

from skiesish.integrations.django.views import HealthView

urlpatterns = [
    path("health/", include("skiesish.integrations.django.urls")),
    # A probe routed by hand, as a project that keeps its own URL scheme would.
    path("ping/ready", HealthView.as_view(probe="ready"), name="ping-ready"),
]
