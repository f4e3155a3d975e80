"""flask-healthz's answers: RFC 7807 problem details (application/problem+json)."""

from __future__ import annotations

import http

from ..health import Report
from ..responses import json_body
from .base import View

__all__ = ["PROBLEM_JSON", "render_problem_json"]

PROBLEM_JSON = "application/problem+json"


def render_problem_json(report: Report, view: View) -> tuple[str, bytes]:
    """``{"status": 200, "title": "OK"}``; a failure adds ``detail`` when details may be shown."""
    try:
        title = http.HTTPStatus(view.status_code).phrase
    except ValueError:
        title = "Unknown"
    body: dict[str, object] = {"status": view.status_code, "title": title}
    if view.details and not report.passed:
        body["detail"] = "; ".join(f"{result.name}: {result.output}" for result in report.failures)
    return PROBLEM_JSON, json_body(body)
