"""A small status page for people: one row per check, coloured, refreshing itself.

Self-contained (no external assets, no JavaScript): a browser asking for
``text/html`` gets it when details may be shown, and a page with the overall
status alone when they may not. When the handler keeps a history, each row
also shows the check's timeline (:mod:`skiesish.formats.history`).
"""

from __future__ import annotations

import datetime
import html

from ..health import Report
from ..health.report import FAIL, PASS, UNKNOWN, WARN
from .base import View
from .history import TIMELINE_STYLE, Timelines

__all__ = ["HTML_CONTENT_TYPE", "REFRESH_SECONDS", "render_html"]

HTML_CONTENT_TYPE = "text/html; charset=utf-8"
#: How often the page reloads itself.
REFRESH_SECONDS = 5

#: Status -> (text colour, background colour): green, amber, red; grey while unknown.
COLOURS = {
    PASS: ("#0f5132", "#d1e7dd"),
    WARN: ("#664d03", "#fff3cd"),
    FAIL: ("#842029", "#f8d7da"),
    UNKNOWN: ("#41464b", "#e2e3e5"),
}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #212529; }
h1 { font-size: 1.4rem; }
.status { display: inline-block; padding: 0.15rem 0.6rem; border-radius: 0.3rem; font-weight: 600; }
table { border-collapse: collapse; margin-top: 1rem; min-width: 40rem; }
th, td { text-align: left; padding: 0.4rem 0.8rem; border-bottom: 1px solid #dee2e6; vertical-align: top; }
td.output { font-family: ui-monospace, monospace; white-space: pre-wrap; max-width: 40rem; }
footer { margin-top: 1rem; color: #6c757d; font-size: 0.85rem; }
""" + "".join(
    f".status-{status} {{ color: {text}; background: {background}; }}\n"
    for status, (text, background) in COLOURS.items()
)


def _badge(status: str) -> str:
    return f'<span class="status status-{html.escape(status)}">{html.escape(status)}</span>'


def _since(moment: datetime.datetime | None, now: datetime.datetime) -> str:
    if moment is None:
        return ""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        ago = f"{seconds} s ago"
    elif seconds < 7200:
        ago = f"{seconds // 60} min ago"
    else:
        ago = f"{seconds // 3600} h ago"
    return f'<time datetime="{moment.isoformat()}">{ago}</time>'


def _span(seconds: float) -> str:
    """The timeline heading for a window of ``seconds``: ``last 45 s``, ``last 12 min``, ``last 5 h``."""
    if seconds < 120:
        return f"last {seconds:.0f} s"
    if seconds < 7200:
        return f"last {seconds // 60:.0f} min"
    return f"last {seconds // 3600:.0f} h"


def render_html(report: Report, view: View, timelines: Timelines | None = None) -> tuple[str, bytes]:
    """The page: overall status, and with details a row per check (and its timeline, if given)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = ""
    if view.details:
        window = timelines.window(now) if timelines is not None else (0.0, 0.0)
        rows = "".join(
            f'<tr class="check check-{html.escape(result.status)}" data-check="{html.escape(result.name)}">'
            f"<td>{html.escape(result.name)}</td>"
            f"<td>{_badge(result.status)}</td>"
            f'<td class="output">{html.escape(result.output)}</td>'
            f"<td>{result.response_time * 1000:.1f} ms</td>"
            f"<td>{_since(result.status_since, now)}</td>"
            + (
                ""
                if timelines is None
                else f'<td class="history">{timelines.svg(result.name, window, result)}</td>'
            )
            + "</tr>"
            for result in report.results
        )
        history_heading = (
            "" if timelines is None else f"<th>history ({_span(now.timestamp() - window[0])})</th>"
        )
        rows = (
            "<table><thead><tr><th>check</th><th>status</th><th>output</th>"
            f"<th>response time</th><th>status since</th>{history_heading}</tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>health: {html.escape(report.status)}</title>"
        f"<style>{_STYLE}{TIMELINE_STYLE if timelines is not None else ''}</style></head><body>"
        f'<h1>Health <span id="overall">{_badge(report.status)}</span></h1>'
        f"{rows}<footer>Updated {now.strftime('%Y-%m-%d %H:%M:%S')} UTC; "
        f"this page reloads every {REFRESH_SECONDS} s.</footer></body></html>"
    )
    return HTML_CONTENT_TYPE, page.encode("utf-8")
