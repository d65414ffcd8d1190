"""Validation at the boundary of the model layer (issue #20, findings 6 and 7): windows, channel lists,
bin widths, time series and RestCards refused with GlueErrors that name the value and the fix."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import BadDataError, GlueError, InvalidInputError, StreamNotFoundError, WindowError
from glue_widgets.model import ArraySession, bin_spikes, make_timeseries, new_card, validate_card
from glue_widgets.model.validation import MAX_ARRAY_ELEMENTS, check_bin_width, check_window


@pytest.fixture(scope="module")
def session():
    t = np.arange(1000) / 100.0
    x = make_timeseries(np.arange(3000.0).reshape(1000, 3), t, ["1", "2", "12"], modality="lfp", fs=100.0)
    spikes = {"u1": np.array([0.5, 1.0, 8.0]), "u2": np.array([2.0, 9.5])}
    return ArraySession("mem://r", signals={"lfp": x}, spikes={"units": spikes})


@pytest.fixture(scope="module")
def nwb_path(tmp_path_factory):
    pytest.importorskip("pynwb")
    from tests.support.nwb_testing import write_example_nwb

    path = tmp_path_factory.mktemp("nwb") / "ex.nwb"
    write_example_nwb(path)
    return path


@pytest.mark.parametrize("kw", [dict(start="abc"), dict(stop="10"), dict(start=True), dict(start=[1.0]),
                                dict(start=1 + 2j), dict(stop=object())])
def test_read_refuses_non_numeric_window(session, kw):
    with pytest.raises(InvalidInputError, match="must be a real number"):
        session.read("lfp", **kw)


@pytest.mark.parametrize("kw", [dict(start=float("nan")), dict(stop=float("inf")), dict(start=5, stop=5),
                                dict(start=6, stop=2)])
def test_read_refuses_empty_or_non_finite_window(session, kw):
    with pytest.raises(WindowError):
        session.read("lfp", **kw)


def test_check_window_helper():
    assert check_window(None, None) == (None, None)
    assert check_window(np.float32(1), np.int64(3)) == (1.0, 3.0)
    with pytest.raises(InvalidInputError, match="start='abc'"):
        check_window("abc", 1)


def test_a_string_channel_is_one_id_not_characters(session):
    x = session.read("lfp", 0, 1, channels="12")
    assert x.channel.values.tolist() == ["12"]
    np.testing.assert_array_equal(x.values[:, 0], np.arange(3000.0).reshape(1000, 3)[:100, 2])
    assert session.read("lfp", 0, 1, channels=["1", "2"]).channel.values.tolist() == ["1", "2"]


@pytest.mark.parametrize("bad", [5, b"12", {"1": 1}, [], [1.5], [None]])
def test_bad_channel_lists(session, bad):
    with pytest.raises(InvalidInputError, match="channels"):
        session.read("lfp", 0, 1, channels=bad)


@pytest.mark.parametrize("stream", [["lfp"], 3, None])
def test_stream_name_must_be_a_string(session, stream):
    with pytest.raises(InvalidInputError, match="stream name"):
        session.read(stream)
    with pytest.raises(StreamNotFoundError):
        session.read("nope")


@pytest.mark.parametrize("bw", [0, -1, float("nan"), float("inf"), "0.1", None])
def test_bad_bin_width_on_read(session, bw):
    with pytest.raises(InvalidInputError, match="bin_width"):
        session.read("units", bin_width=bw)


def test_tiny_bin_width_is_refused_before_allocating(session):
    with pytest.raises(InvalidInputError, match="more than the"):
        session.read("units", 0, 9.0, bin_width=1e-9)
    with pytest.raises(InvalidInputError, match="wider bin_width"):
        bin_spikes({"u": np.array([1.0])}, 0.0, 3600.0, 1e-9)
    with pytest.raises(InvalidInputError):
        check_bin_width(1e-6, span=MAX_ARRAY_ELEMENTS * 1e-6 * 2, n_channels=1)
    assert check_bin_width(1e-3, span=60.0, n_channels=100) == 1e-3


@pytest.mark.parametrize("args", [({"u": [1.0]}, "a", 2.0, 0.1), ({"u": [1.0]}, 0.0, float("nan"), 0.1),
                                  ("not spikes", 0.0, 1.0, 0.1), ({"u": ["x"]}, 0.0, 1.0, 0.1),
                                  ({"u": [1.0]}, 0.0, 1.0, 0)])
def test_bin_spikes_bad_arguments(args):
    with pytest.raises(GlueError):
        bin_spikes(*args)


@pytest.mark.parametrize("bw", [0, -0.5, float("nan"), "x"])
def test_open_refuses_bad_bin_width(nwb_path, bw):
    with pytest.raises(InvalidInputError, match="bin_width"):
        gw.open(str(nwb_path), bin_width=bw)


def test_open_with_tiny_bin_width_refuses_the_read(nwb_path):
    with gw.open(str(nwb_path), bin_width=1e-9) as s:
        units = s.streams_of("spikes")[0]
        with pytest.raises(InvalidInputError, match="more than the"):
            s.read(units)
        assert s.read(units, 0, 1, bin_width=0.1).sizes["time"] == 10


@pytest.mark.parametrize("fs", [float("nan"), 0, -10, "fast", float("inf")])
def test_make_timeseries_refuses_bad_fs(fs):
    with pytest.raises(InvalidInputError, match="fs="):
        make_timeseries(np.zeros((3, 2)), np.arange(3.0), modality="lfp", fs=fs)


def test_make_timeseries_refuses_mismatched_shapes_and_types():
    with pytest.raises(BadDataError, match="rows"):
        make_timeseries(np.zeros((3, 2)), np.arange(4.0), modality="lfp")
    with pytest.raises(BadDataError, match="channel ids"):
        make_timeseries(np.zeros((3, 2)), np.arange(3.0), ["a"], modality="lfp")
    with pytest.raises(BadDataError, match="channel coord 'region'"):
        make_timeseries(np.zeros((3, 2)), np.arange(3.0), modality="lfp", channel_coords={"region": "CA1"})
    with pytest.raises(InvalidInputError, match="numeric"):
        make_timeseries(np.array([["a", "b"]] * 3), np.arange(3.0), modality="lfp")
    with pytest.raises(BadDataError, match="NaN"):
        make_timeseries(np.zeros((3, 2)), np.array([0.0, np.nan, 2.0]), modality="lfp")


def _card():
    return new_card(start=10.0, stop=610.0, modality="lfp", source="mem://x", state="dark", evidence="label")


@pytest.mark.parametrize("change, match", [
    ({"duration_s": float("nan")}, "duration_s=nan"),
    ({"start": float("nan")}, "start=nan"),
    ({"stop": float("inf")}, "stop=inf"),
    ({"start": 700.0, "duration_s": 0.0}, "after stop"),
    ({"duration_s": -5.0}, "minimum"),
    ({"duration_s": 42.0}, "does not match"),
    ({"coverage": float("nan")}, "coverage"),
    ({"fs": float("nan")}, "fs=nan"),
    ({"bin_width_s": 0.0}, "bin_width_s"),
    ({"notes": [object()]}, "JSON-serializable"),
])
def test_validate_card_semantics(change, match):
    card = {**_card(), **change}
    with pytest.raises(InvalidInputError, match=match):
        validate_card(card)


def test_new_card_refuses_stop_before_start():
    with pytest.raises(InvalidInputError):
        new_card(start=10.0, stop=5.0, modality="lfp", source="mem://x", state="dark", evidence="label")
    assert validate_card(_card())["duration_s"] == 600.0


@pytest.mark.parametrize("kw", [dict(target_s=0.0), dict(target_s=None), dict(target_s=""), dict(start="a"),
                                dict(stop=float("nan")), dict(target_s=-600.0)])
def test_new_card_refuses_bad_numbers(kw):
    base = dict(start=0.0, stop=600.0, modality="lfp", source="mem://x", state="dark", evidence="label")
    with pytest.raises(InvalidInputError):
        new_card(**{**base, **kw})


def test_cache_directory_under_a_regular_file_is_a_storage_error(tmp_path):
    from glue_widgets.errors import StorageError
    from glue_widgets.sources.cache import DiskCache

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="GLUE_CACHE_DIR"):
        DiskCache(blocker / "cache")
