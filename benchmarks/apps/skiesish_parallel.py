"""skiesish with five 100 ms checks and caching off: run concurrently, one answer takes ~100 ms."""

import skiesish
from apps.checks import sleeping_check

CHECKS = [sleeping_check(f"sleep_{number}", 0.1) for number in range(1, 6)]

application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck, {"checks": CHECKS, "success_ttl": None, "failed_ttl": None}
    )
)
