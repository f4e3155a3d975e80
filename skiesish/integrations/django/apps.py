"""The Django app of skiesish's Django integration: it checks ``SKIESISH`` when Django starts."""

from __future__ import annotations

import sys
import types
from typing import Any

from django.apps import AppConfig  # type: ignore[import-untyped]
from django.conf import settings  # type: ignore[import-untyped]
from django.core import checks  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]
from django.core.signals import setting_changed  # type: ignore[import-untyped]

from ...exceptions import ConfigurationError
from .application import on_setting_changed
from .checks import BY_NAME
from .config import probes_config, read_settings

__all__ = ["SkiesishConfig", "check_settings"]

#: The system checks' ids: the keys and their values, then the checks the lists name.
SETTINGS_ERROR = "skiesish.E001"
CHECKS_ERROR = "skiesish.E002"


class SkiesishConfig(AppConfig):  # type: ignore[misc]
    """``"skiesish.integrations.django"`` in ``INSTALLED_APPS``.

    When Django starts it validates ``SKIESISH``. Under ``manage.py`` a
    mistake is left to the system checks, so that ``manage.py check`` (and
    ``runserver``, ``migrate``...) report it as ``skiesish.E001`` or
    ``skiesish.E002``; anywhere else (a WSGI or ASGI server calling
    ``django.setup()``) start-up stops with ``ImproperlyConfigured`` naming it.
    """

    name = "skiesish.integrations.django"
    label = "skiesish"
    verbose_name = "skiesish health checks"

    def ready(self) -> None:
        checks.register(check_settings, "skiesish")
        setting_changed.connect(on_setting_changed, dispatch_uid="skiesish.integrations.django")
        if _is_management_command():
            return
        problem = settings_problem()
        if problem is not None:
            raise ImproperlyConfigured(f"{problem[1]} ({problem[0]})")


def settings_problem() -> tuple[str, str] | None:
    """What is wrong with ``SKIESISH``, as ``(system check id, sentence)``, or ``None``."""
    try:
        validated = read_settings(getattr(settings, "SKIESISH", {}))
    except ConfigurationError as error:
        return SETTINGS_ERROR, str(error)
    try:
        probes_config(validated)
    except ConfigurationError as error:
        return CHECKS_ERROR, str(error)
    return None


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """The system check of ``SKIESISH`` (tag ``skiesish``): one error naming the mistake, or none."""
    problem = settings_problem()
    if problem is None:
        return []
    identifier, message = problem
    hint = (
        "docs/django.md describes each key of SKIESISH"
        if identifier == SETTINGS_ERROR
        else "each item of live, ready and startup is a skiesish.Check, a function, the name of a Django "
        "check (" + ", ".join(BY_NAME) + ") or a dotted path"
    )
    return [checks.Error(message, hint=hint, obj="settings.SKIESISH", id=identifier)]


def _is_management_command() -> bool:
    """Whether ``manage.py`` (or ``django-admin``) called ``django.setup()``: its system checks report."""
    from django.core.management import ManagementUtility  # type: ignore[import-untyped]

    code = ManagementUtility.execute.__code__
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False
