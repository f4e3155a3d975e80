"""An example Django project with skiesish's probes: see docs/django.md."""
