"""py-healthcheck with a check hung for 10 s beside a healthy one and ``error_timeout=1``.

``error_timeout`` arms ``signal.alarm``, which Python allows only in the main
thread; under waitress every request runs in a worker thread.
"""

from flask import Flask
from healthcheck import HealthCheck

from apps.checks import healthy, sleeping_check

health = HealthCheck(success_ttl=None, failed_ttl=None, error_timeout=1)
health.add_check(sleeping_check("hung", 10.0))
health.add_check(healthy)

application = Flask(__name__)
application.add_url_rule("/healthcheck", "healthcheck", view_func=health.run)
