"""A Celery application whose workers report liveness and readiness, and the web side's check of them.

Run a worker, and probe it as Docker's HEALTHCHECK or Kubernetes would::

    celery -A examples.celery_worker worker
    skiesish check --heartbeat /tmp/celery-alive --max-age 30    # liveness
    skiesish check --heartbeat /tmp/celery-ready --max-age 10    # readiness

Serve the web side's health (the broker answers, a worker answers a ping, the
queue has a consumer)::

    waitress-serve --listen=127.0.0.1:9090 examples.celery_worker:application

``CELERY_BROKER_URL``, ``CELERY_QUEUE``, ``CELERY_ALIVE_FILE`` and
``CELERY_READY_FILE`` change the defaults below.
"""

import os

from celery import Celery

import skiesish
from skiesish.integrations import celery as celery_health

QUEUE = os.environ.get("CELERY_QUEUE", "celery")

app = Celery("shop", broker=os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"))
app.conf.task_default_queue = QUEUE

# In the worker: beat from the consumer loop every 2 s; the ready file goes on SIGTERM.
celery_health.install_worker_health(
    app,
    os.environ.get("CELERY_ALIVE_FILE", "/tmp/celery-alive"),
    ready_path=os.environ.get("CELERY_READY_FILE", "/tmp/celery-ready"),
    interval=2,
)


@app.task
def send_invoice(order_id: int) -> str:
    """Stands in for a real task."""
    return f"invoice for order {order_id} sent"


# On the web side: this module is imported there too, to send tasks; the step above is inert there.
application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"checks": [celery_health.check(app, queues=[QUEUE], timeout=3)], "timeout": 4},
    )
)
