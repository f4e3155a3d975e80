"""A health check on ``memory_backend``: always healthy, since memory is always there.

waitress-serve --listen=127.0.0.1:9090 examples.memory_backend_health:application
"""

import skiesish

application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"services": ["memory_backend"]},
    )
)
