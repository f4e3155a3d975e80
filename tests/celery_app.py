"""The Celery application whose real workers the Celery tests start: ``celery -A celery_app worker``.

The worker reads its settings from the environment (see :func:`worker_environment`); the tests
build the same application in process with :func:`make_app` to send tasks and to check the workers.
"""

from __future__ import annotations

import os
import time

from celery import Celery

from skiesish.integrations.celery import install_worker_health


def make_app(broker: str, namespace: str, queue: str) -> Celery:
    """An application on ``broker`` whose control commands go through ``namespace`` (one per test run,
    so that no other worker on the broker answers) and whose tasks go to ``queue``."""
    app = Celery("skiesish_tests", broker=broker, set_as_current=False)
    app.conf.update(
        control_exchange=namespace,
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    app.task(name="celery_app.hold")(hold)
    return app


def hold(started: str, release: str) -> None:
    """A task that keeps its worker busy: it creates the file ``started``, then waits for ``release``."""
    open(started, "w").close()
    deadline = time.monotonic() + 60  # a hang guard
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)


def worker_environment(
    broker: str, namespace: str, queue: str, alive: str, ready: str, interval: float
) -> dict[str, str]:
    """The variables this module reads in a worker process."""
    return {
        "SKIESISH_CELERY_BROKER": broker,
        "SKIESISH_CELERY_NAMESPACE": namespace,
        "SKIESISH_CELERY_QUEUE": queue,
        "SKIESISH_CELERY_ALIVE": alive,
        "SKIESISH_CELERY_READY": ready,
        "SKIESISH_CELERY_INTERVAL": str(interval),
    }


if "SKIESISH_CELERY_BROKER" in os.environ:
    app = make_app(
        os.environ["SKIESISH_CELERY_BROKER"],
        os.environ["SKIESISH_CELERY_NAMESPACE"],
        os.environ["SKIESISH_CELERY_QUEUE"],
    )
    install_worker_health(
        app,
        os.environ["SKIESISH_CELERY_ALIVE"],
        ready_path=os.environ["SKIESISH_CELERY_READY"],
        interval=float(os.environ["SKIESISH_CELERY_INTERVAL"]),
    )
