"""skiesish's py-healthcheck API on Flask: ``apps.pyhealthcheck_throughput`` with skiesish's import."""

from flask import Flask

from apps.checks import healthy
from skiesish.integrations.flask import HealthCheck

health = HealthCheck()
health.add_check(healthy)

application = Flask(__name__)
application.add_url_rule("/healthcheck", "healthcheck", view_func=health.run)
