"""py-healthcheck with one counted 200 ms check cached for 1 s (its cache has no single-flight)."""

from flask import Flask
from healthcheck import HealthCheck

from apps.checks import counted_check

health = HealthCheck(success_ttl=1, failed_ttl=1)
health.add_check(counted_check(0.2))

application = Flask(__name__)
application.add_url_rule("/healthcheck", "healthcheck", view_func=health.run)
