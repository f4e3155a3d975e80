"""The Django app of the django-health-check drop-in, under that project's app label."""

from __future__ import annotations

from django.apps import AppConfig  # type: ignore[import-untyped, unused-ignore]

__all__ = ["HealthCheckConfig"]


class HealthCheckConfig(AppConfig):  # type: ignore[misc, unused-ignore]
    """``"skiesish.integrations.django.compat"`` in ``INSTALLED_APPS``, labelled ``health_check`` as theirs.

    The label keeps the template ``health_check/index.html`` and the
    ``health_check`` management command where django-health-check had them.
    """

    name = "skiesish.integrations.django.compat"
    label = "health_check"
    verbose_name = "health checks (django-health-check compatible)"
