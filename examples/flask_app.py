"""A Flask application with py-healthcheck's and flask-healthz's endpoints, run on skiesish's engine.

    pip install 'skiesish[flask]'
    flask --app examples.flask_app run       # or: waitress-serve examples.flask_app:app

- ``/healthcheck``: py-healthcheck's JSON for the checks below (``?check=database``
  runs one alone): 200 when all pass, 500 otherwise. Results are reused for 27 s
  (9 s after a failure) and each check has 2 s before it is reported failed.
- ``/healthz/live`` and ``/healthz/ready``: flask-healthz's probes, in
  ``application/problem+json``. Readiness fails with 503 while
  ``app.config["IN_SERVICE"]`` is false.

The database is SQLite at ``EXAMPLE_DATABASE`` (a file in the temporary folder
by default); point it somewhere unwritable to watch ``/healthcheck`` fail.
"""

import os
import pathlib
import sqlite3
import sys
import tempfile

import flask

from skiesish.integrations.flask import HealthCheck, HealthError, Healthz

DATABASE = os.environ.get("EXAMPLE_DATABASE", str(pathlib.Path(tempfile.gettempdir()) / "flask-example.db"))

app = flask.Flask(__name__)
app.config["IN_SERVICE"] = True

health = HealthCheck(app, "/healthcheck", error_timeout=2, application="flask-example")


@health.add_check
def database():
    """The database opens and answers a query."""
    with sqlite3.connect(DATABASE, timeout=1) as connection:
        connection.execute("SELECT 1").fetchone()
    connection.close()
    return True, "sqlite answers"


@health.add_check
def python_version():
    """The interpreter is one this application supports."""
    return sys.version_info >= (3, 10), f"Python {sys.version.split()[0]}"


def ready():
    """Ready unless switched out of service (say, while draining before a deploy)."""
    if not app.config["IN_SERVICE"]:
        raise HealthError("switched out of service")


app.config["HEALTHZ"] = {"live": lambda: None, "ready": ready}
Healthz(app)


@app.route("/")
def index():
    """The application itself."""
    return {"hello": "world"}
