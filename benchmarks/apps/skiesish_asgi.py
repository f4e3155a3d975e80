"""skiesish's HealthCheck on the memory backend through ``skiesish.contexts.asgi``, for uvicorn."""

import skiesish

application = skiesish.contexts.asgi(
    skiesish.Application(skiesish.handlers.HealthCheck, {"services": ["memory_backend"]})
)
