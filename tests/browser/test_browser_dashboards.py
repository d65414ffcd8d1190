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


def _run_and_wait(page, timeout_s: float = 240.0):
    page.locator(".gw-run button, button.gw-run, .gw-run").first.click()
    t0 = time.time()
    while True:
        if page.get_by_text("Settings:").count():
            return
        if page.get_by_text("failed").count() or time.time() - t0 > timeout_s:
            raise AssertionError("the run did not finish with a result")
        page.wait_for_timeout(500)


@pytest.mark.parametrize("slug", ["alignment", "errormap", "baselines", "translation", "loop"])
def test_analysis_dashboards_load_and_run(page, toy_server, shot, wait_plot, slug):
    page.goto(f"{toy_server}/{slug}", wait_until="networkidle")
    page.get_by_text("glue_widgets ·").first.wait_for()
    shot(page, f"{slug}-initial")
    if slug == "baselines":
        page.locator("select").nth(1).select_option(TOY_URIS[0])
    _run_and_wait(page)
    page.locator(".gw-result canvas").first.wait_for(state="attached")
    shot(page, f"{slug}-result")
    assert page.external == []


def _server_rest_models():
    """The RestModels of the pages this in-process server built (``pn.state._views``: test-only peek)."""
    import panel as pn

    from glue_widgets.apps.rest import RestModel
    return [v[0].gw_model for v in list(pn.state._views.values())
            if isinstance(getattr(v[0], "gw_model", None), RestModel)]


def _wait_text(locator, old: str, timeout_s: float = 60.0) -> str:
    t0 = time.time()
    while (txt := locator.inner_text()) == old:
        assert time.time() - t0 < timeout_s, f"the page never changed from {old!r}"
        locator.page.wait_for_timeout(200)
    return txt


def test_rest_move_window(page, toy_server, shot, wait_plot):
    import re
    page.goto(f"{toy_server}/rest", wait_until="networkidle")
    wait_plot(page)
    page.get_by_text("Detected (gw.extract_rest)").first.wait_for(timeout=240_000)
    head = page.get_by_text(re.compile("of the 10-min target")).first  # drawn server-side from model.window
    handles = page.locator(".gw-window .noUi-handle")
    lo, hi = handles.nth(0), handles.nth(1)
    # the slider shows the detected window (it used to stay at its initial 0–1 s)
    page.wait_for_function("el => parseFloat(el.getAttribute('aria-valuenow')) > 1", arg=lo.element_handle())
    a0, b0 = float(lo.get_attribute("aria-valuenow")), float(hi.get_attribute("aria-valuenow"))
    assert f"your window {a0:.1f}–{b0:.1f} s" in head.inner_text()
    before_txt, before_png = head.inner_text(), _plot_png(page)
    # 1) drag the left handle to the right with the mouse (down, stepped moves, up)
    box = lo.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, y, steps=10)
    page.mouse.up()
    txt = _wait_text(head, before_txt)
    a1 = float(lo.get_attribute("aria-valuenow"))
    assert a1 > a0 + 20, (a0, a1)
    assert f"your window {a1:.1f}–{b0:.1f} s" in txt
    # the server-side model holds the dragged window (not just the browser's slider)
    models = _server_rest_models()
    assert any(m.window[0] == pytest.approx(a1, abs=0.51) and m.window[1] == pytest.approx(b0, abs=0.51)
               for m in models), [m.window for m in models]
    page.wait_for_timeout(800)
    assert _plot_png(page) != before_png  # the dashed window rectangle moved
    shot(page, "rest-dragged")
    # 2) keyboard: the right handle, ten steps of 1 s to the left (noUiSlider keyboard support)
    hi.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    t0 = time.time()
    while f"{b0 - 10:.1f} s =" not in head.inner_text():
        assert time.time() - t0 < 60, head.inner_text()
        page.wait_for_timeout(200)
    # the browser's slider ends where the keys put it (a late server echo used to snap it back a few steps)
    page.wait_for_function("([el, v]) => Math.abs(parseFloat(el.getAttribute('aria-valuenow')) - v) < 1e-6",
                           arg=[hi.element_handle(), b0 - 10], timeout=10_000)
    page.wait_for_timeout(1000)
    assert float(hi.get_attribute("aria-valuenow")) == pytest.approx(b0 - 10)
    assert any(m.window[1] == pytest.approx(b0 - 10) for m in _server_rest_models())
    shot(page, "rest-moved")
    assert page.external == []


@pytest.fixture(scope="module")
def translation_server():
    """Translation alone, on the toy sessions plus a toy session with simultaneous ECoG and EEG."""
    import socket
    import urllib.request

    from glue_widgets.apps.listing import MappingListing
    from glue_widgets.apps.serve import serve_all
    from glue_widgets.apps.toy import toy_session
    from glue_widgets.apps.translation import toy_ecog_eeg_session
    cat = MappingListing({"toy": {**{u: (lambda u=u: toy_session(u)) for u in TOY_URIS},
                                  "toy://ecog-eeg/sub-01": toy_ecog_eeg_session}})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = serve_all(port=port, address="127.0.0.1", catalog=cat, apps=["translation"], threaded=True)
    url = f"http://127.0.0.1:{port}"
    t0 = time.time()
    while True:
        try:
            with urllib.request.urlopen(url + "/liveness", timeout=5):
                break
        except OSError:
            assert time.time() - t0 < 60, "translation server never came up"
            time.sleep(0.2)
    yield url
    srv.stop()


# Seen once in a full clean-clone run: the click reached the server but the run never reported in
# 240 s (it passes alone and in the previous full run). Rerun once while the cause is looked for.
@pytest.mark.flaky(reruns=1)
def test_translation_calcium_then_ecog_eeg(page, translation_server, shot):
    page.goto(f"{translation_server}/translation", wait_until="networkidle")
    page.get_by_text("glue_widgets ·").first.wait_for()
    # calcium → spikes on a toy calcium session: ΔF/F and inferred spikes drawn
    _run_and_wait(page)
    page.locator(".gw-calcium canvas").first.wait_for(state="attached")
    assert page.locator(".gw-calcium canvas").count() >= 1
    shot(page, "translation-calcium")
    # switch to ECoG → EEG: the session list re-selects the ECoG session; run; both predictions drawn
    page.locator(".gw-mode").get_by_text("ECoG → EEG", exact=True).click()
    # the mode's default result is computed without a click on Run (a result on open, per mode)
    page.locator(".gw-eeg canvas").first.wait_for(state="attached", timeout=240_000)
    import re
    scores = page.get_by_text(re.compile("held-out window: .*R² =")).first.inner_text()
    for method in ("learned (EcogToEeg, ridge)", "physics (positions only)"):
        assert f"{method}: R² =" in scores
    assert page.locator(".gw-calcium canvas").count() == 0  # the calcium result is gone
    shot(page, "translation-ecog-eeg")
    assert page.external == []
