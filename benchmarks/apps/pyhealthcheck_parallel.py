"""py-healthcheck with five 100 ms checks and caching off (a TTL of None is stored as 0 s)."""

from flask import Flask
from healthcheck import HealthCheck

from apps.checks import sleeping_check

health = HealthCheck(success_ttl=None, failed_ttl=None)
for number in range(1, 6):
    health.add_check(sleeping_check(f"sleep_{number}", 0.1))

application = Flask(__name__)
application.add_url_rule("/healthcheck", "healthcheck", view_func=health.run)
