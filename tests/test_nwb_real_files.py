"""The two real NWB files in ../shared/data/pynapple_nwb open, and their windows equal direct h5py reads."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import glue_widgets as gw

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pynapple_nwb"
FILES = {"A8604-211122.nwb": 3, "sub-4_ses-4_ecephys+image.nwb": 35}


def _h5_trains(path):
    with h5py.File(path) as f:
        st = f["units/spike_times"][()]
        ends = f["units/spike_times_index"][()].astype(np.int64)
        ids = f["units/id"][()]
    starts = np.concatenate([[0], ends[:-1]])
    return [str(i) for i in ids], [st[a:b] for a, b in zip(starts, ends)]


@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("window,bw", [((10.0, 70.0), 0.04), ((500.0, 800.0), 0.5)])
def test_real_units_binned_equal_numpy_histogram(name, window, bw):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared real-data folder is absent)")
    ids, trains = _h5_trains(path)
    with gw.open(path) as s:
        assert s.streams["units"].n_channels == FILES[name]
        x = s.read("units", *window, bin_width=bw)
        assert list(x.channel.values) == ids
        n = int(np.floor((window[1] - window[0]) / bw + 1e-9))
        edges = window[0] + bw * np.arange(n + 1)
        expect = np.stack([np.histogram(t, edges)[0] for t in trains], axis=1)
        np.testing.assert_array_equal(x.values, expect)
        assert x.attrs["bin_width"] == bw
        st = s.spike_times("units", *window)
        for uid, t in zip(ids, trains):
            np.testing.assert_array_equal(st[uid], t[(t >= window[0]) & (t < window[1])])


def test_real_human_file_metadata_and_intervals():
    path = DATA / "sub-4_ses-4_ecephys+image.nwb"
    if not path.exists():
        pytest.skip("shared real data absent")
    with gw.open(path) as s:
        assert s.metadata["species"] == "Homo sapiens" and s.metadata["lab"] == "Rutishauser"
        ep = s.epochs
        counts = ep.source_table.value_counts().to_dict()
        assert counts == {"recognition_table": 180, "timediscrimination_table": 180, "encoding_table": 90}
        with h5py.File(path) as f:
            np.testing.assert_array_equal(
                np.sort(ep.start[ep.source_table == "encoding_table"].values),
                np.sort(f["intervals/encoding_table/start_time"][()]))
        regions = set(s.read("units", 0, 10).region.values.tolist())
        assert regions == {"hippocampus_right", "amygdala_right"}
        # the TTL code series (non-monotonic timestamps in this file) are not offered as signals
        assert "/acquisition/events" in s.skipped


def test_real_mouse_file_epoch():
    path = DATA / "A8604-211122.nwb"
    if not path.exists():
        pytest.skip("shared real data absent")
    with gw.open(path) as s:
        ep = s.epochs
        assert ep.label.tolist() == ["wake"] and ep.source_table.tolist() == ["epochs"]
        assert ep.stop.iloc[0] == pytest.approx(1087.5289, abs=1e-3)
