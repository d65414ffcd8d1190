"""A 10-minute window of the test NWB files in <= 3 round trips and opening in <= 2 (issue "Streaming in a
few round trips"). Round trips are counted twice: by the client's meter and, independently, by the
server, which adds a round trip of latency to every answer and groups the requests by arrival time
(requests sent together arrive within milliseconds, a request that waited for an answer arrives a
round trip later)."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.sources.nwb import open_nwb
from tests.servers.httpd import LocalServer, StaticFiles

pytest_plugins = ["tests.servers.fixtures"]

LATENCY = 0.25


def _waves(arrivals, since: int) -> int:
    times = sorted(t for t, _ in arrivals[since:])
    return sum(1 for i, t in enumerate(times) if i == 0 or t - times[i - 1] > LATENCY * 0.6)


@pytest.fixture
def far_server(nwb_files, monkeypatch, tmp_path):
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "cache"))
    srv = LocalServer([StaticFiles(nwb_files["ecephys"].parent, prefix="/blobs/")], latency_s=LATENCY).start()
    yield srv
    srv.stop()


# seen once to hang past 600 s on a loaded CI machine (a clean-clone run before it passed): bounded and
# retried once while the cause (read pool vs. the 250-ms latency server) is investigated -- see issue #17
@pytest.mark.timeout(180)
@pytest.mark.flaky(reruns=1)
@pytest.mark.parametrize("kind,stream", [("ecephys", "ElectricalSeries"), ("ophys", "dff")])
def test_ten_minute_window_in_three_round_trips(far_server, nwb_files, kind, stream):
    path = nwb_files[kind]
    s = gw.open(f"{far_server.url}/blobs/{path.name}")
    opened = dict(s.stats)
    assert opened["round_trips"] <= 2, opened
    assert _waves(far_server.arrivals, 0) <= 2
    n = len(far_server.arrivals)
    x = s.read(stream, 30.0, 630.0)
    last = s.stats.last_read
    assert last["round_trips"] <= 3, last
    assert _waves(far_server.arrivals, n) <= 3
    assert last["requests"] == len(far_server.arrivals) - n
    ref = open_nwb(str(path)).read(stream, 30.0, 630.0)
    np.testing.assert_array_equal(x.values, ref.values)
    # bytes: within 1.1 x the chunks that hold the window
    import h5py

    with h5py.File(path) as f:
        ds = f[s.streams[stream].path]["data"]
        c0 = ds.chunks[0]
        i0, i1 = int(np.ceil(30.0 * s.streams[stream].fs - 1e-7)), int(np.ceil(630.0 * s.streams[stream].fs - 1e-7))
        need = sum(ds.id.get_chunk_info(k).size for k in range(ds.id.get_num_chunks())
                   if ds.id.get_chunk_info(k).chunk_offset[0] < i1
                   and ds.id.get_chunk_info(k).chunk_offset[0] + c0 > i0)
    # (a chunk may already have come with the metadata read at open)
    assert 0.9 * need <= last["bytes"] <= 1.1 * need, (last["bytes"], need)
    # the same window again: from the cache, no request
    s.read(stream, 30.0, 630.0)
    assert s.stats.last_read["requests"] == 0
    s.close()


def test_open_dandi_in_two_round_trips_after_the_api(dandi_env, nwb_files):
    api, blobs = dandi_env
    s = gw.open("dandi://000001/sub-m1/sub-m1_ses-1_ophys.nwb")
    blob_requests = [p for m, p, h in blobs.request_log if "/blobs/" in p]
    ranges = [h.get("Range") for m, p, h in blobs.request_log if "/blobs/" in p]
    assert s.streams["dff"].n_channels == 30
    # the resolution probe (1 byte) + head and tail in one concurrent round trip + at most one more
    assert len(blob_requests) <= 5, ranges
    s.close()


@pytest.mark.parametrize("rel", ["sub-01/eeg/sub-01_task-rest_eeg.edf", "sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr"])
def test_openneuro_eeg_open_and_window_round_trips(openneuro_env, rel):
    """Listing (root + subject folder at once), then sidecars and header together: 2 waves (plus one per
    continuation page of a long listing); a window: 1."""
    srv = openneuro_env
    srv.latency_s = LATENCY
    try:
        n0 = len(srv.arrivals)
        s = gw.open(f"openneuro://ds000001/{rel}")
        # the fixture bucket pages listings by 7 keys: each continuation page is one more round trip
        pages = sum("continuation-token" in p for _, p in srv.arrivals[n0:])
        assert _waves(srv.arrivals, n0) <= 2 + pages
        n1 = len(srv.arrivals)
        info = s.streams["eeg"]
        x = s.read("eeg", info.start_s + 1.0, min(info.stop_s, info.start_s + 601.0))
        assert x.sizes["time"] > 0
        assert _waves(srv.arrivals, n1) == 1 and s.stats.last_read["round_trips"] == 1
        s.close()
    finally:
        srv.latency_s = 0.0
