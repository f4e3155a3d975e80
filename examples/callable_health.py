"""A health check whose callable receives its dependencies by parameter name.

``queue_depth`` is a service of the application's own, bound by class; the
callable asks for it, and for ``memory_backend``, just by naming them.

    waitress-serve --listen=127.0.0.1:9090 examples.callable_health:application
"""

import skiesish


class QueueDepth:
    """Stands in for a service that can tell how far behind a worker is."""

    def __init__(self, memory_backend):
        self.memory_backend = memory_backend

    def pending(self) -> int:
        return self.memory_backend.count("jobs", {"state": "pending"})


def is_healthy(queue_depth: QueueDepth) -> bool:
    return queue_depth.pending() < 100


application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"callable": is_healthy},
        binding_classes=[QueueDepth],
    )
)
