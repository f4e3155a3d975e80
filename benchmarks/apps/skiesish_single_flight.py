"""skiesish with one counted 200 ms check cached for 1 s: a burst after expiry should run it once."""

import skiesish
from apps.checks import counted_check

application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"checks": [counted_check(0.2)], "success_ttl": 1, "failed_ttl": 1},
    )
)
