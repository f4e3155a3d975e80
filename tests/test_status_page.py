"""The HTML status page: served to browsers, and looked at in real headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import webtest
from webtest.http import StopableWSGIServer

import skiesish
from skiesish import Check, HealthError
from skiesish.handlers import HealthCheck

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def disk_full():
    """A failing check with a message."""
    raise HealthError("only 2% free on /var")


def status_app(details="always"):
    """A HealthCheck with a passing, a warning and a failing check."""
    config = {
        "checks": [
            Check(lambda: True, name="database"),
            Check(lambda: (False, "cache cold"), name="cache", critical=False),
            Check(disk_full, name="disk"),
        ],
        "details": details,
        **({"details_token": "s3cret"} if details == "authorized" else {}),
    }
    return skiesish.contexts.wsgi(skiesish.Application(HealthCheck, config))


def test_a_browser_gets_the_status_page():
    """Accept: text/html gets a self-contained page with a row per check and the health's status code."""
    response = webtest.TestApp(status_app(), lint=True).get(
        "/", headers={"Accept": BROWSER_ACCEPT}, status=500
    )
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert page.count('<tr class="check ') == 3
    assert 'data-check="disk"' in page
    assert "only 2% free on /var" in page
    assert '<meta http-equiv="refresh"' in page
    assert "<script" not in page
    assert "http://" not in page  # no external assets
    assert "https://" not in page


def test_without_details_a_browser_gets_the_status_only():
    """Without details the page shows the overall status and no check, name or output."""
    page = (
        webtest.TestApp(status_app("never"), lint=True)
        .get("/", headers={"Accept": BROWSER_ACCEPT}, status=500)
        .text
    )
    assert 'id="overall"' in page
    assert "<tr" not in page
    assert "disk" not in page


def test_authorized_details_need_the_token():
    """With details 'authorized' the rows appear only for the bearer of the token."""
    app = webtest.TestApp(status_app("authorized"), lint=True)
    anonymous = app.get("/", headers={"Accept": BROWSER_ACCEPT}, status=500).text
    bearer = app.get(
        "/", headers={"Accept": BROWSER_ACCEPT, "Authorization": "Bearer s3cret"}, status=500
    ).text
    assert "<tr class" not in anonymous
    assert bearer.count('<tr class="check ') == 3


def test_output_is_escaped():
    """A check's output cannot inject markup into the page."""
    app = skiesish.contexts.wsgi(
        skiesish.Application(
            HealthCheck,
            {
                "checks": [Check(lambda: (False, "<script>alert(1)</script>"), name="evil")],
                "details": "always",
            },
        )
    )
    page = webtest.TestApp(app, lint=True).get("/", headers={"Accept": "text/html"}, status=500).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_probes_without_text_html_keep_their_format():
    """curl and Kubernetes (no text/html in Accept) still get the envelope."""
    response = webtest.TestApp(status_app(), lint=True).get("/", headers={"Accept": "*/*"}, status=500)
    assert response.json["status"] == "failure"


@pytest.fixture
def served_page():
    """The status page served by a real waitress server."""
    server = StopableWSGIServer.create(status_app(), threads=2)
    yield server.application_url
    server.shutdown()


def test_the_page_renders_in_chromium(chromium, served_page, tmp_path: Path):
    """In real Chromium the rows render with green, amber and red statuses; a screenshot is saved."""
    from selenium.webdriver.common.by import By

    chromium.get(served_page)
    rows = chromium.find_elements(By.CSS_SELECTOR, "tr.check")
    names = [row.get_attribute("data-check") for row in rows]
    colours = {
        row.get_attribute("data-check"): row.find_element(By.CSS_SELECTOR, ".status").value_of_css_property(
            "background-color"
        )
        for row in rows
    }
    screenshot = tmp_path / "status-page.png"
    chromium.save_screenshot(str(screenshot))
    assert names == ["database", "cache", "disk"]
    assert colours == {
        "database": "rgba(209, 231, 221, 1)",  # green
        "cache": "rgba(255, 243, 205, 1)",  # amber
        "disk": "rgba(248, 215, 218, 1)",  # red
    }
    assert chromium.find_element(By.ID, "overall").text == "fail"
    assert screenshot.stat().st_size > 1000
    if os.environ.get("SKIESISH_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["SKIESISH_SCREENSHOT"])
