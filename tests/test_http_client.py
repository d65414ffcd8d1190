"""The HTTP layer against a local range server: verified ranges, resume, retries, timeouts, errors."""

from __future__ import annotations

import numpy as np
import pytest

from glue_widgets.errors import InvalidInputError, NetworkError, NotFoundError
from glue_widgets.sources.http import HttpClient
from glue_widgets.sources.rangefile import RangeFile

pytest_plugins = ["tests.servers.fixtures"]

DATA = np.random.default_rng(0).bytes(600_000)


@pytest.fixture
def blob(static_server):
    (static_server.root / "blob.bin").write_bytes(DATA)
    return static_server, f"{static_server.url}/files/blob.bin"


def _client(**kw):
    kw.setdefault("timeout", (1.0, 0.4))
    kw.setdefault("retries", 3)
    kw.setdefault("backoff", 0.01)
    return HttpClient(**kw)


def test_range_read_and_meter(blob):
    srv, url = blob
    c = _client()
    assert c.read_range(url, 1000, 5000) == DATA[1000:6000]
    assert c.meter["bytes"] == 5000 and c.meter["requests"] == 1
    info = c.probe(url)
    assert info.size == len(DATA) and info.etag


def test_resume_after_drop_mid_body(blob):
    srv, url = blob
    srv.faults.script = ["drop"]
    c = _client()
    assert c.read_range(url, 10, 200_000) == DATA[10:200_010]
    ranges = [h.get("Range") for m, p, h in srv.request_log if p.endswith("blob.bin")]
    assert ranges[0] == "bytes=10-200009"
    start2 = int(ranges[1].split("=")[1].split("-")[0])
    assert 10 < start2 <= 100_010  # the second request asked only for what was missing
    assert c.meter["retries"] == 1


@pytest.mark.parametrize("kind", ["bad_range", "short_length", "truncate", "stall", "slow", "503"])
def test_each_fault_is_retried_then_right(blob, kind):
    srv, url = blob
    srv.faults.script = [kind]
    srv.faults.slow_s = 0.7
    c = _client()
    assert c.read_range(url, 4321, 65536) == DATA[4321:4321 + 65536]
    assert c.meter["retries"] >= 1


@pytest.mark.parametrize("kind", ["bad_range", "short_length", "503", "slow"])
def test_persistent_fault_raises_network_error_never_wrong_data(blob, kind):
    srv, url = blob
    srv.faults.rate, srv.faults.kinds, srv.faults.slow_s = 1.0, (kind,), 0.6
    c = _client(retries=2)
    with pytest.raises(NetworkError) as info:
        c.read_range(url, 0, 30_000)
    assert "3 attempts" in str(info.value) and "blob.bin" in str(info.value)
    assert c.meter["requests"] == 3


def test_burst_of_503(blob):
    srv, url = blob
    srv.faults.burst_503 = 3
    c = _client(retries=3)
    assert c.read_range(url, 0, 100) == DATA[:100]
    assert c.meter["retries"] == 3


def test_errors_are_clear(blob):
    srv, url = blob
    c = _client()
    with pytest.raises(NotFoundError):
        c.read_range(url.replace("blob.bin", "missing.bin"), 0, 10)
    with pytest.raises(InvalidInputError):
        c.read_range(url, len(DATA) + 10, 10)
    with pytest.raises(InvalidInputError):
        HttpClient(timeout=(0, 1))
    with pytest.raises(InvalidInputError):
        HttpClient(retries=-1)
    with pytest.raises(NetworkError):
        _client(retries=0, timeout=(0.3, 0.3)).read_range("http://127.0.0.1:9/x", 0, 10)


def test_secret_headers_not_in_repr():
    c = HttpClient(headers={"Authorization": "token abc123"})
    assert "abc123" not in repr(c) and "authenticated" in repr(c)


def test_rangefile_seek_read_and_coalescing(blob):
    srv, url = blob
    c = _client()
    rf = RangeFile(url, client=c, block_size=4096)
    assert rf.size == len(DATA)
    rf.seek(70_000)
    assert rf.read(10_000) == DATA[70_000:80_000] and rf.tell() == 80_000
    n_req = c.meter["requests"]
    assert rf.read_at(71_000, 5000) == DATA[71_000:76_000]
    assert c.meter["requests"] == n_req  # all blocks were already there
    rf.seek(-100, 2)
    assert rf.read() == DATA[-100:]
    assert rf.read_at(len(DATA) + 5, 10) == b""
    buf = bytearray(300)
    rf.seek(5)
    assert rf.readinto(buf) == 300 and bytes(buf) == DATA[5:305]


def test_download_atomic_with_progress(blob, tmp_path):
    srv, url = blob
    tmp_path = tmp_path / "dl"
    tmp_path.mkdir()
    seen = []
    srv.faults.script = [None, "drop", None]
    n = _client().download(url, tmp_path / "out.bin", progress=lambda d, t: seen.append((d, t)), chunk=200_000)
    assert n == len(DATA) and (tmp_path / "out.bin").read_bytes() == DATA
    assert seen[-1] == (len(DATA), len(DATA))
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]  # no temp leftovers


def test_rangefile_exact_large_reads_and_repeat_from_cache(blob, tmp_path):
    """Large reads move exactly their bytes; any repeat (edges included) costs no network."""
    from glue_widgets.sources.cache import DiskCache

    srv, url = blob
    c = _client()
    rf = RangeFile(url, client=c, block_size=4096, cache=DiskCache(tmp_path / "c"))
    rng = np.random.default_rng(3)
    reads = []
    pos = 1234
    for _ in range(20):  # adjacent "chunks" sharing blocks, like consecutive HDF5 chunks
        n = int(rng.integers(4096, 30_000))
        reads.append((pos, n))
        pos += n
    for o, n in reads:
        before = c.meter["bytes"]
        assert rf.read_at(o, n) == DATA[o:o + n]
        assert c.meter["bytes"] - before == n  # exactly the bytes asked for
    before = c.meter["bytes"]
    for o, n in reads[::-1]:
        assert rf.read_at(o, n) == DATA[o:o + n]
    assert c.meter["bytes"] == before
    # a new RangeFile over the same disk cache: still no network
    rf2 = RangeFile(url, client=c, block_size=4096, cache=DiskCache(tmp_path / "c"), size=rf.size,
                    etag=c.probe(url).etag)
    before = c.meter["bytes"]
    for o, n in reads:
        assert rf2.read_at(o, n) == DATA[o:o + n]
    assert c.meter["bytes"] == before
    # random small and large reads agree with the data
    for _ in range(200):
        o = int(rng.integers(0, len(DATA)))
        n = int(rng.integers(1, 40_000))
        assert rf2.read_at(o, n) == DATA[o:o + n]


def test_dripping_body_hits_the_body_deadline(blob):
    import time

    srv, url = blob
    srv.faults.rate, srv.faults.kinds = 1.0, ("drip",)  # 512 B per 50 ms: 64 KB would take ~6 s
    c = _client(retries=1, timeout=(1.0, 0.2))
    t = time.monotonic()
    with pytest.raises(NetworkError) as info:
        c.read_range(url, 0, 65536)
    assert "too slow" in str(info.value)
    assert time.monotonic() - t < 2 * 2 * 0.2 * 4.1 + 2  # two attempts, each cut at its deadline
