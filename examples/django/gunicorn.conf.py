"""gunicorn's configuration: ``gunicorn -c gunicorn.conf.py mysite.wsgi``.

The master answers /livez, /readyz and /startupz on port 8081, on threads of its own,
with the SKIESISH checks and the workers' heartbeat (docs/probe-listener.md).
``MYSITE_BIND`` and ``MYSITE_PROBES`` change the two addresses.
"""

import os

from skiesish.integrations.gunicorn import probe_listener

bind = os.environ.get("MYSITE_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
probe_listener(
    os.environ.get("MYSITE_PROBES", "0.0.0.0:8081"), probes="mysite.probes:application", stall_after=30
).install(globals())
