"""A health check on ``cursor_backend`` backed by PostgreSQL.

Reads ``DATABASE_URL``; defaults to the local test database. Needs the
``postgres`` extra: ``pip install 'skiesish[postgres]'``.

    DATABASE_URL=postgresql://app:secret@db:5432/app \
        waitress-serve --listen=127.0.0.1:9090 examples.postgres_health:application
"""

import os

import skiesish
from skiesish.backends import ConnectionDetails

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"services": ["cursor_backend"]},
        bindings={"connection_details": ConnectionDetails.from_url(DATABASE_URL)},
    )
)
