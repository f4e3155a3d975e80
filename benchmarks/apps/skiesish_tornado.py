"""skiesish's TornadoHandler running skiesish's py-healthcheck ``HealthCheck`` with one passing check."""

import tornado.web

from apps.checks import healthy
from skiesish.integrations.healthcheck import HealthCheck
from skiesish.integrations.tornado import TornadoHandler

health = HealthCheck()
health.add_check(healthy)

application = tornado.web.Application([("/healthcheck", TornadoHandler, {"checker": health})])
