"""Liveness, readiness and startup endpoints for Kubernetes, on one engine and one cache.

    skiesish serve examples.kubernetes_probes:application --listen 0.0.0.0:9090 --drain 10

- ``/livez`` runs no dependency check: the process answering is the proof.
- ``/readyz`` checks the database (SQLite by default, ``DATABASE_URL`` if set)
  and fails during the ``--drain`` seconds after SIGTERM.
- ``/startupz`` passes once the schema exists, and then never runs again.

See examples/kubernetes/deployment.yaml and docs/kubernetes.md.
"""

import os
import pathlib
import tempfile

import skiesish
from skiesish.backends import ConnectionDetails

DATABASE_URL = os.environ.get(
    "DATABASE_URL", f"sqlite:///{pathlib.Path(tempfile.gettempdir()) / 'skiesish-probes.sqlite3'}"
)


def schema_exists(database) -> bool:
    """Startup is over once the application's table exists (migrations have run)."""
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS probes (id INTEGER PRIMARY KEY, note TEXT)")
    return True


application = skiesish.contexts.wsgi(
    skiesish.probes(
        ready=[skiesish.checks.sql()],
        startup=[schema_exists],
        timeout=2,
    ),
    bindings={"connection_details": ConnectionDetails.from_url(DATABASE_URL)},
)
