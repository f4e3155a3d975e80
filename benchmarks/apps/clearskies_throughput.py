"""clearskies v1's HealthCheck building the memory backend (v1 builds it; it has no ping)."""

import clearskies

application = clearskies.contexts.wsgi(
    clearskies.Application(clearskies.handlers.HealthCheck, {"services": ["memory_backend"]})
)
