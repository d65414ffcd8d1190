"""What ``make demo`` runs — ``glue-widgets serve`` on the built-in demo corpus — renders in Chromium.

The server is the real CLI in a subprocess (bound to 127.0.0.1), not a test double; the page is the
Browser dashboard on a demo session, and the test checks that the trace plot and the rest window are
drawn, then saves a screenshot.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from _net import free_port, wait_live

# the corpus size the rest of the suite builds (small unless the caller asks otherwise)
SIZE = os.environ.get("GLUE_DEMO_SIZE", "small")


@pytest.fixture(scope="module")
def demo_server():
    import glue_widgets as gw

    gw.demo.build(size=SIZE)
    port = free_port()
    env = dict(os.environ, GLUE_DEMO_SIZE=SIZE)
    proc = subprocess.Popen([sys.executable, "-m", "glue_widgets.cli", "serve", "--port", str(port),
                             "--address", "127.0.0.1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_live(url, timeout=180, proc=proc, poll=0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_index_and_browser_render_on_demo_data(page, demo_server, shot, wait_plot):
    import glue_widgets as gw
    from glue_widgets.apps.registry import APPS

    page.goto(demo_server + "/", wait_until="networkidle")
    for a in APPS:
        assert page.locator(f"#gw-app-{a.slug}").count() == 1, f"index does not list /{a.slug}"
    page.goto(demo_server + "/browser", wait_until="networkidle")
    wait_plot(page)
    # Panel renders into shadow roots; Playwright's text locators pierce them
    first = gw.demo.list()[0]
    page.get_by_text(first).first.wait_for()            # the demo sessions are listed
    page.get_by_text("Rest window:").first.wait_for()   # the chosen session's rest window is reported
    plot = page.locator(".gw-plot").first
    plot.wait_for(state="visible")
    box = plot.bounding_box()
    assert box and box["height"] > 150 and box["width"] > 300, f"trace plot too small or absent: {box}"
    assert page.locator("canvas").count() >= 1
    shot(page, "make-demo-browser")
    assert not page.external, f"page tried to reach the internet: {page.external[:3]}"
