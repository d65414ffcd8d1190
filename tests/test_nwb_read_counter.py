"""Reading a 10-s window of a 1-hour chunked ElectricalSeries touches only the chunks of that window."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

from glue_widgets.sources.nwb import open_nwb

pytest.importorskip("pynwb")
from glue_widgets.sources.nwb_testing import CountingFile, write_long_ephys_nwb  # noqa: E402


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
