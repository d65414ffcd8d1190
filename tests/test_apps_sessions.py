"""Served sessions: memory released when a page closes, sessions independent, servable scripts for Binder.

A real Bokeh/Panel server runs in a thread on a free loopback port; a real client (Bokeh's websocket
client, ``bokeh.client.pull_session``) opens the page's session as a browser tab would (GET the page,
attach to its Document, send ``document_ready``), closes it, and the server destroys the session
(unused-session check shortened to a fraction of a second).
"""

from __future__ import annotations

import gc
import re
import runpy
import socket
import time
import weakref
from pathlib import Path

import pytest

pn = pytest.importorskip("panel")
pytest.importorskip("bokeh.client")

from glue_widgets.apps import _page  # noqa: E402
from glue_widgets.apps.browser import BrowserModel  # noqa: E402
from glue_widgets.apps.registry import APPS, app_factory  # noqa: E402
from glue_widgets.apps.toy import toy_catalog  # noqa: E402

SCRIPTS = Path(_page.__file__).parent / "scripts"
PROXY_YML = Path(__file__).resolve().parents[1] / "binder" / "jupyter-panel-proxy.yml"
SPEC = {a.slug: a for a in APPS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tracker:
    """Builds Browser pages on a toy catalog and keeps only weak references to what they hold."""

    def __init__(self):
        self.catalog = toy_catalog()
        self.pages, self.models, self.sessions = [], [], []

    def factory(self):
        # no background gw.extract_rest: its worker thread cannot be interrupted and would keep the
        # model alive until it finishes (seconds), which is not what these tests are about
        page = app_factory(SPEC["browser"], catalog=self.catalog, use_rest_analysis=False)()
        model = page.gw_model
        self.pages.append(weakref.ref(page))
        self.models.append(weakref.ref(model))
        self.sessions.append(weakref.ref(model.session))
        return page

    def alive(self, refs) -> int:
        return sum(r() is not None for r in refs)


@pytest.fixture
def server():
    """A threaded server with one route per test (``/browser``) and a fast unused-session check."""
    tracker = Tracker()
    port = _free_port()
    srv = pn.serve({"browser": tracker.factory}, port=port, address="127.0.0.1", show=False, threaded=True,
                   websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"], liveness=True,
                   check_unused_sessions_milliseconds=100, unused_session_lifetime_milliseconds=100)
    import requests
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(url + "/liveness", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.05)
    else:
        srv.stop()
        pytest.fail("threaded server did not come up")
    try:
        yield url, tracker
    finally:
        srv.stop()


def _open(url: str, query: str = ""):
    """GET the page and attach to its server-side Document, as a browser tab does."""
    import panel.models  # noqa: F401  - the client must know Panel's models to decode the page
    import requests
    from bokeh.client import pull_session
    from bokeh.events import DocumentReady
    from bokeh.util.token import get_session_id
    from tornado.ioloop import IOLoop

    r = requests.get(f"{url}/browser{query}", timeout=30)
    r.raise_for_status()
    token = re.search(r'"token":\s*"([^"]+)"', r.text).group(1)
    cs = pull_session(session_id=get_session_id(token), url=f"{url}/browser", io_loop=IOLoop())
    cs.document.callbacks.send_event(DocumentReady())
    cs.force_roundtrip()
    return cs


def _own_thread(test):
    """Run a test body in a thread of its own: bokeh's client runs an event loop, which fails when an
    earlier test (Playwright, a served page) has left a loop running in the main thread."""
    import functools
    from concurrent.futures import ThreadPoolExecutor

    @functools.wraps(test)
    def run(*args, **kwargs):
        with ThreadPoolExecutor(1) as ex:
            return ex.submit(test, *args, **kwargs).result()
    return run


def _collected(predicate, timeout: float = 15.0) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        gc.collect()
        if predicate():
            return True
        time.sleep(0.1)
    return False


@_own_thread
def test_closed_page_releases_its_models_and_session(server):
    url, tr = server
    cs = _open(url)
    assert tr.alive(tr.models) == 1 and tr.alive(tr.sessions) == 1
    model = tr.models[0]()
    assert model.session is not None and model.data is not None  # the page really opened a session
    del model
    cs.close()
    # the server destroys the session (websocket closed, lifetime 0.1 s), the page closes its Session
    # and drops its references: model, page and glue Session are garbage
    assert _collected(lambda: tr.alive(tr.models) == 0), "the page's BrowserModel is still referenced"
    assert tr.alive(tr.sessions) == 0, "the glue Session the page opened is still referenced"
    assert tr.alive(tr.pages) == 0, "the page layout is still referenced"


@_own_thread
def test_open_close_cycles_do_not_grow_live_models(server):
    url, tr = server
    gc.collect()
    before = sum(isinstance(o, BrowserModel) for o in gc.get_objects())  # other tests' models may live on
    for _ in range(4):
        _open(url).close()
    assert len(tr.models) == 4
    assert _collected(lambda: tr.alive(tr.models) == 0), f"{tr.alive(tr.models)} of 4 models still alive"
    assert sum(isinstance(o, BrowserModel) for o in gc.get_objects()) <= before


@_own_thread
def test_two_served_sessions_are_independent(server):
    url, tr = server
    a = _open(url)
    b = _open(url, "?session=toy://lab-b/r1/s1&start=50")
    try:
        ma, mb = tr.models[0](), tr.models[1]()
        assert ma is not mb and ma.session is not mb.session
        assert (ma.uri, mb.uri) == ("toy://lab-a/m1/day0", "toy://lab-b/r1/s1")
        assert mb.start == 50.0 and ma.start != 50.0
        # a change in tab A reaches A's server-side model only
        w = next(m for m in a.document.models if getattr(m, "title", None) == "Window start (s)")
        w.value = 123.0
        a.force_roundtrip()
        t0 = time.monotonic()
        while ma.start != 123.0 and time.monotonic() - t0 < 10:
            a.force_roundtrip()
            time.sleep(0.05)
        assert ma.start == 123.0
        assert mb.start == 50.0 and mb.uri == "toy://lab-b/r1/s1"
        del ma, mb
    finally:
        a.close()
        b.close()


# -- servable scripts for jupyter-panel-proxy (Binder ?urlpath=panel/<slug>) ------------------------

def test_every_dashboard_has_a_script_listed_for_the_proxy():
    yaml = pytest.importorskip("yaml")
    scripts = {p.stem for p in SCRIPTS.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(SPEC)
    # jupyter-panel-proxy loads the file with yaml.BaseLoader (all values strings): mimic it
    cfg = yaml.load(PROXY_YML.read_text(), Loader=yaml.BaseLoader)
    assert cfg["apps"] == [f"glue_widgets/apps/scripts/{a.slug}.py" for a in APPS]
    assert not cfg.get("dev"), "dev must be empty: any string (even 'false') turns --dev on"
    repo = PROXY_YML.parents[1]
    assert all((repo / p).is_file() for p in cfg["apps"])


def test_proxy_launch_command_serves_the_scripts(tmp_path, monkeypatch):
    panel_server = pytest.importorskip("panel_server")
    (tmp_path / "jupyter-panel-proxy.yml").write_text(PROXY_YML.read_text())
    for a in APPS:  # the proxy globs the listed paths from the directory Jupyter starts in
        p = tmp_path / "glue_widgets/apps/scripts" / f"{a.slug}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    monkeypatch.chdir(tmp_path)
    cmd = panel_server._launch_command(5999)
    assert cmd[:2] == ["panel", "serve"]
    assert cmd[2:2 + len(APPS)] == [f"glue_widgets/apps/scripts/{a.slug}.py" for a in APPS]
    assert "--dev" not in cmd and "--warm" in cmd


@pytest.mark.parametrize("slug", [a.slug for a in APPS])
def test_script_builds_its_page_only_when_served(slug, monkeypatch):
    script = SCRIPTS / f"{slug}.py"
    # imported or run as a program: builds nothing
    assert runpy.run_path(str(script), run_name="__main__")["page"] is None
    # run by a server (module "bokeh_app_<id>"): the registry's factory builds a fresh page
    real = _page.serve_script
    calls = []

    def serve_script(s, name, catalog=None):
        calls.append(s)
        return real(s, name, catalog=toy_catalog())

    monkeypatch.setattr(_page, "serve_script", serve_script)
    page = runpy.run_path(str(script), run_name="bokeh_app_test")["page"]
    assert calls == [slug]
    assert isinstance(page, pn.Column) and "gw-page" in page.css_classes
    assert page.gw_model is not None and page.gw_view is not None


def test_serve_script_refuses_unknown_dashboard():
    from glue_widgets.errors import InvalidInputError
    with pytest.raises(InvalidInputError, match="unknown dashboard"):
        _page.serve_script("nope", "bokeh_app_x")


def test_server_timings_without_patching_panel():
    """Interaction timings come from Panel's busy bookkeeping: no Panel method is replaced (issue 15)."""
    import panel as pn
    from panel.reactive import Syncable

    from glue_widgets.apps._common import enable_server_timings, server_timings
    original = Syncable._change_event
    enable_server_timings()
    enable_server_timings()  # idempotent
    assert Syncable._change_event is original and not getattr(Syncable._change_event, "_gw_timed", False)
    server_timings(clear=True)
    w = pn.widgets.FloatInput(value=1.0)
    w._process_events({"value": 2.0})  # what Panel runs for one client-side change
    recs = [r for r in server_timings() if r["kind"] == "interaction"]
    assert w.value == 2.0 and len(recs) == 1 and recs[0]["ms"] >= 0
