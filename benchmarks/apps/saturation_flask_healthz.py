"""flask-healthz's liveness at /healthz/live beside a ``/slow`` route, like ``saturation_skiesish``."""

import time

from flask import Flask
from flask_healthz import Healthz

SLOW_SECONDS = 5.0


def live() -> None:
    """Pass: flask-healthz fails a check only when it raises HealthError."""


application = Flask(__name__)
application.config["HEALTHZ"] = {"live": live}
Healthz(application)


@application.route("/slow")
@application.route("/slow/<float:seconds>")
def slow(seconds: float = SLOW_SECONDS) -> str:
    """Sleep ``seconds`` (from the path, 5 without), then answer."""
    time.sleep(seconds)
    return f"slept {seconds:g} s\n"
