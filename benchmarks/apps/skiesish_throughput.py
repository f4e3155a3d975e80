"""skiesish's HealthCheck pinging the in-process memory backend, with its default caching."""

import skiesish

application = skiesish.contexts.wsgi(
    skiesish.Application(skiesish.handlers.HealthCheck, {"services": ["memory_backend"]})
)
