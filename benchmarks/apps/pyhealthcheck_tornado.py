"""py-healthcheck's own TornadoHandler (``healthcheck.TornadoHandler``) with one passing check."""

import tornado.web
from healthcheck import HealthCheck, TornadoHandler

from apps.checks import healthy

health = HealthCheck()
health.add_check(healthy)

application = tornado.web.Application([("/healthcheck", TornadoHandler, {"checker": health})])
