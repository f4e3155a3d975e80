"""WSGI entry point: ``waitress-serve mysite.wsgi:application`` or ``gunicorn mysite.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = get_wsgi_application()
