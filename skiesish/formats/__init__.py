"""Turning a health report into a response body, in the formats probes and people use.

Each format is a function ``render(report, view) -> (content_type, body)``.
Without details a format shows the overall status and nothing a stranger
could learn from (no outputs, no host names, no sections).
"""

from __future__ import annotations

from collections.abc import Callable

from .base import View
from .envelope import render_envelope
from .health_json import HEALTH_JSON, render_health_json
from .html import render_html
from .problem_json import render_problem_json
from .prometheus import render_prometheus
from .runscope import render_runscope
from .text import render_text

__all__ = [
    "ALWAYS_OK_FORMATS",
    "FORMATS",
    "HEALTH_JSON",
    "TIMELESS_FORMATS",
    "Renderer",
    "View",
]

Renderer = Callable[..., tuple[str, bytes]]

#: Format name -> renderer.
FORMATS: dict[str, Renderer] = {
    "envelope": render_envelope,
    "health+json": render_health_json,
    "text": render_text,
    "runscope": render_runscope,
    "problem+json": render_problem_json,
    "prometheus": render_prometheus,
    "html": render_html,
}

#: Formats whose body depends on the report alone; ``runscope`` shows the time of the request and
#: ``html`` how long ago each check ran, so their answers are never sent twice.
TIMELESS_FORMATS = frozenset({"envelope", "health+json", "text", "problem+json", "prometheus"})

#: Formats answered 200 whatever the health: a scraper must record the values, not a failed scrape.
ALWAYS_OK_FORMATS = frozenset({"prometheus"})
