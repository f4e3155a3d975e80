"""flask-healthz with a trivial live check, at /healthz/live (it has no caching)."""

from flask import Flask
from flask_healthz import Healthz


def live() -> None:
    """Pass: flask-healthz fails a check only when it raises HealthError."""


application = Flask(__name__)
application.config["HEALTHZ"] = {"live": live}
Healthz(application)
