"""The IETF draft "Health Check Response Format for HTTP APIs" (application/health+json).

Follows draft-inadarei-api-health-check-06: a top-level ``status`` of
``pass``, ``warn`` or ``fail`` and a ``checks`` object whose keys are
``"{componentName}:{measurementName}"`` and whose values are lists of
measurements with ``status``, ``time``, ``output``, ``observedValue`` and
``observedUnit``.
"""

from __future__ import annotations

from ..health import Report
from ..health.report import UNKNOWN
from ..responses import json_body
from .base import View

__all__ = ["HEALTH_JSON", "render_health_json"]

HEALTH_JSON = "application/health+json"


def render_health_json(report: Report, view: View) -> tuple[str, bytes]:
    """The draft's body; per-check measurements and sections only with details."""
    body: dict[str, object] = {"status": "fail" if report.status == UNKNOWN else report.status}
    if view.details:
        body.update(view.sections)
        checks: dict[str, list[dict[str, object]]] = {}
        for result in report.results:
            measurement: dict[str, object] = {
                "componentId": result.name,
                "status": result.status,
                "time": result.timestamp.isoformat(),
                "observedValue": round(result.response_time * 1000, 3),
                "observedUnit": "ms",
            }
            if result.output:
                measurement["output"] = result.output
            checks[f"{result.name}:responseTime"] = [measurement]
        body["checks"] = checks
    return f"{HEALTH_JSON}; charset=utf-8", json_body(body)
