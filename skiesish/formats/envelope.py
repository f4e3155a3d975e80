"""skiesish's own format: the standard envelope."""

from __future__ import annotations

from typing import Any

from ..health import Report
from ..responses import JSON_CONTENT_TYPE, envelope, json_body
from .base import View

__all__ = ["check_details", "render_envelope"]


def check_details(report: Report) -> dict[str, dict[str, Any]]:
    """Per-check details: status, passed, output, response time, timestamp, cached."""
    return {
        result.name: {
            "status": result.status,
            "passed": result.passed,
            "output": result.output,
            "response_time": round(result.response_time, 6),
            "timestamp": result.timestamp.isoformat(),
            "cached": result.cached,
        }
        for result in report.results
    }


def render_envelope(report: Report, view: View) -> tuple[str, bytes]:
    """``{"status": "success"|"failure", "error": "", "data": ..., ...}``.

    Without details, ``data`` is ``{}`` on success and ``[]`` on failure, as
    clearskies answers; with details it holds ``checks`` and the sections.
    """
    status = "success" if report.passed else "failure"
    if not view.details:
        return JSON_CONTENT_TYPE, json_body(envelope(status, {} if report.passed else []))
    data = {"checks": check_details(report), **view.sections}
    return JSON_CONTENT_TYPE, json_body(envelope(status, data))
