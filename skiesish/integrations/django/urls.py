"""The URLconf of skiesish's probes: include it where they should answer.

``path("health/", include("skiesish.integrations.django.urls"))`` answers:

- ``health/`` the full report (every check of ``SKIESISH``'s lists),
- ``health/livez``, ``health/readyz``, ``health/startupz`` the three probes.

The URL names, in the ``skiesish`` namespace, are ``health``, ``livez``,
``readyz`` and ``startupz`` (``reverse("skiesish:readyz")``).
"""

from __future__ import annotations

from django.urls import path  # type: ignore[import-untyped]

from .views import HealthView

__all__ = ["app_name", "urlpatterns"]

app_name = "skiesish"

# The most probed first: Django tries the patterns in order.
urlpatterns = [
    path("readyz", HealthView.as_view(probe="ready"), name="readyz"),
    path("livez", HealthView.as_view(probe="live"), name="livez"),
    path("startupz", HealthView.as_view(probe="startup"), name="startupz"),
    path("", HealthView.as_view(), name="health"),
]
