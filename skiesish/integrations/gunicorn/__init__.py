"""Probes for gunicorn, answered by its master process, with its workers' heartbeat.

In ``gunicorn.conf.py``, after any server hooks of your own::

    from skiesish.integrations.gunicorn import probe_listener

    probe_listener("0.0.0.0:8081", stall_after=30).install(globals())

The master serves ``/livez``, ``/readyz`` and ``/startupz`` on that port
and on threads of its own, so probes never queue behind requests; the
port is bound once, by the master (each worker closes its inherited copy
right after the fork). Every worker reports its progress through shared
memory, and the master joins it to liveness and readiness as the check
``worker_pool`` (:class:`GunicornWatch`): it fails when every worker is
busy and none started or finished a request for ``stall_after`` seconds.

- ``/startupz`` (built-in probes) passes once a worker has booted.
- SIGTERM fails readiness at once while liveness keeps passing; with
  ``drain`` the master keeps serving that long first, then stops as
  gunicorn does. A second signal stops at once. SIGINT and SIGQUIT fail
  readiness and stop at once, as gunicorn's quick shutdown.
- A probe address that cannot be listened on stops gunicorn before any
  worker boots: gunicorn logs ``Reason: <one sentence>`` and exits with 2.
- Capacity: a sync worker answers one request at a time, a gthread worker
  ``threads``. Other worker classes (gevent, eventlet, tornado, asgi)
  count ``worker_connections`` each, so the heartbeat fails only for a
  worker that is full and stuck: an event loop blocked with fewer requests
  in flight goes unseen (gunicorn logs a warning saying so).
- A reload (SIGHUP) keeps the probe listener running as started: changed
  arguments take effect at the next start. A USR2 upgrade needs the probe
  port too: the new master cannot bind it while the old one runs, so it
  exits with 2 and the old master keeps serving.

Install the extra: ``pip install 'skiesish[gunicorn]'``.
"""

from .hooks import GunicornProbeListener, probe_listener
from .watch import DEFAULT_SLOTS, GunicornWatch

__all__ = ["DEFAULT_SLOTS", "GunicornProbeListener", "GunicornWatch", "probe_listener"]
