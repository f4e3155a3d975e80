"""py-healthcheck on Flask with one trivial check and its default caching (27 s success TTL)."""

from flask import Flask
from healthcheck import HealthCheck

from apps.checks import healthy

health = HealthCheck()
health.add_check(healthy)

application = Flask(__name__)
application.add_url_rule("/healthcheck", "healthcheck", view_func=health.run)
