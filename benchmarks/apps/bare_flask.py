"""The Flask upper limit: one route returning the HealthCheck integrations' body and headers, made once."""

from flask import Flask

from apps.healthcheck_answer import BODY, CONTENT_TYPE

HEADERS = {"Content-Type": CONTENT_TYPE}

application = Flask(__name__)


@application.route("/healthcheck")
def healthcheck() -> tuple[str, int, dict[str, str]]:
    """What ``HealthCheck.run`` returns, without running anything."""
    return BODY, 200, HEADERS
