"""200 window reads under fault injection: each returns exactly the right values or raises NetworkError
promptly (a hang detector bounds each read by the client's worst case); never wrong data."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import NetworkError

pytest_plugins = ["tests.servers.fixtures"]

TIMEOUT = (1.0, 0.25)
RETRIES = 3
SLOW = 0.5  # server-side stall, longer than the read timeout
# worst case of one read: every attempt waits a full read timeout (x2: a stall mid-body after a delay),
# plus backoff; a read taking more than 3x that is a hang
BOUND = 3 * ((RETRIES + 1) * (TIMEOUT[0] + 2 * TIMEOUT[1] + SLOW) + 2.0)


def _guarded(fn):
    """Run fn in a thread; fail the test if it does not finish within BOUND seconds."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported below
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(BOUND)
    assert not t.is_alive(), f"a window read hung for more than {BOUND:.0f} s"
    return out


def _hammer(session, stream, ref, fs, n_reads, win_s, rng):
    duration = ref.shape[0] / fs
    ok = failed = 0
    for _ in range(n_reads):
        start = float(rng.uniform(0, duration - win_s))
        stop = start + float(rng.uniform(0.05, win_s))
        out = _guarded(lambda: session.read(stream, start, stop))
        if "error" in out:
            assert isinstance(out["error"], NetworkError), repr(out["error"])
            failed += 1
            continue
        x = out["value"]
        i0 = int(np.ceil(start * fs - 1e-9))
        np.testing.assert_array_equal(x.values, ref[i0:i0 + x.sizes["time"]])
        assert x.sizes["time"] == int(np.ceil(stop * fs - 1e-9)) - i0
        ok += 1
    return ok, failed


@pytest.mark.parametrize("rel", ["sub-01/eeg/sub-01_task-rest_eeg.edf",
                                 "sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr"])
def test_200_reads_under_faults_openneuro(openneuro_env, bids_dataset, rel):
    mne = pytest.importorskip("mne")
    srv = openneuro_env
    # no memory or disk cache: every read goes to the (faulty) network
    s = gw.open(f"openneuro://ds000001/{rel}", timeout=TIMEOUT, retries=RETRIES, backoff=0.01,
                block_size=4096, memory_bytes=0, cache_max_bytes=1)
    raw = mne.io.read_raw(str(bids_dataset / rel), verbose="error")
    names = list(s.read("eeg", 0, 0.1).channel.values)
    ref = raw.get_data(picks=names).T
    srv.faults.rate, srv.faults.slow_s, srv.faults.seed = 0.3, SLOW, 7
    ok, failed = _hammer(s, "eeg", ref, 250.0, 200, 3.0, np.random.default_rng(0))
    srv.faults.clear()
    print(f"{rel}: {ok} right, {failed} NetworkError, faults {srv.faults.counts}")
    assert ok + failed == 200 and ok > 100
    assert sum(srv.faults.counts.values()) > 50  # faults really happened
    assert set(srv.faults.counts) >= {"drop", "503", "bad_range", "short_length"}
    assert s.stats["retries"] > 0
