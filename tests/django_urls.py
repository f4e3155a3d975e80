"""The URLconf of the Django integration's tests; tests that need other routes override ROOT_URLCONF."""

from __future__ import annotations

urlpatterns: list[object] = []
