"""DANDI goes through the ``dandi`` package's DandiAPIClient, and fails fast when the archive is away."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import glue_widgets as gw
from glue_widgets.errors import NetworkError
from glue_widgets.sources import dandi as gw_dandi

pytest_plugins = ["tests.servers.fixtures"]


def test_the_dandi_client_does_the_api_calls(dandi_env, monkeypatch):
    from dandi.dandiapi import DandiAPIClient

    made = []
    orig = DandiAPIClient.get_dandiset

    def spy(self, *a, **kw):
        made.append(a)
        return orig(self, *a, **kw)

    monkeypatch.setattr(DandiAPIClient, "get_dandiset", spy)
    api, blobs = dandi_env
    res = gw.dandi.resolve("dandi://000001@draft/sub-m1/sub-m1_ses-1_ophys.nwb")
    assert made and made[0][0] == "000001" and res["version"] == "draft"
    paths = [p for _, p, _ in api.request_log]
    assert any("/versions/draft/assets/" in p and "path=" in p for p in paths)  # get_asset_by_path


@pytest.fixture
def silent_server():
    """Accepts connections and never answers (a far-away server that hangs)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    conns, stop = [], threading.Event()

    def loop():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/api"
    stop.set()
    t.join(2)
    for c in conns:
        c.close()
    srv.close()


@pytest.mark.parametrize("where", ["refused", "silent"])
def test_offline_fails_in_seconds(where, silent_server, monkeypatch, tmp_path):
    if where == "refused":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/api"
        s.close()
    else:
        url = silent_server
    monkeypatch.setenv("GLUE_DANDI_API_URL", url)
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "cache"))
    gw_dandi._REACHABLE.pop(url, None)
    t = time.monotonic()
    with pytest.raises(NetworkError):
        gw.open("dandi://000001/sub-m1/x.nwb", timeout=(2, 2))
    with pytest.raises(NetworkError):
        gw.dandi.search("mouse", timeout=(2, 2))
    assert time.monotonic() - t < 20  # two calls; the dandi client alone retries ~53 s
