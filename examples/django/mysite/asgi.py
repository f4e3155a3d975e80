"""ASGI entry point: ``uvicorn mysite.asgi:application``; the probes answer off the event loop."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = get_asgi_application()
