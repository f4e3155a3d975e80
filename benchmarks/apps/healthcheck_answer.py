"""py-healthcheck's passing body for the one ``healthy`` check, made once (standard library only).

The bare Flask and Tornado apps send it as the upper limit of their
framework: the same keys, order and length (give or take a digit of the
floats) as the HealthCheck integrations answer, with no check behind it.
"""

from __future__ import annotations

import json
import socket
import time

__all__ = ["BODY", "CONTENT_TYPE"]

CONTENT_TYPE = "application/json"

_NOW = time.time()
BODY = json.dumps(
    {
        "hostname": socket.gethostname(),
        "status": "success",
        "timestamp": _NOW,
        "results": [
            {
                "checker": "healthy",
                "output": "ok",
                "passed": True,
                "timestamp": _NOW,
                "expires": _NOW + 27,
                "response_time": 0.000145,
            }
        ],
    }
)
