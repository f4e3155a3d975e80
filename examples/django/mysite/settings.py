"""Settings of the example project; only what skiesish's probes need, plus a home page.

``MYSITE_DATABASE`` names the SQLite file (``db.sqlite3`` beside manage.py by default),
and ``HEALTH_TOKEN`` the bearer token that may see each check's details.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret")
DEBUG = False
# Kubernetes probes arrive addressed to the pod's IP: allow it (or serve probes on a probe listener).
ALLOWED_HOSTS = ["*"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "skiesish.integrations.django",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MYSITE_DATABASE", str(BASE_DIR / "db.sqlite3")),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SKIESISH = {
    # /livez: nothing; a process that answers is alive, and restarting it mends no database.
    "live": [],
    # /readyz: every database and cache, and a check of the project's own.
    "ready": ["database", "cache", "mysite.health.disk_has_room"],
    # /startupz: passes once the migrations are applied, then never runs again.
    "startup": ["migrations"],
    "timeout": 3,
    "details": "authorized",
    "details_token": "env:HEALTH_TOKEN",
}
