"""A drop-in for django-health-check v4: replace ``health_check`` by ``skiesish.integrations.django.compat``.

In imports, the URLconf and ``INSTALLED_APPS``; nothing else changes. The
modules mirror django-health-check's: :mod:`.views` (``HealthCheckView``),
:mod:`.checks` (``Cache``, ``Database``, ``Mail``, ``Storage``),
:mod:`.contrib.psutil` (``Disk``, ``Memory``), :mod:`.contrib.redis`
(``Redis``), :mod:`.base` (``HealthCheck``, the class to subclass) and
:mod:`.exceptions`, and ``manage.py health_check`` stays. Underneath, every check runs on skiesish's
:class:`~skiesish.health.HealthEngine` (deadlines, cached results shared by
concurrent requests, scrubbed text). docs/migrating.md lists where skiesish
is deliberately different, and why.

Example:
    >>> from skiesish.integrations.django.compat import Database, HealthCheck
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Cache", "Database", "HealthCheck", "Mail", "Storage"]

_WHERE = {
    "HealthCheck": ".base",
    "Cache": ".checks",
    "Database": ".checks",
    "Mail": ".checks",
    "Storage": ".checks",
}


def __getattr__(name: str) -> Any:
    # Loaded on first use: Django imports this package while it loads its apps, before the checks may be.
    module = _WHERE.get(name)
    if module is None:
        hint = ""
        if name == "DNS":
            hint = (
                "; skiesish's drop-in has no DNS check: keep django-health-check installed and list "
                "'health_check.checks.DNS', which then runs on skiesish's engine"
            )
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}{hint}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
