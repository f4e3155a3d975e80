"""Health for Celery: liveness and readiness inside the worker, and a check of the workers from the web side.

In the module that makes the Celery application::

    from skiesish.integrations.celery import install_worker_health

    app = Celery("shop", broker="amqp://guest:guest@rabbitmq:5672//")
    install_worker_health(app, "/tmp/celery-alive", ready_path="/tmp/celery-ready")

Each worker then beats ``/tmp/celery-alive`` from its consumer loop and keeps
``/tmp/celery-ready`` while it consumes; probe them with
``skiesish check --heartbeat /tmp/celery-alive --max-age 30`` (liveness) and
``skiesish check --heartbeat /tmp/celery-ready --max-age 10`` (readiness), in a
Docker ``HEALTHCHECK`` or Kubernetes exec probes.

In the web application, :func:`check` is a ready-made check that the broker
answers, that a worker answers a ping, and that each given queue has a
consumer::

    from skiesish.integrations import celery as celery_health

    checks = [celery_health.check(app, queues=["celery"], timeout=3)]

Install the extra: ``pip install 'skiesish[celery]'``. See docs/workers.md.
"""

from ...extras import import_extra

import_extra("celery", "celery", "skiesish.integrations.celery")

from .monitor import check  # noqa: E402 - after the check for the extra, which names what to install
from .worker import DEFAULT_INTERVAL, install_worker_health  # noqa: E402

__all__ = ["DEFAULT_INTERVAL", "check", "install_worker_health"]
