"""The project's probes as a WSGI application of their own, for a probe listener (docs/probe-listener.md).

``gunicorn.conf.py``: ``probe_listener("0.0.0.0:8081", probes="mysite.probes:application")``.
"""

import os

import django

import skiesish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django.setup()

from skiesish.integrations.django.application import probes_application  # noqa: E402 - needs Django set up

application = skiesish.contexts.wsgi(probes_application())
