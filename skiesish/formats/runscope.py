"""The JSON of Runscope's healthcheck and py-healthcheck."""

from __future__ import annotations

import socket
import time

from ..health import Report
from ..responses import JSON_CONTENT_TYPE, json_body
from .base import View

__all__ = ["render_runscope"]


def render_runscope(report: Report, view: View) -> tuple[str, bytes]:
    """``hostname``, ``status``, ``timestamp`` and ``results``, sections merged.

    Timestamps are Unix times, as those libraries give them. Without details
    only ``status`` and ``timestamp`` are shown.
    """
    body: dict[str, object] = {
        "status": "success" if report.passed else "failure",
        "timestamp": time.time(),
    }
    if view.details:
        body = {"hostname": socket.gethostname(), **body}
        body["results"] = [
            {
                "checker": result.name,
                "output": result.output,
                "passed": result.passed,
                "timestamp": result.timestamp.timestamp(),
                "expires": result.expires.timestamp(),
                "response_time": round(result.response_time, 6),
            }
            for result in report.results
        ]
        body.update(view.sections)
    return JSON_CONTENT_TYPE, json_body(body)
