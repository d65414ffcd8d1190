"""The HTTP layer cannot return wrong bytes, honours Retry-After, keeps one deadline per call, never
mixes two versions of a file, and no exit path crashes (issue "Security and reliability", items 2 and 4)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from glue_widgets.errors import GlueError, InvalidInputError, NetworkError
from glue_widgets.sources.http import HttpClient, RemoteChangedError
from glue_widgets.sources.rangefile import RangeFile
from tests.servers.httpd import LocalServer, StaticFiles

pytest_plugins = ["tests.servers.fixtures"]

DATA = np.random.default_rng(5).bytes(3_000_000)
# compressible bytes (like most signal data): a gzip answer is then shorter than the range, which is
# what made the old client keep it and resume after it
ZDATA = np.round(np.sin(np.arange(3_000_000) / 50.0) * 20).astype(np.int8).tobytes()


@pytest.fixture
def blob(static_server):
    (static_server.root / "blob.bin").write_bytes(DATA)
    return static_server, f"{static_server.url}/files/blob.bin"


def _client(**kw):
    kw.setdefault("timeout", (1.0, 0.5))
    kw.setdefault("retries", 1)
    kw.setdefault("backoff", 0.01)
    return HttpClient(**kw)


@pytest.mark.parametrize("kind", ["gzip", "ignore_range", "long_length", "extra", "short_length", "bad_range"])
def test_rejected_body_is_never_spliced(blob, kind):
    """A gzip answer first, then a correct one: the result is the file's bytes, not the gzip header
    followed by the rest (the audit found 49 653 of 64 000 bytes wrong)."""
    srv, url = blob
    (srv.root / "z.bin").write_bytes(ZDATA)
    url = url.replace("blob.bin", "z.bin")
    srv.faults.script = [kind, None]
    c = _client(retries=1)
    got = c.read_range(url, 2_000_000, 64_000)
    assert got == ZDATA[2_000_000:2_064_000]
    assert c.meter["retries"] == (0 if kind == "extra" else 1)  # junk after an exact body is never read
    sent = [h for m, p, h in srv.request_log if p.endswith("z.bin")]
    assert all(h.get("Accept-Encoding") == "identity" for h in sent)


def test_persistent_gzip_raises_never_returns_compressed_bytes(blob):
    srv, url = blob
    srv.faults.rate, srv.faults.kinds = 1.0, ("gzip",)
    with pytest.raises(NetworkError, match="Content-Encoding"):
        _client(retries=2).read_range(url, 0, 50_000)


def test_retry_after_is_honoured(blob):
    srv, url = blob
    srv.faults.script = ["429"]
    srv.faults.retry_after = "1"
    c = _client(retries=2)
    t = time.monotonic()
    assert c.read_range(url, 10, 1000) == DATA[10:1010]
    assert time.monotonic() - t >= 1.0  # the audit saw 4 requests in 0.8 s
    assert c.meter["requests"] == 2


def test_retry_after_beyond_the_cap_fails_at_once(blob):
    srv, url = blob
    srv.faults.rate, srv.faults.kinds, srv.faults.retry_after = 1.0, ("429",), "3600"
    c = _client(retries=3, max_retry_after=5)
    t = time.monotonic()
    with pytest.raises(NetworkError, match="retry after 3600"):
        c.read_range(url, 0, 100)
    assert time.monotonic() - t < 2 and c.meter["requests"] == 1


def test_dripping_headers_hit_the_total_deadline(blob):
    """Headers dripped every 0.2 s never trip a 0.5-s read timeout; the call's deadline still holds
    (the audit saw 40 s with timeout=(1, 0.5), retries=0)."""
    srv, url = blob
    srv.faults.rate, srv.faults.kinds = 1.0, ("drip_headers",)
    c = HttpClient(timeout=(1, 0.5), retries=0)
    t = time.monotonic()
    with pytest.raises(NetworkError, match="too slow"):
        c.read_range(url, 2_000_000, 64_000)
    assert time.monotonic() - t <= c.deadline_for(64_000) + 0.5


def test_get_json_on_a_dripped_body_hits_the_deadline():
    def drip_json(h, path, q):
        if path != "/api/info/":
            return False
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.1)
        return True

    srv = LocalServer([drip_json]).start()
    try:
        c = HttpClient(timeout=(1, 0.5), retries=0)
        t = time.monotonic()
        with pytest.raises(NetworkError):
            c.get_json(f"{srv.url}/api/info/")
        assert time.monotonic() - t <= c.deadline_for(0) + 0.5  # the audit saw 43 s
    finally:
        srv.stop()


@pytest.mark.parametrize("validators", [("last_modified",), ("etag",)])
def test_a_file_replaced_on_the_server_is_not_mixed(tmp_path, validators):
    """A window cached from the old file and a fresh window of the new one never meet in one session."""
    root = tmp_path / "www"
    root.mkdir()
    f = root / "f.bin"
    f.write_bytes(DATA)
    srv = LocalServer([StaticFiles(root)], validators=validators).start()
    try:
        from glue_widgets.sources.cache import DiskCache

        cache = DiskCache(tmp_path / "cache")
        url = f"{srv.url}/files/f.bin"
        rf = RangeFile(url, client=_client(), cache=cache)
        assert rf.read_at(0, 100_000) == DATA[:100_000]
        new = bytes(255 - b for b in DATA)  # same size: only a validator can tell
        f.write_bytes(new)
        os.utime(f, (time.time() + 5, time.time() + 5))
        assert rf.read_at(0, 100_000) == DATA[:100_000]  # cached, same version
        with pytest.raises(RemoteChangedError, match="changed on the server"):
            rf.read_at(1_000_000, 100_000)
        rf2 = RangeFile(url, client=_client(), cache=cache)  # a new session reads the new version
        assert rf2.read_at(0, 100_000) == new[:100_000]
        assert rf2.read_at(1_000_000, 100_000) == new[1_000_000:1_100_000]
    finally:
        srv.stop()


@pytest.mark.parametrize("bad", ["http://[::1", "http://[::1]:99999/x", "http://exa mple.org/\x00"])
def test_malformed_urls_are_glue_errors(bad):
    import glue_widgets as gw

    with pytest.raises(GlueError):
        HttpClient(timeout=1, retries=0).get(bad)
    with pytest.raises(GlueError):
        gw.open(bad, timeout=1, retries=0)


@pytest.mark.parametrize("kw", [{"timeout": float("nan")}, {"backoff": -1}, {"deadline": 0},
                                {"retries": True}, {"max_retry_after": float("inf")}])
def test_client_options_are_validated(kw):
    with pytest.raises(InvalidInputError):
        HttpClient(**kw)


def test_no_crash_at_exit_after_a_failed_remote_read(nwb_files, tmp_path):
    """A read fails with NetworkError and the script ends without s.close(): exit code 0, not 139."""
    script = textwrap.dedent(f"""
        import sys, warnings
        sys.path.insert(0, {os.getcwd()!r})
        warnings.simplefilter("ignore")
        import glue_widgets as gw
        from glue_widgets.errors import NetworkError
        from tests.servers.httpd import Faults, LocalServer, StaticFiles
        srv = LocalServer([StaticFiles({str(nwb_files['ecephys'].parent)!r}, prefix="/b/")]).start()
        s = gw.open(srv.url + "/b/{nwb_files['ecephys'].name}", timeout=(1, 0.3), retries=0)
        srv.faults = Faults(rate=1.0, kinds=("503",))
        try:
            s.read("ElectricalSeries", 100, 110)
        except NetworkError as exc:
            print("failed as expected")
        srv.stop()
    """)
    env = dict(os.environ, GLUE_CACHE_DIR=str(tmp_path / "cache"), MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert "failed as expected" in r.stdout, r.stderr[-2000:]
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
