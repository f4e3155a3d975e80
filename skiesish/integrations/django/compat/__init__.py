"""A drop-in for django-health-check v4: replace ``health_check`` by ``skiesish.integrations.django.compat``.

In imports, the URLconf and ``INSTALLED_APPS``; nothing else changes.
docs/migrating.md lists where skiesish is deliberately different, and why.
"""
