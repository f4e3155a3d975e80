"""Showing what a :class:`~skiesish.health.history.History` kept: JSON for ``?history``, SVG for the page.

The timeline is one inline SVG per check, self-contained like the rest of
the status page: a strip of coloured segments, one per status the check
held (grey where nothing is known), and under it a sparkline of the runs'
latency. Every text in it (outputs in tooltips, names) is escaped; the
number of points is bounded whatever the history holds.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
from collections.abc import Mapping
from typing import Any

from ..health.history import CheckHistory, StatusChange
from ..health.report import FAIL, PASS, UNKNOWN, WARN, CheckResult

__all__ = ["TIMELINE_STYLE", "Timelines", "history_data"]

#: The SVG's coordinate box: the strip is on top, the sparkline below it.
WIDTH, HEIGHT = 300.0, 30.0
STRIP_HEIGHT = 12.0
SPARK_TOP, SPARK_BOTTOM = 16.0, 29.0
#: The sparkline has at most this many points (the slowest run of each slice of time).
MAX_POINTS = 150
#: The shortest window a timeline spans, so that a first run is not a strip of one point.
MIN_WINDOW = 60.0
#: The narrowest segment drawn (of WIDTH), so that a status held a moment still shows.
MIN_SEGMENT = 2.0
#: The longest output quoted in a segment's tooltip.
MAX_TOOLTIP = 200
#: Status -> segment colour: the badges' greens, ambers and reds, a shade darker.
SEGMENT_COLOURS = {PASS: "#198754", WARN: "#ffc107", FAIL: "#dc3545", UNKNOWN: "#adb5bd"}

TIMELINE_STYLE = (
    "svg.timeline { display: block; width: 18rem; height: 1.8rem; }\n"
    "polyline.latency { fill: none; stroke: #0d6efd; stroke-width: 1.5; "
    "vector-effect: non-scaling-stroke; }\n"
    + "".join(f"rect.segment-{status} {{ fill: {colour}; }}\n" for status, colour in SEGMENT_COLOURS.items())
)


def history_data(histories: Mapping[str, CheckHistory]) -> dict[str, Any]:
    """Per check, its status changes and latency samples, JSON-ready, oldest first."""
    return {
        name: {
            "changes": [
                {
                    "timestamp": change.timestamp.isoformat(),
                    "status": change.status,
                    "passed": change.passed,
                    "output": change.output,
                }
                for change in history.changes
            ],
            "latency": [
                {
                    "timestamp": sample.timestamp.isoformat(),
                    "response_time": round(sample.response_time, 6),
                    "passed": sample.passed,
                }
                for sample in history.samples
            ],
        }
        for name, history in histories.items()
    }


@dataclasses.dataclass(frozen=True)
class Timelines:
    """The histories of the checks on a page, drawn on one time axis.

    Attributes:
        histories: check name -> what is kept of it.
        max_age: the retention window (seconds): the axis never reaches further back.
    """

    histories: Mapping[str, CheckHistory]
    max_age: float

    def window(self, now: datetime.datetime) -> tuple[float, float]:
        """The axis, as epoch seconds: from the oldest thing kept (within ``max_age``) to ``now``."""
        end = now.timestamp()
        moments = [
            entry.timestamp.timestamp()
            for history in self.histories.values()
            for entries in (history.changes, history.samples)
            for entry in entries[:1]
        ]
        start = max(end - self.max_age, min(moments, default=end))
        return min(start, end - MIN_WINDOW), end

    def svg(self, name: str, window: tuple[float, float], current: CheckResult | None = None) -> str:
        """The timeline of the check ``name`` (an empty one if nothing is kept of it).

        ``current`` is the result the page shows: a status change the history
        has not been told of yet (listeners hear of runs a moment later) is
        drawn from it, so that the timeline ends in the status the row shows.
        """
        history = _ending_in(self.histories.get(name, CheckHistory(name)), current)
        start, end = window
        span = end - start
        since = _iso(start)
        label = f"{name}: {len(history.changes)} status changes and {len(history.samples)} runs since {since}"
        return (
            f'<svg class="timeline" data-check="{html.escape(name)}" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
            f'preserveAspectRatio="none" role="img" aria-label="{html.escape(label)}">'
            f"{_segments(history, start, end, span)}{_sparkline(history, start, span)}</svg>"
        )


def _ending_in(history: CheckHistory, current: CheckResult | None) -> CheckHistory:
    """``history``, with ``current``'s status appended when it is newer than the last change kept."""
    if current is None:
        return history
    last = history.changes[-1] if history.changes else None
    since = current.status_since or current.timestamp
    if last is not None and (last.status == current.status or last.timestamp >= since):
        return history
    change = StatusChange(since, current.status, current.passed, current.output)
    return dataclasses.replace(history, changes=(*history.changes, change))


def _segments(history: CheckHistory, start: float, end: float, span: float) -> str:
    """One rect per status held within the window; grey before the first change kept."""
    spans: list[tuple[float, float, str, str]] = []
    changes = history.changes
    first = changes[0].timestamp.timestamp() if changes else end
    if first > start:
        spans.append((start, first, UNKNOWN, "nothing kept from before"))
    for index, change in enumerate(changes):
        began = change.timestamp.timestamp()
        ended = changes[index + 1].timestamp.timestamp() if index + 1 < len(changes) else end
        if ended > start:
            spans.append((max(began, start), min(ended, end), change.status, change.output))
    parts = []
    for began, ended, status, output in spans:
        width = max((ended - began) / span * WIDTH, MIN_SEGMENT)
        x = min((began - start) / span * WIDTH, WIDTH - width)  # a change just now still shows
        shown = status if status in SEGMENT_COLOURS else UNKNOWN
        text = f"{status} from {_iso(began)} to {_iso(ended)}"
        if output:
            text += f" - {output[:MAX_TOOLTIP]}"
        parts.append(
            f'<rect class="segment segment-{shown}" data-status="{html.escape(status)}" '
            f'x="{x:.2f}" y="0" width="{width:.2f}" height="{STRIP_HEIGHT:g}">'
            f"<title>{html.escape(text)}</title></rect>"
        )
    return "".join(parts)


def _sparkline(history: CheckHistory, start: float, span: float) -> str:
    """A polyline of the slowest run in each of at most :data:`MAX_POINTS` slices of the window."""
    slowest: dict[int, float] = {}
    for sample in history.samples:
        moment = sample.timestamp.timestamp()
        if moment < start:
            continue
        slot = min(MAX_POINTS - 1, int((moment - start) / span * MAX_POINTS))
        slowest[slot] = max(slowest.get(slot, 0.0), sample.response_time)
    if len(slowest) < 2:
        return ""
    top = max(slowest.values()) or 1.0
    points = " ".join(
        f"{(slot + 0.5) / MAX_POINTS * WIDTH:.1f},"
        f"{SPARK_BOTTOM - seconds / top * (SPARK_BOTTOM - SPARK_TOP):.1f}"
        for slot, seconds in sorted(slowest.items())
    )
    latest = history.samples[-1].response_time
    caption = f"response time, slowest {top * 1000:.1f} ms, latest {latest * 1000:.1f} ms"
    return f'<polyline class="latency" points="{points}"><title>{html.escape(caption)}</title></polyline>'


def _iso(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
