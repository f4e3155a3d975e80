"""A health check on ``cursor_backend``.

With no database configured (no ``DATABASE_URL``, no ``db_host``) the
backend cannot be built, so this answers 500: a health check tells the
truth. Set ``DATABASE_URL=sqlite:///app.db`` (or a PostgreSQL/MySQL URL) and
it answers 200.

    waitress-serve --listen=127.0.0.1:9090 examples.cursor_backend_health:application
"""

import skiesish

application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"services": ["cursor_backend"]},
    )
)
