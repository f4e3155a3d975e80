"""The Django app of the django-health-check drop-in, under that project's app label."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["HealthCheckConfig"]


class HealthCheckConfig(AppConfig):
    """``"skiesish.integrations.django.compat"`` in ``INSTALLED_APPS``, labelled ``health_check`` as theirs is."""

    name = "skiesish.integrations.django.compat"
    label = "health_check"
    verbose_name = "health checks (django-health-check compatible)"
