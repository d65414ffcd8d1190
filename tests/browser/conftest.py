"""Fixtures for the Playwright browser tests: Debian chromium, a served set of dashboards, no network.

Chromium is launched headless from /usr/bin/chromium (``playwright install`` cannot download a
browser here); each launch gets a fresh, empty profile. Every request that is not to the loopback
server is aborted and recorded, so a page that needs a CDN fails visibly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _net import free_port, wait_live

CHROMIUM = os.environ.get("GLUE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install -y chromium` enables the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        # launch() gives every run a new, empty temporary profile (user-data-dir)
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def serve(catalog=None, apps=None, **kw):
    """Serve dashboards in a thread on a free loopback port; returns (server thread, base url)."""
    from glue_widgets.apps.serve import serve_all
    port = free_port()
    srv = serve_all(port=port, address="127.0.0.1", catalog=catalog, apps=apps, threaded=True, **kw)
    url = f"http://127.0.0.1:{port}"
    wait_live(url)
    return srv, url


@pytest.fixture(scope="session")
def toy_server():
    from glue_widgets.apps.toy import toy_catalog
    srv, url = serve(toy_catalog())
    yield url
    srv.stop()


@pytest.fixture
def page(browser):
    """A page in a fresh context; off-host requests are blocked and listed in ``page.external``."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = ctx.new_page()
    pg.set_default_timeout(90_000)  # 2 shared cores: be patient, the benchmark measures speed
    pg.external = []
    pg.errors = []

    def route(r):
        u = r.request.url
        if u.startswith(("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "ws://localhost",
                         "data:", "blob:")):
            r.continue_()
        else:
            pg.external.append(u)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    ctx.close()


def _shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(p), full_page=True)
    return p


def _wait_plot(page, timeout: float = 60_000):
    """Wait until the websocket is open, bokeh rendered and a plot canvas is visible."""
    page.wait_for_selector("canvas", timeout=timeout, state="attached")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def shot():
    """``shot(page, name)`` saves a full-page screenshot under test-artifacts/screenshots/."""
    return _shot


@pytest.fixture
def wait_plot():
    return _wait_plot
