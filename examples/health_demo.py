"""The demo: ``cursor_backend`` on an embedded SQLite file, healthy out of the box.

``DATABASE_URL`` is honoured when set; otherwise the demo keeps its data in
``skiesish-demo.sqlite3`` in the system's temporary folder.

    waitress-serve --listen=127.0.0.1:9090 examples.health_demo:application
    curl -i http://127.0.0.1:9090/
"""

import os
import pathlib
import tempfile

import skiesish
from skiesish.backends import ConnectionDetails, Database

DEMO_DATABASE = pathlib.Path(tempfile.gettempdir()) / "skiesish-demo.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DEMO_DATABASE}")


def create_schema(database: Database) -> None:
    """Create the demo's one table, so that the health check can read it."""
    with database.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS probes (id INTEGER PRIMARY KEY, note TEXT)")


def table_is_readable(cursor_backend) -> bool:
    """Healthy when the application's own table answers a real query."""
    return cursor_backend.count("probes") >= 0


application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"services": ["cursor_backend"], "callable": table_is_readable},
        bindings={"connection_details": ConnectionDetails.from_url(DATABASE_URL)},
    )
)
if DATABASE_URL.startswith("sqlite:"):
    create_schema(application.di.build("database"))
