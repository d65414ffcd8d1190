"""200 NWB window reads through the DANDI-compatible server under fault injection: right values or
NetworkError, never wrong data, never a hang (same harness as test_stream_faults.py)."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets as gw
from tests.test_stream_faults import RETRIES, SLOW, TIMEOUT, _hammer

pytest_plugins = ["tests.servers.fixtures"]


def test_200_reads_under_faults_dandi_nwb(dandi_env, nwb_files):
    nwb = pytest.importorskip("glue_widgets.sources.nwb", reason="local NWB reader not written yet")
    api, blobs = dandi_env
    local = nwb.open_nwb(str(nwb_files["ecephys"]))
    ref = local.read("ElectricalSeries", 0.0, 100.0).values
    s = gw.open("dandi://000001/sub-m1/sub-m1_ses-1_ecephys.nwb", timeout=TIMEOUT, retries=RETRIES,
                backoff=0.01, memory_bytes=0, cache_max_bytes=1, rdcc_nbytes=0)  # no cache at any level
    blobs.faults.rate, blobs.faults.slow_s, blobs.faults.seed = 0.3, SLOW, 11
    # 1-s windows inside the first 100 s, each read from the network
    ok, failed = _hammer(s, "ElectricalSeries", ref, 500.0, 200, 1.0, np.random.default_rng(1))
    blobs.faults.clear()
    print(f"ecephys NWB: {ok} right, {failed} NetworkError, faults {blobs.faults.counts}")
    assert ok + failed == 200 and ok > 100
    assert sum(blobs.faults.counts.values()) > 30
