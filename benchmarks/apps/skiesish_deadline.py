"""skiesish with a check hung for 10 s beside a healthy one, under a 1 s deadline, with details."""

import skiesish
from apps.checks import healthy, sleeping_check

application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {
            "checks": [sleeping_check("hung", 10.0), healthy],
            "timeout": 1,
            "success_ttl": None,
            "failed_ttl": None,
            "details": "always",
        },
    )
)
