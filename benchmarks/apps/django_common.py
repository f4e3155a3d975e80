"""What the three Django throughput apps share: one set of settings, and the body they answer.

Each app module calls :func:`configure` with its own apps and URLconf (itself), then builds
Django's WSGI application. Only the standard library and Django are imported here, so the
project's virtualenv and the peers' can both serve these apps.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import django
from django.conf import settings

#: skiesish's success envelope, byte for byte: what every app answers.
BODY = b'{"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}}'


def configure(urlconf: str, apps: list[str], **extra: Any) -> None:
    """Configure Django: the same middleware, database, cache and templates for every app."""
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-a-secret",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        ROOT_URLCONF=urlconf,
        INSTALLED_APPS=["django.contrib.contenttypes", *apps],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(tempfile.gettempdir(), f"skiesish-bench-django-{os.getpid()}.sqlite3"),
            }
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        **extra,
    )
    django.setup()
