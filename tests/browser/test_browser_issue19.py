"""Browser tests for issue 19 / 20.1: local files, a result on open, the fixed bugs, no script injection.

Screenshots go to test-artifacts/screenshots/ (looked at by a person; see the report).
"""

from __future__ import annotations

import time
from datetime import UTC
from urllib.parse import quote

import numpy as np
import pytest

from glue_widgets.apps.toy import TOY_URIS

XSS = "<img src=x onerror=alert(1)>"


def _write_nwb_with_stream_named(path, name: str) -> None:
    """A small NWB file whose only continuous stream (an LFP-like TimeSeries) is called ``name``."""
    from datetime import datetime

    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    nwb = NWBFile(session_description="xss", identifier="xss-1",
                  session_start_time=datetime(2024, 1, 1, tzinfo=UTC))
    rng = np.random.default_rng(0)
    nwb.add_acquisition(TimeSeries(name=name, data=rng.standard_normal((3000, 3)) * 4e-5, rate=100.0, unit="volts"))
    nwb.add_epoch(0.0, 15.0, ["spontaneous"])
    nwb.add_epoch(15.0, 30.0, ["task"])
    with NWBHDF5IO(str(path), "w") as io_:
        io_.write(nwb)


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    """Browser and Rest pages with a data directory (an NWB written here, unseen by the demo)."""
    from _net import free_port, wait_live
    from support.nwb_testing import write_example_nwb

    from glue_widgets.apps.listing import DefaultListing
    from glue_widgets.apps.serve import serve_all
    root = tmp_path_factory.mktemp("data")
    (root / "lab" / "sub-01").mkdir(parents=True)
    write_example_nwb(root / "lab" / "sub-01" / "session.nwb")
    _write_nwb_with_stream_named(root / "evil.nwb", XSS)
    outside = tmp_path_factory.mktemp("outside")
    write_example_nwb(outside / "private.nwb")
    (root / "link.nwb").symlink_to(outside / "private.nwb")
    port = free_port()
    srv = serve_all(port=port, address="127.0.0.1", data_dirs=[str(root)], apps=["browser", "rest"],
                    threaded=True, warm_results=False)
    url = f"http://127.0.0.1:{port}"
    wait_live(url)
    assert "local" in DefaultListing(data_dirs=[root]).sources()
    yield url
    srv.stop()


def _no_injected_img(page) -> None:
    # (CSS locators pierce Panel's open shadow roots)
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => window.__gw_alerts || 0") == 0


def _arm_alert_trap(page):
    page.add_init_script("window.alert = () => { window.__gw_alerts = (window.__gw_alerts || 0) + 1; };")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def test_local_files_listed_and_opened(page, local_server, shot, wait_plot):
    page.goto(local_server + "/browser?source=local", wait_until="networkidle")
    wait_plot(page)
    opts = page.locator("select").nth(1).locator("option").all_inner_texts()
    assert "local://lab/sub-01/session.nwb" in opts and "local://evil.nwb" in opts
    assert not any("link.nwb" in o or "private" in o for o in opts)  # a link leading out is not offered
    assert page.locator("select").first.locator("option", has_text="Local files").count() == 1
    shot(page, "local-listing")


def test_local_deep_link_shows_the_recording(page, local_server, shot, wait_plot):
    page.goto(local_server + "/browser?session=" + quote("local://lab/sub-01/session.nwb"), wait_until="networkidle")
    wait_plot(page)
    page.get_by_text("Rest window:").first.wait_for()
    shot(page, "local-deeplink")
    assert page.get_by_text("local://lab/sub-01/session.nwb ·").count() >= 1
    assert page.locator(".gw-message").first.is_hidden()


@pytest.mark.parametrize("target", ["local://../outside/private.nwb", "local:///etc/passwd", "local://link.nwb",
                                    "/etc/passwd"])
def test_local_outside_dir_refused(page, local_server, target, wait_plot, shot):
    page.goto(local_server + "/browser?session=" + quote(target), wait_until="networkidle")
    wait_plot(page)
    msg = page.get_by_text("Link parameters refused").first
    msg.wait_for()
    txt = msg.inner_text()
    assert "refused" in txt and ("outside the data directory" in txt or "path traversal" in txt
                                 or "not accepted" in txt), txt
    if target == "local://link.nwb":
        shot(page, "local-refused-link")


def test_rest_page_offers_local_files(page, local_server, shot, wait_plot):
    page.goto(local_server + "/rest", wait_until="networkidle")
    page.locator("select").first.select_option(label="Local files")
    page.get_by_text("local://evil.nwb").first.wait_for()
    page.locator("select").nth(1).select_option("local://lab/sub-01/session.nwb")
    page.get_by_text("Detected").first.wait_for(timeout=120_000)
    page.locator(".gw-plot canvas").first.wait_for(state="attached")
    assert page.get_by_text("no RestCard").count() == 0
    shot(page, "local-rest")


def test_no_script_from_a_deep_link(page, local_server, shot, wait_plot):
    dialogs = _arm_alert_trap(page)
    page.goto(local_server + "/browser?session=" + quote('<img src=x onerror="alert(document.domain)">'),
              wait_until="networkidle")
    wait_plot(page)
    msg = page.get_by_text("Link parameters refused").first
    msg.wait_for()
    assert '<img src=x onerror="alert(document.domain)">' in msg.inner_text()  # shown as text
    page.wait_for_timeout(500)
    _no_injected_img(page)
    assert dialogs == []
    shot(page, "xss-deeplink")


def test_no_script_from_a_stream_name(page, local_server, shot, wait_plot):
    dialogs = _arm_alert_trap(page)
    page.goto(local_server + "/browser?session=" + quote("local://evil.nwb"), wait_until="networkidle")
    wait_plot(page)
    page.get_by_text("Rest window:").first.wait_for()
    assert page.get_by_text("local://evil.nwb · " + XSS).count() == 1  # the name, as text
    page.wait_for_timeout(500)
    _no_injected_img(page)
    assert dialogs == []
    shot(page, "xss-stream-name")


# -- every dashboard shows a result on open (toy server) ---------------------------------------------

@pytest.mark.parametrize("slug", ["baselines", "alignment", "translation", "errormap", "loop"])
def test_result_on_first_open(page, toy_server, shot, slug):
    page.goto(f"{toy_server}/{slug}", wait_until="networkidle")
    page.locator(".gw-result canvas").first.wait_for(state="attached", timeout=240_000)  # no click on Run
    assert page.get_by_text("press Run").count() == 0
    assert page.locator(".gw-message").first.is_hidden()
    shot(page, f"open-{slug}")


# -- Browser: window in sync, limits with a message, no spinner outliving its task -------------------

def test_window_start_follows_session_switch_and_length_is_clamped(page, toy_server, shot, wait_plot):
    page.goto(toy_server + "/browser", wait_until="networkidle")
    wait_plot(page)
    page.get_by_text("Rest window:").first.wait_for()
    page.locator("select").nth(1).select_option(TOY_URIS[2])
    start = page.locator("input").nth(1)
    t0 = time.time()
    while not (page.get_by_text("Rest window:").count() and float(start.input_value() or 0) > 0):
        assert time.time() - t0 < 60, start.input_value()
        page.wait_for_timeout(200)
    # the box shows where the plot is (it stayed at 0 while the plot jumped to the rest window)
    import re
    rest_txt = page.get_by_text(re.compile(r"Rest window: [\d.]+–")).first.inner_text()
    rest_start = float(rest_txt.split("Rest window:")[1].split("–")[0])
    assert float(start.input_value()) == pytest.approx(rest_start, abs=0.11)
    win = page.locator("input").nth(2)
    win.fill("600")
    win.press("Enter")
    page.get_by_text("Window length is limited to 300 s (asked 600 s)").first.wait_for()
    t0 = time.time()
    while float(win.input_value()) != 300.0:
        assert time.time() - t0 < 30, win.input_value()
        page.wait_for_timeout(200)
    shot(page, "browser-window-clamped")


def test_deep_link_spinner_ends_with_the_detection(page, toy_server, shot, wait_plot):
    page.goto(toy_server + "/browser?session=" + quote(TOY_URIS[1]) + "&start=5", wait_until="networkidle")
    wait_plot(page)
    page.get_by_text("detected by").first.wait_for(timeout=180_000)
    t0 = time.time()
    while page.locator(".gw-rest-progress").first.is_visible():
        assert time.time() - t0 < 10, "the spinner outlived the rest detection"
        page.wait_for_timeout(200)
    shot(page, "browser-deeplink-detected")


def test_rest_page_card_is_a_table_not_a_failure(page, toy_server, shot, wait_plot):
    page.goto(f"{toy_server}/rest", wait_until="networkidle")
    assert page.get_by_text("no RestCard").count() == 0  # while detecting, no failure wording
    page.get_by_text("Detected (gw.extract_rest)").first.wait_for(timeout=240_000)
    card = page.locator(".gw-card table").first
    card.wait_for()
    txt = card.inner_text()
    assert "duration_s" in txt and not any(len(tok.split(".")[-1]) > 6 for tok in txt.split() if tok[:1].isdigit())
    shot(page, "rest-card-table")


def test_errormap_axes_and_loop_ticks(page, toy_server, shot):
    page.goto(f"{toy_server}/errormap", wait_until="networkidle")
    page.locator(".gw-result canvas").first.wait_for(state="attached", timeout=240_000)
    page.wait_for_timeout(1500)
    shot(page, "errormap-open")
    page.goto(f"{toy_server}/loop", wait_until="networkidle")
    page.locator(".gw-result canvas").first.wait_for(state="attached", timeout=240_000)
    page.wait_for_timeout(1500)
    assert page.locator(".gw-attribution, .gw-attribution-empty").count() >= 1
    shot(page, "loop-open")
