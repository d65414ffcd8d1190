"""The fault matrix: >= 500 random window reads (NWB from a DANDI-compatible server, EDF and BrainVision
from an S3-compatible bucket) while the servers misbehave at random: dropped connections, truncated
bodies, 5xx, 429 with Retry-After, gzip-encoded bodies, ignored Range, extra bytes, lying lengths,
shifted ranges, stalls and dripping headers or bodies. Every read returns data whose SHA-256 equals the
true window's, or raises NetworkError within its deadline: 0 wrong results. No cache at any level, so
every read goes to the network. Tiny timeouts keep the whole matrix under about a minute."""

from __future__ import annotations

import hashlib
import threading

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import NetworkError
from tests.servers.httpd import FAULT_KINDS, MORE_FAULT_KINDS

pytest_plugins = ["tests.servers.fixtures"]

TIMEOUT = (0.5, 0.15)
RETRIES = 2
OPTS = dict(timeout=TIMEOUT, retries=RETRIES, backoff=0.005, memory_bytes=0, cache_max_bytes=1)
KINDS = FAULT_KINDS + MORE_FAULT_KINDS
RATE = 0.25
HANG_S = 20.0  # far above one read's deadline chain: a read still running then is a hang


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.float64).tobytes()).hexdigest()


def _run(session, stream, ref, fs, t0, n_reads, win_s, rng, tally):
    duration = ref.shape[0] / fs
    for _ in range(n_reads):
        start = t0 + float(rng.uniform(0, duration - win_s))
        stop = start + float(rng.uniform(0.05, win_s))
        out: dict = {}

        def go():
            try:
                out["x"] = session.read(stream, start, stop)
            except BaseException as exc:  # noqa: BLE001 - checked below
                out["err"] = exc

        t = threading.Thread(target=go, daemon=True)
        t.start()
        t.join(HANG_S)
        assert not t.is_alive(), f"a read of {stream} [{start}, {stop}) hung"
        if "err" in out:
            assert isinstance(out["err"], NetworkError), repr(out["err"])
            tally["failed"] += 1
            continue
        x = out["x"]
        i0 = int(np.ceil((start - t0) * fs - 1e-7))
        i1 = int(np.ceil((stop - t0) * fs - 1e-7))
        want = ref[i0:i1]
        if x.shape != want.shape or _sha(x.values) != _sha(want):
            tally["wrong"] += 1
        else:
            tally["right"] += 1


def _faulty(srv, seed):
    srv.faults.rate, srv.faults.kinds, srv.faults.seed = RATE, KINDS, seed
    srv.faults.slow_s, srv.faults.retry_after, srv.faults.drip_s = 0.3, "0.05", 0.04
    srv.faults._rng.seed(seed)
    srv.faults.counts.clear()


def test_fault_matrix_500_reads_zero_wrong(dandi_env, nwb_files, openneuro_env, bids_dataset):
    mne = pytest.importorskip("mne")
    from glue_widgets.sources.nwb import open_nwb

    api, blobs = dandi_env
    tally = {"right": 0, "failed": 0, "wrong": 0}
    counts: dict[str, int] = {}
    plan = [("ecephys", "ElectricalSeries", 200, 1.0), ("ophys", "dff", 70, 20.0)]
    for kind, stream, n, win in plan:
        local = open_nwb(str(nwb_files[kind]))
        ref_x = local.read(stream, 0.0, 120.0)
        fs = local.streams[stream].fs
        local.close()
        s = gw.open(f"dandi://000001/sub-m1/sub-m1_ses-1_{kind}.nwb", **OPTS)
        _faulty(blobs, seed=len(counts) + 3)
        _run(s, stream, ref_x.values, fs, 0.0, n, win, np.random.default_rng(n), tally)
        for k, v in blobs.faults.counts.items():
            counts[k] = counts.get(k, 0) + v
        blobs.faults.clear()
        s.close()
    srv = openneuro_env
    for rel, n in (("sub-01/eeg/sub-01_task-rest_eeg.edf", 120),
                   ("sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr", 120)):
        s = gw.open(f"openneuro://ds000001/{rel}", block_size=4096, **OPTS)
        raw = mne.io.read_raw(str(bids_dataset / rel), verbose="error")
        names = list(s.read("eeg", 0, 0.1).channel.values)
        ref = raw.get_data(picks=names).T
        _faulty(srv, seed=n + len(rel))
        _run(s, "eeg", ref, 250.0, 0.0, n, 3.0, np.random.default_rng(len(rel)), tally)
        for k, v in srv.faults.counts.items():
            counts[k] = counts.get(k, 0) + v
        srv.faults.clear()
        s.close()
    print(f"fault matrix: {tally}, faults injected {counts}")
    total = sum(tally.values())
    assert total >= 500
    assert tally["wrong"] == 0
    assert tally["right"] > total / 2
    assert set(counts) >= set(KINDS) - {"stall"}, counts  # every kind of fault really happened
