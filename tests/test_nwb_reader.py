"""The local NWB reader: every stream kind, windows equal to direct h5py reads, epochs, metadata."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import StreamNotFoundError, UnsupportedError
from glue_widgets.sources.nwb import NWBSession, open_nwb

pytest.importorskip("pynwb")
from tests.support.nwb_testing import write_example_nwb  # noqa: E402


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    path = tmp_path_factory.mktemp("nwb") / "example.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arrays = write_example_nwb(path)
    return path, arrays


@pytest.fixture()
def session(example):
    s = gw.open(example[0])
    yield s
    s.close()


def test_streams_and_modalities(session):
    assert isinstance(session, NWBSession)
    st = session.streams
    expected = {
        "acquisition/ElectricalSeries": ("lfp", "regular", 4),
        "LFP/ElectricalSeries": ("lfp", "irregular", 4),
        "DfOverF/RoiResponseSeries": ("calcium", "regular", 5),
        "Fluorescence/RoiResponseSeries": ("calcium", "regular", 5),
        "units": ("spikes", "events", 3),
        "SpatialSeries": ("behavior", "irregular", 2),
        "running_speed": ("behavior", "regular", 1),
        "pupil_diameter": ("behavior", "regular", 1),
    }
    assert set(st) == set(expected)
    for name, (modality, kind, nch) in expected.items():
        assert (st[name].modality, st[name].kind, st[name].n_channels) == (modality, kind, nch), name
    assert st["DfOverF/RoiResponseSeries"].path == "/processing/ophys/DfOverF/RoiResponseSeries"
    assert st["acquisition/ElectricalSeries"].start_s == 0.5
    assert st["acquisition/ElectricalSeries"].duration_s == pytest.approx(20.0)
    assert session.streams_of("calcium") == ["DfOverF/RoiResponseSeries", "Fluorescence/RoiResponseSeries"]


def test_metadata(session):
    md = session.metadata
    assert md["species"] == "Mus musculus"
    assert (md["subject"], md["sex"], md["age"]) == ("m01", "F", "P90D")
    assert (md["session"], md["lab"], md["institution"]) == ("ses-01", "arbor", "Test Institute")
    assert md["identifier"] == "gw-test-0001"
    assert md["session_description"] == "glue_widgets test fixture"
    assert md["source"] == session.uri


def test_electrical_series_scaled_like_h5py(session, example):
    path, arrays = example
    x = session.read("acquisition/ElectricalSeries", 2.0, 3.5)
    with h5py.File(path) as f:
        g = f["acquisition/ElectricalSeries"]
        i0, i1 = int(round((2.0 - 0.5) * 1000)), int(round((3.5 - 0.5) * 1000))
        raw = g["data"][i0:i1]
        expect = raw * g["channel_conversion"][()][None, :] * float(g["data"].attrs["conversion"]) \
            + float(g["data"].attrs["offset"])
    np.testing.assert_array_equal(x.values, expect)
    assert x.dtype == expect.dtype
    np.testing.assert_allclose(x.time.values, 0.5 + np.arange(i0, i1) / 1000.0)
    assert x.attrs["modality"] == "lfp" and x.attrs["units"] == "volts" and x.attrs["fs"] == 1000.0
    assert x.attrs["species"] == "Mus musculus" and x.attrs["subject"] == "m01"
    assert list(x.channel.values) == ["0", "1", "2", "3"]
    # the raw ints match the arrays pynwb was given
    np.testing.assert_array_equal(raw, arrays["ElectricalSeries"][0][i0:i1])


def test_timestamped_series_window(session, example):
    path, arrays = example
    t = arrays["lfp_t"]
    x = session.read("LFP/ElectricalSeries", 3.0, 4.0)
    i0, i1 = np.searchsorted(t, [3.0, 4.0])
    with h5py.File(path) as f:
        expect = f["processing/ecephys/LFP/ElectricalSeries/data"][i0:i1]
    np.testing.assert_array_equal(x.values, expect)
    np.testing.assert_array_equal(x.time.values, t[i0:i1])
    assert session.window_indices("LFP/ElectricalSeries", 3.0, 4.0) == (i0, i1)


@pytest.mark.parametrize("stream,key,h5path", [
    ("DfOverF/RoiResponseSeries", "dff", "processing/ophys/DfOverF/RoiResponseSeries/data"),
    ("Fluorescence/RoiResponseSeries", "fl", "processing/ophys/Fluorescence/RoiResponseSeries/data"),
    ("running_speed", "speed", "processing/behavior/BehavioralTimeSeries/running_speed/data"),
    ("pupil_diameter", "pupil", "processing/behavior/PupilTracking/pupil_diameter/data"),
    ("SpatialSeries", "pos", "processing/behavior/Position/SpatialSeries/data"),
])
def test_windows_equal_h5py(session, example, stream, key, h5path):
    path, arrays = example
    info = session.streams[stream]
    x = session.read(stream, 5.0, 12.0)
    i0, i1 = session.window_indices(stream, 5.0, 12.0)
    with h5py.File(path) as f:
        expect = f[h5path][i0:i1]
    if expect.ndim == 1:
        expect = expect[:, None]
    np.testing.assert_array_equal(x.values, expect)
    assert x.dtype == expect.dtype
    assert x.time.values[0] >= 5.0 and x.time.values[-1] < 12.0
    if info.kind == "regular":
        assert i1 - i0 == int(round(7.0 * info.fs))
    np.testing.assert_array_equal(expect, np.atleast_2d(arrays[key].T).T[i0:i1])


def test_calcium_channels_are_roi_ids(session):
    x = session.read("DfOverF/RoiResponseSeries", 0, 1)
    assert list(x.channel.values) == ["100", "101", "102", "103", "104"]
    assert x.attrs["modality"] == "calcium"


def test_units_binned_and_spike_times(session, example):
    path, arrays = example
    x = session.read("units", 2.0, 12.0, bin_width=0.1)
    assert x.attrs["bin_width"] == 0.1 and x.attrs["fs"] == pytest.approx(10.0)
    assert list(x.channel.values) == ["7", "9", "11"]
    assert list(x.region.values) == ["V1", "V1", "V2"]
    assert list(x.quality.values) == ["good"] * 3
    edges = 2.0 + 0.1 * np.arange(101)
    with h5py.File(path) as f:
        st = f["units/spike_times"][()]
        ends = f["units/spike_times_index"][()]
    starts = np.concatenate([[0], ends[:-1]])
    for j, (a, b) in enumerate(zip(starts, ends)):
        np.testing.assert_array_equal(x.values[:, j], np.histogram(st[a:b], edges)[0])
    times = session.spike_times("units", 2.0, 12.0)
    for (uid, t), (a, b) in zip(times.items(), zip(starts, ends)):
        ref = st[a:b]
        np.testing.assert_array_equal(t, ref[(ref >= 2.0) & (ref < 12.0)])
        np.testing.assert_array_equal(ref, arrays["spikes"][uid])
    # the session default bin width applies when none is given
    assert session.read("units", 0, 1).attrs["bin_width"] == 0.04
    with pytest.raises(UnsupportedError):
        session.spike_times("running_speed")


def test_session_bin_width_parameter(example):
    with open_nwb(example[0], bin_width=0.25) as s:
        assert s.read("units", 0, 10).attrs["bin_width"] == 0.25


def test_epochs_from_every_interval_table(session):
    ep = session.epochs
    assert {"start", "stop", "label", "source_table"} <= set(ep.columns)
    assert set(ep.source_table) == {"epochs", "trials", "stimuli"}
    by = {tab: df for tab, df in ep.groupby("source_table")}
    assert list(by["epochs"].label) == ["spontaneous", "task"]
    assert list(by["trials"].label) == ["c0", "c1", "c0", "c1"]
    assert list(by["stimuli"].label) == ["flash", "grating"]
    assert by["stimuli"].stimulus_name.tolist() == ["flash", "grating"]
    assert (ep.start.diff().dropna() >= 0).all()


def test_stream_names_are_stable(example):
    with gw.open(example[0]) as a, gw.open(example[0]) as b:
        assert list(a.streams) == list(b.streams)
        assert len(set(a.streams)) == len(a.streams)


def test_open_file_object(example):
    with open(example[0], "rb") as fh:
        s = open_nwb(fh, uri="mem://example")
        assert s.uri == "mem://example"
        x = s.read("pupil_diameter", 1.0, 2.0)
        assert x.attrs["source"] == "mem://example" and x.sizes["time"] == 20
        s.close()


def test_keep_alive_closed_with_session(example):
    class Holder:
        closed = False

        def close(self):
            self.closed = True

    h = Holder()
    s = open_nwb(example[0], keep_alive=h)
    s.close()
    assert h.closed


def test_missing_stream_lists_names(session):
    with pytest.raises(StreamNotFoundError) as e:
        session.read("nope", 0, 1)
    assert "nope" in str(e.value) and "running_speed" in str(e.value)


def test_ecog_modality_from_group_description(tmp_path):
    p = tmp_path / "ecog.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_example_nwb(p, ecog=True)
    with gw.open(p) as s:
        assert s.streams["acquisition/ElectricalSeries"].modality == "ecog"
        assert s.read("acquisition/ElectricalSeries", 1, 2).attrs["modality"] == "ecog"
