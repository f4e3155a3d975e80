"""Django settings for the tests of skiesish's Django integration (pytest-django loads them)."""

from __future__ import annotations

import os
import tempfile

SECRET_KEY = "skiesish-tests-only-not-a-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "skiesish.integrations.django",
    "skiesish.integrations.django.compat",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "django_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.gettempdir(), f"skiesish-django-tests-{os.getpid()}.sqlite3"),
    },
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
