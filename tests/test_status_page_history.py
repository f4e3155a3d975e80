"""The status page's per-check timelines: in the markup, escaped, and rendered in real headless Chromium."""

from __future__ import annotations

import datetime
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest
from webtest.http import StopableWSGIServer

import skiesish
from skiesish import Check
from skiesish.contexts import WSGIContext
from skiesish.formats.history import MAX_POINTS, Timelines
from skiesish.handlers import HealthCheck
from skiesish.health import CheckResult, CheckRun
from skiesish.health.history import CheckHistory, History, StatusChange

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HOSTILE = '<img src=x onerror="document.title=1"> & "quotes"'


class Switch:
    """A check that passes while ``is_up`` is true."""

    def __init__(self) -> None:
        self.is_up = True

    def __call__(self) -> tuple[bool, str]:
        return self.is_up, "accepting connections" if self.is_up else "connection refused"


def history_app(database: Switch, details: str = "always", history: Any = True, **more: Any) -> WSGIContext:
    """A WSGI HealthCheck with the ``database`` switch and an always-passing ``cache``, keeping history."""
    config = {
        **more,
        "checks": [Check(database, name="database"), Check(lambda: True, name="cache")],
        "details": details,
        "history": history,
        "success_ttl": None,
        "failed_ttl": None,
    }
    return skiesish.contexts.wsgi(skiesish.Application(HealthCheck, config))


def feed(history: History, name: str, runs: list[tuple[float, bool, str]], previous: bool | None) -> None:
    """Tell ``history`` of runs of ``name`` at ``(seconds ago, passed, output)``, as the engine would."""
    now = datetime.datetime.now(datetime.timezone.utc)
    last = None if previous is None else CheckResult(name, previous, "", 0.0, now)
    for ago, passed, output in runs:
        moment = now - datetime.timedelta(seconds=ago)
        result = CheckResult(name, passed, output, 0.002 + ago / 100_000, moment)
        history.on_run(CheckRun(result, last))
        last = result


def browse(app: WSGIContext, **headers: str) -> str:
    """The page a browser gets (whatever the health's status code)."""
    return (
        webtest.TestApp(app, lint=True)
        .get("/", headers={"Accept": BROWSER_ACCEPT, **headers}, status="*")
        .text
    )


def timelines(page: str) -> dict[str, str]:
    """Check name -> the markup of its timeline."""
    return dict(re.findall(r'<svg class="timeline" data-check="([^"]*)"(.*?)</svg>', page))


def test_each_row_has_a_timeline_with_a_segment_per_status_change() -> None:
    """With history, every check's row holds an SVG timeline; its segments follow the changes."""
    database = Switch()
    app = history_app(database)
    for is_up in (False, True, False):
        database.is_up = is_up
        browse(app)
    assert app.handler.engine.wait_notified(10)
    page = browse(app)
    svgs = re.findall(r'<svg class="timeline" data-check="([^"]*)"', page)
    assert svgs == ["database", "cache"]
    database_timeline = page[page.index('data-check="database" viewBox') : page.index("</svg>")]
    segments = re.findall(r'data-status="([a-z]+)"', database_timeline)
    assert segments[-3:] == ["fail", "pass", "fail"]
    assert "<th>history (last " in page
    assert "<script" not in page


def test_timeline_text_is_escaped() -> None:
    """An output holding markup appears in a tooltip as text, never as an element or attribute."""
    app = history_app(Switch())
    feed(app.handler.history, "database", [(120, False, HOSTILE), (60, True, "ok")], previous=None)
    page = browse(app)
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;document.title=1&quot;&gt; &amp; &quot;quotes&quot;" in page


def test_the_sparkline_has_a_bounded_number_of_points() -> None:
    """5,000 samples over an hour draw at most MAX_POINTS points."""
    app = history_app(Switch(), history={"max_results": 5_000})
    runs = [(3_600 - index * 0.72, True, "") for index in range(5_000)]
    feed(app.handler.history, "database", runs, previous=None)
    polyline = re.search(r'<polyline class="latency" points="([^"]*)"', browse(app))
    assert polyline is not None
    assert 2 <= len(polyline.group(1).split()) <= MAX_POINTS


def test_no_timeline_without_history_or_without_details() -> None:
    """No history key, or details withheld: the page has no timeline at all."""
    assert "<svg" not in browse(history_app(Switch(), history=None))
    assert "<svg" not in browse(history_app(Switch(), details="never"))
    authorized = history_app(Switch(), details="authorized", details_token="page-token-5")
    assert "<svg" not in browse(authorized)
    assert timelines(browse(authorized, Authorization="Bearer page-token-5"))


def test_the_timeline_ends_in_the_status_the_row_shows() -> None:
    """A change the history has not heard of yet is drawn from the row's result; a known one is not."""
    now = datetime.datetime.now(datetime.timezone.utc)
    earlier = now - datetime.timedelta(minutes=2)
    kept = Timelines({"db": CheckHistory("db", (StatusChange(earlier, "fail", False, "refused"),))}, 3_600)
    window = kept.window(now)
    passing = CheckResult("db", True, "", 0.001, now, status_since=now)
    failing = CheckResult("db", False, "refused", 0.001, now, status_since=earlier)
    assert re.findall(r'data-status="(\w+)"', kept.svg("db", window, passing)) == ["fail", "pass"]
    assert re.findall(r'data-status="(\w+)"', kept.svg("db", window, failing)) == ["fail"]


def test_an_unknown_status_read_from_a_file_is_drawn_grey() -> None:
    """A status the page has no colour for (a file written by something else) is drawn as unknown, escaped."""
    now = datetime.datetime.now(datetime.timezone.utc)
    odd = StatusChange(now - datetime.timedelta(minutes=1), '"><b>odd', False, "")
    svg = Timelines({"db": CheckHistory("db", (odd,))}, 3_600).svg(
        "db", (now.timestamp() - 60, now.timestamp())
    )
    assert 'class="segment segment-unknown" data-status="&quot;&gt;&lt;b&gt;odd"' in svg
    assert "<b>" not in svg


# -- in Chromium -----------------------------------------------------------------------------


@pytest.fixture
def served_history() -> Iterator[str]:
    """A page with ten minutes of history (down, up, down, then up when the browser asks), on waitress."""
    app = history_app(Switch())
    runs = [(600, False, HOSTILE), (360, True, "accepting connections"), (120, False, "connection refused")]
    runs += [(600 - index * 30, 120 < 600 - index * 30 <= 360, "") for index in range(1, 20)]
    runs.sort(key=lambda run: -run[0])
    feed(app.handler.history, "database", runs, previous=None)
    server = StopableWSGIServer.create(app, threads=2)
    yield server.application_url
    server.shutdown()
    app.close()


def test_the_timelines_render_in_chromium(chromium: Any, served_history: str, tmp_path: Path) -> None:
    """In Chromium each row shows a visible timeline; segments are red and green, tooltips plain text."""
    from selenium.webdriver.common.by import By

    chromium.set_window_size(1400, 600)  # room for the timeline column beside the outputs
    chromium.get(served_history)
    rows = chromium.find_elements(By.CSS_SELECTOR, "tr.check")
    assert [row.get_attribute("data-check") for row in rows] == ["database", "cache"]
    database = rows[0].find_element(By.CSS_SELECTOR, "svg.timeline")
    assert database.size["width"] > 100
    assert database.size["height"] > 10
    segments = database.find_elements(By.CSS_SELECTOR, "rect.segment")
    fills = [segment.value_of_css_property("fill") for segment in segments]
    statuses = [segment.get_attribute("data-status") for segment in segments]
    assert statuses == ["fail", "pass", "fail", "pass"]
    assert fills == ["rgb(220, 53, 69)", "rgb(25, 135, 84)", "rgb(220, 53, 69)", "rgb(25, 135, 84)"]
    assert segments[0].size["width"] > segments[3].size["width"]  # ten minutes ago, and a moment
    tooltip = segments[0].find_element(By.TAG_NAME, "title").get_attribute("textContent")
    assert tooltip.endswith(HOSTILE)
    assert chromium.find_elements(By.CSS_SELECTOR, "img") == []
    assert not chromium.title.endswith("1")
    assert database.find_elements(By.CSS_SELECTOR, "polyline.latency")
    cache = rows[1].find_element(By.CSS_SELECTOR, "svg.timeline")
    cache_statuses = [
        rect.get_attribute("data-status") for rect in cache.find_elements(By.CSS_SELECTOR, "rect")
    ]
    assert cache_statuses == ["unknown", "pass"]  # nothing kept before its first run, a moment ago
    screenshot = tmp_path / "status-page-history.png"
    chromium.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 1000
    if os.environ.get("SKIESISH_HISTORY_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["SKIESISH_HISTORY_SCREENSHOT"])
