import numpy as np
import pytest
import xarray as xr

import glue_widgets as gw
from glue_widgets.errors import BadDataError, GlueError, InvalidInputError, StreamNotFoundError, WindowError
from glue_widgets.model import (
    Session, StreamInfo, as_time_by_channel, make_timeseries, new_card, validate_card,
)


def test_make_timeseries_convention():
    x = make_timeseries(np.ones((5, 2)), np.arange(5) * 0.1, ["a", "b"], modality="lfp", fs=10.0,
                        units="V", subject="s1", channel_coords={"region": ["CA1", "CA3"]})
    assert x.dims == ("time", "channel")
    assert x.time.dtype == np.float64
    assert x.channel.values.tolist() == ["a", "b"]
    assert x.region.values.tolist() == ["CA1", "CA3"]
    assert x.attrs["modality"] == "lfp" and x.attrs["fs"] == 10.0 and x.attrs["subject"] == "s1"


def test_make_timeseries_rejects_non_monotonic_time():
    with pytest.raises(BadDataError, match="not strictly increasing"):
        make_timeseries(np.ones((3, 1)), [0.0, 0.2, 0.1], modality="lfp")


def test_make_timeseries_rejects_unknown_modality():
    with pytest.raises(InvalidInputError, match="modality"):
        make_timeseries(np.ones((3, 1)), [0.0, 0.1, 0.2], modality="telepathy")


def test_as_time_by_channel_transposes_dataarray_by_name():
    da = xr.DataArray(np.arange(6.0).reshape(2, 3), dims=("channel", "time"))
    arr = as_time_by_channel(da)
    assert arr.shape == (3, 2)
    np.testing.assert_array_equal(arr[:, 0], [0, 1, 2])


def test_as_time_by_channel_nan_message_names_channels():
    x = np.ones((4, 3))
    x[1, 2] = np.nan
    with pytest.raises(BadDataError, match=r"channels \[2\]"):
        as_time_by_channel(x)


class _Toy(Session):
    def __init__(self):
        super().__init__("toy://one")
        self._streams = {"s": StreamInfo("s", "lfp", 10.0, 1, 10.0)}

    def _read_window(self, info, start, stop, **kw):
        t = np.arange(int(round(start * 10)), int(round(stop * 10))) / 10.0
        return make_timeseries(t[:, None], t, modality="lfp", fs=10.0)


def test_session_window_checks():
    s = _Toy()
    assert s.read("s", 1, 2).sizes["time"] == 10
    with pytest.raises(StreamNotFoundError, match="available streams"):
        s.read("nope")
    with pytest.raises(WindowError, match="outside"):
        s.read("s", 5, 50)
    with pytest.raises(WindowError, match="before stop"):
        s.read("s", 3, 2)
    assert isinstance(WindowError("x"), GlueError)


def test_restcard_validates_and_derives_coverage():
    card = new_card(start=10.0, stop=310.0, modality="spikes", source="demo://x", state="dark",
                    evidence="epochs")
    assert card["duration_s"] == 300.0 and card["coverage"] == 0.5 and card["meets_target"] is False
    bad = dict(card, modality="telepathy")
    with pytest.raises(InvalidInputError, match="modality"):
        validate_card(bad)


def test_open_reports_unknown_scheme_and_missing_file(tmp_path):
    with pytest.raises(gw.errors.UnsupportedError, match="scheme"):
        gw.open("ftp://example.org/x.nwb")
    with pytest.raises(gw.errors.NotFoundError, match="no file"):
        gw.open(tmp_path / "missing.nwb")


def test_array_session_reads_signals_and_bins_spikes():
    import pandas as pd
    from glue_widgets.model import ArraySession

    x = make_timeseries(np.arange(200.0)[:, None], np.arange(200) / 10, modality="lfp", fs=10.0)
    s = ArraySession("mem://t", signals={"lfp": x}, spikes={"units": {"a": [0.5, 1.5, 1.6], "b": [2.0]}},
                     epochs=pd.DataFrame({"start": [0.0], "stop": [5.0], "label": ["rest"]}),
                     metadata={"subject": "s1"})
    w = s.read("lfp", 1.0, 2.0)
    np.testing.assert_array_equal(w.values[:, 0], np.arange(10, 20))
    assert w.attrs["subject"] == "s1" and w.attrs["source"] == "mem://t"
    b = s.read("units", 0.0, 2.0, bin_width=1.0)
    assert b.values.tolist() == [[1, 0], [2, 0]] and b.attrs["bin_width"] == 1.0
    assert s.epochs["source_table"].tolist() == ["epochs"]
