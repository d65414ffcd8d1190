"""Reading a 10-s window of a 1-hour chunked ElectricalSeries touches only the chunks of that window."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

from glue_widgets.sources.nwb import open_nwb

pytest.importorskip("pynwb")
from tests.support.nwb_testing import CountingFile, write_long_ephys_nwb  # noqa: E402


@pytest.fixture(scope="module")
def long_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "long.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = write_long_ephys_nwb(path, duration_s=3600.0, fs=250.0, n_channels=16, chunk_s=1.0)
    return path, info


def test_window_reads_only_its_chunks(long_file):
    path, info = long_file
    series_bytes = info["n"] * info["n_channels"] * 2
    with h5py.File(path) as f:
        ds = f["acquisition/ElectricalSeries/data"]
        assert ds.chunks == (info["chunk_rows"], info["n_channels"])
        expect = ds[1800 * 250:1810 * 250] * float(ds.attrs["conversion"])
    cf = CountingFile(open(path, "rb"))
    s = open_nwb(cf, uri="mem://long.nwb")
    open_bytes = cf.bytes_read
    assert s.streams["ElectricalSeries"].duration_s == pytest.approx(3600.0)
    assert open_bytes < 256 * 1024, f"opening read {open_bytes} bytes"
    cf.reset()
    x = s.read("ElectricalSeries", 1800.0, 1810.0)
    np.testing.assert_array_equal(x.values, expect)
    window_chunks = 10 * info["chunk_bytes"]
    # the chunks of the window plus chunk-index (B-tree) nodes, nowhere near the 28.8 MB series
    assert window_chunks <= cf.bytes_read <= 1.5 * window_chunks + 64 * 1024, (cf.bytes_read, window_chunks)
    assert cf.bytes_read < series_bytes / 100
    cf.reset()
    s.read("ElectricalSeries", 3590.0, 3600.0)
    assert cf.bytes_read <= 1.5 * window_chunks + 64 * 1024
    s.close()


def _big_irregular_nwb(path, n_ts=400_000, n_spikes=300_000):
    from datetime import datetime, timezone

    from hdmf.backends.hdf5.h5_utils import H5DataIO
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.005, 0.015, size=n_ts))
    nwb = NWBFile(session_description="big", identifier="big", session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    nwb.add_acquisition(TimeSeries(name="speed", data=H5DataIO(rng.normal(size=n_ts), chunks=(4096,)),
                                   timestamps=H5DataIO(t, chunks=(4096,)), unit="m/s"))
    spikes = {}
    for uid, n in ((1, n_spikes // 2), (2, n_spikes // 2)):
        spikes[uid] = np.sort(rng.uniform(0, t[-1], size=n))
        nwb.add_unit(spike_times=spikes[uid], id=uid)
    nwb.units.spike_times.set_data_io(H5DataIO, {"chunks": (8192,)})  # hdmf would write one 2.4-MB chunk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w") as io_:
            io_.write(nwb)
    return t, spikes


def test_long_timestamps_and_spike_trains_are_bisected(tmp_path):
    """Above 2**16 samples, windows are found by searching pages: correct values, a few chunks read."""
    path = tmp_path / "big.nwb"
    t, spikes = _big_irregular_nwb(path)
    cf = CountingFile(open(path, "rb"))
    s = open_nwb(cf, uri="mem://big.nwb")
    assert cf.bytes_read < 300 * 1024  # spike_times (2.4 MB) and timestamps (3.2 MB) are not read at open
    a, b = float(t[200_000]), float(t[200_000]) + 10.0
    cf.reset()
    x = s.read("speed", a, b)
    with h5py.File(path) as f:
        i0, i1 = np.searchsorted(t, [a, b])
        np.testing.assert_array_equal(x.values[:, 0], f["acquisition/speed/data"][i0:i1])
        np.testing.assert_array_equal(x.time.values, t[i0:i1])
    # a few 32-KB timestamp chunks found by interpolation (it was ~1 MB bisecting single elements down
    # to a 2**16-stamp slice), nowhere near the 3.2-MB timestamps
    assert cf.bytes_read < 400e3, cf.bytes_read
    cf.reset()
    st = s.spike_times("units", a, b)
    for uid, ref in spikes.items():
        np.testing.assert_array_equal(st[str(uid)], ref[(ref >= a) & (ref < b)])
    assert cf.bytes_read < 2.5e6  # not the whole 2.4 MB train twice
    s.close()


def test_single_huge_chunk_spike_times_not_read_at_open(tmp_path):
    """hdmf writes a long spike_times as one chunk; any point read would fetch all of it, so the
    stream's extent comes from the session (epochs, other streams) and opening stays small."""
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    rng = np.random.default_rng(3)
    nwb = NWBFile(session_description="huge", identifier="huge", session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    trains = {u: np.sort(rng.uniform(1.0, 999.0, size=60_000)) for u in (1, 2, 3)}
    for u, t in trains.items():
        nwb.add_unit(spike_times=t, id=u)
    nwb.add_acquisition(TimeSeries(name="speed", data=np.zeros(10_000), rate=10.0, unit="m/s"))
    nwb.add_epoch(0.0, 1000.0, ["session"])
    p = tmp_path / "huge.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(p), "w") as io_:
            io_.write(nwb)
    with h5py.File(p) as f:
        st = f["units/spike_times"]
        assert st.chunks is None or np.prod(st.chunks) * 8 > 64 * 1024
    cf = CountingFile(open(p, "rb"))
    s = open_nwb(cf, uri="mem://huge.nwb")
    assert cf.bytes_read < 256 * 1024, cf.bytes_read
    info = s.streams["units"]
    if info.extra["extent_from"] == "session":
        assert (info.start_s, info.stop_s) == pytest.approx((0.0, 1000.0), abs=1e-5)
    st = s.spike_times("units", 100.0, 110.0)
    for u, t in trains.items():
        np.testing.assert_array_equal(st[str(u)], t[(t >= 100.0) & (t < 110.0)])
    s.close()
