"""The django-health-check ``contrib`` checks the drop-in provides: :mod:`.psutil` and :mod:`.redis`.

That is ``Disk``, ``Memory`` and ``Redis``. The others (Celery, Kafka, RabbitMQ, the
status-page feeds, ``CPU``, ``Battery``, ``Temperature``) are not provided: keep django-health-check
installed (it need not be in ``INSTALLED_APPS``) and list them by their
``health_check`` paths; ``HealthCheckView`` runs them on skiesish's engine.
"""
