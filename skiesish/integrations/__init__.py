"""Integrations with frameworks and protocols, each in its own module and behind its own extra.

- :mod:`skiesish.integrations.healthcheck` (no extra): py-healthcheck's and
  Runscope's ``HealthCheck`` and ``EnvironmentDump``, whose ``run()`` serves any
  framework, and py-healthcheck's ``safe_dict``.
- :mod:`skiesish.integrations.tornado` (``pip install 'skiesish[tornado]'``):
  py-healthcheck's ``TornadoHandler``.
- :mod:`skiesish.integrations.flask` (``pip install 'skiesish[flask]'``): drop-in
  replacements for py-healthcheck's and Runscope's ``HealthCheck`` and
  ``EnvironmentDump``, and for flask-healthz's ``Healthz``, run on the
  :class:`~skiesish.health.HealthEngine`.
- :mod:`skiesish.integrations.django` (``pip install 'skiesish[django]'``): a
  Django app with probes, full report and Django-native checks, and
  :mod:`skiesish.integrations.django.compat`, a drop-in for django-health-check.
- :mod:`skiesish.integrations.gunicorn` (``pip install 'skiesish[gunicorn]'``):
  server hooks that run a probe listener in gunicorn's master process.
- :mod:`skiesish.integrations.grpc` (``pip install 'skiesish[grpc]'``):
  ``grpc.health.v1`` (Check, Watch, List) served from the same checks.
- :mod:`skiesish.integrations.celery` (``pip install 'skiesish[celery]'``):
  a worker's liveness and readiness from its own consumer loop, and a check
  of broker, workers and queues from the web side.
- :mod:`skiesish.integrations.opentelemetry` (``pip install 'skiesish[otel]'``):
  checks' statuses and durations as OpenTelemetry metrics and spans.

Nothing is imported here, so that importing this package never needs a framework.
"""
