"""The on-disk cache: checksums, atomic writes, LRU eviction under a cap, processes sharing it, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from glue_widgets.sources.cache import DiskCache, cache_key, get_default_cache

pytest_plugins = ["tests.servers.fixtures"]
REPO = Path(__file__).resolve().parents[1]


def test_put_get_and_checksum(tmp_path):
    c = DiskCache(tmp_path / "c", max_bytes=1 << 20)
    k = cache_key("block", "url", 3)
    c.put(k, b"hello world")
    assert c.get(k) == b"hello world"
    # flip one payload byte on disk: the entry is detected, dropped, reported as a miss
    p = c._path(k)
    raw = bytearray(p.read_bytes())
    raw[-1] ^= 0xFF
    p.write_bytes(bytes(raw))
    assert c.get(k) is None and not p.exists()
    # a truncated entry (shorter than its digest) is a miss too
    c.put(k, b"x" * 100)
    p.write_bytes(p.read_bytes()[:10])
    assert c.get(k) is None
    assert c.get_json(cache_key("nothing")) is None
    c.put_json("j" * 64, {"a": 1})
    assert c.get_json("j" * 64) == {"a": 1}


def test_lru_eviction_under_cap(tmp_path):
    c = DiskCache(tmp_path / "c", max_bytes=10_000)
    keys = [cache_key(i) for i in range(8)]
    for i, k in enumerate(keys):
        c.put(k, bytes([i]) * 1000)
        os.utime(c._path(k), (1000 + i, 1000 + i))  # deterministic LRU clock
    c.get(keys[0])  # touch the oldest: it becomes the newest
    for i in range(8, 14):
        c.put(cache_key(i), bytes([i]) * 1000)
    assert c.size() <= 10_000
    assert c.get(keys[0]) is not None  # recently used survives
    assert c.get(keys[1]) is None  # least recently used went first
    c.put(cache_key("huge"), b"z" * 20_000)  # larger than the cap: not stored
    assert c.get(cache_key("huge")) is None


def test_env_dir_and_cap(tmp_path, monkeypatch):
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "envcache"))
    monkeypatch.setenv("GLUE_CACHE_MAX_BYTES", "12345")
    c = get_default_cache()
    assert c.directory == tmp_path / "envcache" / "http" and c.max_bytes == 12345


_WRITER = """
import sys
from glue_widgets.sources.cache import DiskCache, cache_key
c = DiskCache(sys.argv[1], max_bytes=60_000)
for i in range(150):
    k = cache_key(i % 50)
    c.put(k, bytes([i % 50]) * (500 + (i % 50) * 10))
    d = c.get(k)
    assert d is None or d == bytes([i % 50]) * (500 + (i % 50) * 10), "wrong bytes"
print("ok")
"""


def test_two_processes_share_a_cache(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / "c")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    c = DiskCache(tmp_path / "c", max_bytes=60_000)
    assert c.verify() == [] and c.size() <= 60_000


_READER = """
import sys, glue_widgets as gw
s = gw.open(sys.argv[1], timeout=(2, 60), retries=0)
print("opened", flush=True)
sys.stdin.readline()
s.read("eeg", 0.0, 40.0)
print("read", flush=True)
"""


def test_read_killed_mid_download_leaves_no_corrupt_entry(openneuro_env, bids_dataset, tmp_path):
    mne = pytest.importorskip("mne")
    srv = openneuro_env
    uri = "openneuro://ds000001/sub-01/eeg/sub-01_task-rest_eeg.edf"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _READER, uri], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "opened"
        # from now on, data answers send half their body and then stall for a long time
        srv.faults.rate, srv.faults.kinds, srv.faults.slow_s = 1.0, ("stall",), 20.0
        deadline = time.time() + 20
        n0 = len(srv.request_log)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        while time.time() < deadline and len(srv.request_log) == n0:
            time.sleep(0.05)
        time.sleep(0.3)  # the body is now half-delivered
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    srv.faults.clear()
    assert proc.returncode == -signal.SIGKILL
    cache = DiskCache(Path(os.environ["GLUE_CACHE_DIR"]) / "http")
    assert cache.verify() == []  # every entry on disk is whole
    # and a fresh read (same cache) returns the right values
    import glue_widgets as gw

    x = gw.open(uri).read("eeg", 0.0, 40.0)
    raw = mne.io.read_raw_edf(str(bids_dataset / "sub-01/eeg/sub-01_task-rest_eeg.edf"), verbose="error")
    np.testing.assert_array_equal(x.values, raw.get_data(picks=list(x.channel.values)).T)


def test_corrupt_block_on_disk_is_refetched(openneuro_env, bids_dataset):
    import glue_widgets as gw

    uri = "openneuro://ds000001/sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr"
    x1 = gw.open(uri).read("eeg", 5.0, 15.0)
    cache = DiskCache(Path(os.environ["GLUE_CACHE_DIR"]) / "http")
    entries = [f for _, _, f in cache._entries()]
    for f in entries:  # damage every entry: listings, sidecars and data blocks
        raw = bytearray(f.read_bytes())
        raw[-1] ^= 0x55
        f.write_bytes(bytes(raw))
    s = gw.open(uri)
    x2 = s.read("eeg", 5.0, 15.0)
    np.testing.assert_array_equal(x1.values, x2.values)
    assert s.stats["bytes"] > 0  # it went back to the network instead of trusting bad bytes
