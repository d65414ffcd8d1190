"""Browser tests: load the dashboards in headless Chromium, interact, check the plots change."""

from __future__ import annotations

import time

import pytest

from glue_widgets.apps.toy import TOY_URIS


def _plot_png(page) -> bytes:
    return page.locator(".gw-plot").first.screenshot()


def _wait_url(page, needle: str, timeout: float = 30.0) -> None:
    t0 = time.time()
    while needle not in page.url:
        if time.time() - t0 > timeout:
            raise AssertionError(f"{needle!r} never appeared in the address bar: {page.url}")
        page.wait_for_timeout(200)


def test_index_lists_every_dashboard(page, toy_server, shot, wait_plot):
    from glue_widgets.apps.registry import APPS
    page.goto(toy_server + "/", wait_until="networkidle")
    for a in APPS:
        assert page.locator(f"#gw-app-{a.slug}").count() == 1
    shot(page, "index")
    assert page.external == []


def test_browser_choose_session_and_move_window(page, toy_server, shot, wait_plot):
    page.goto(toy_server + "/browser", wait_until="networkidle")
    wait_plot(page)
    page.get_by_text("Rest window:").first.wait_for()
    shot(page, "browser-initial")
    before = _plot_png(page)
    # choose another session in the list
    page.locator("select").nth(1).select_option(TOY_URIS[2])
    _wait_url(page, "lab-b")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    after_session = _plot_png(page)
    assert after_session != before
    # move the window: type a new start
    start = page.locator("input").nth(1)
    start.fill("400")
    start.press("Enter")
    _wait_url(page, "start=400")
    page.wait_for_timeout(1500)
    after_window = _plot_png(page)
    assert after_window != after_session
    shot(page, "browser-moved")
    assert page.external == [], f"page tried to load off-host resources: {page.external}"


def test_spike_stream_raster(page, toy_server, shot, wait_plot):
    page.goto(toy_server + f"/browser?session={TOY_URIS[0]}&stream=units&start=100&window=20",
              wait_until="networkidle")
    wait_plot(page)
    page.wait_for_timeout(1000)
    assert page.locator("select").nth(2).input_value() == "units"
    shot(page, "browser-raster")


@pytest.mark.parametrize("query", ["session=/etc/passwd", "session=https://evil.example/x.nwb",
                                   "session=toy://lab-a/../../etc/passwd", "start=nan&window=-3"])
def test_deeplink_refused_visibly(page, toy_server, query, shot, wait_plot):
    page.goto(toy_server + "/browser?" + query, wait_until="networkidle")
    wait_plot(page)
    assert page.get_by_text("refused").count() >= 1
    page.get_by_text("Link parameters refused").first.wait_for()
