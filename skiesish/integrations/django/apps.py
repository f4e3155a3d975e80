"""The Django app of skiesish's Django integration."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["SkiesishConfig"]


class SkiesishConfig(AppConfig):
    """``"skiesish.integrations.django"`` in ``INSTALLED_APPS``."""

    name = "skiesish.integrations.django"
    label = "skiesish"
    verbose_name = "skiesish health checks"
