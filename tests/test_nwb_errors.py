"""Bad input to the NWB reader raises the right GlueError subclass with a helpful message."""

from __future__ import annotations

import io
import shutil
import warnings

import h5py
import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import (BadDataError, CorruptFileError, GlueError, NotFoundError, StreamNotFoundError,
                                 WindowError)
from glue_widgets.sources.nwb import open_nwb

pytest.importorskip("pynwb")
from tests.support.nwb_testing import write_example_nwb  # noqa: E402


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    path = tmp_path_factory.mktemp("nwb_err") / "example.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_example_nwb(path)
    return path


def _timestamps_nwb(path, t):
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    nwb = NWBFile(session_description="ts", identifier="ts", session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    nwb.add_acquisition(TimeSeries(name="speed", data=np.arange(t.size, dtype=float), timestamps=np.sort(t), unit="m/s"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w") as io_:
            io_.write(nwb)
    with h5py.File(path, "r+") as f:  # pynwb would not write them unsorted; h5py does
        f["acquisition/speed/timestamps"][...] = t


@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_truncated_file(example, tmp_path, keep):
    data = example.read_bytes()
    bad = tmp_path / "truncated.nwb"
    bad.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CorruptFileError) as e:
        s = gw.open(bad)
        for name in s.streams:  # if the superblock survived, reading must still fail cleanly
            s.read(name)
    msg = str(e.value)
    assert "truncated.nwb" in msg and ("truncated" in msg or "damaged" in msg)
    assert "re-download" in msg.lower() or "re-write" in msg.lower()


def test_truncated_file_object(example):
    data = example.read_bytes()
    with pytest.raises(CorruptFileError, match="truncated"):
        open_nwb(io.BytesIO(data[: len(data) // 3]), uri="mem://cut.nwb")


def test_hdf5_but_not_nwb(tmp_path):
    p = tmp_path / "plain.nwb"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(10)
    with pytest.raises(CorruptFileError) as e:
        gw.open(p)
    assert "not an NWB file" in str(e.value) and "plain.nwb" in str(e.value)


def test_not_hdf5(tmp_path):
    p = tmp_path / "text.nwb"
    p.write_text("this is not hdf5\n" * 10)
    with pytest.raises(CorruptFileError) as e:
        gw.open(p)
    assert "not an HDF5 file" in str(e.value)
    with pytest.raises(CorruptFileError):
        open_nwb(io.BytesIO(b"not hdf5 at all" * 100), uri="mem://x.nwb")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.nwb"
    p.write_bytes(b"")
    with pytest.raises(CorruptFileError, match="empty"):
        gw.open(p)


def test_missing_file(tmp_path):
    with pytest.raises(NotFoundError):
        open_nwb(tmp_path / "nothere.nwb")


def test_missing_stream(example):
    with gw.open(example) as s:
        with pytest.raises(StreamNotFoundError) as e:
            s.read("Speed")
        assert "Speed" in str(e.value) and "pupil_diameter" in str(e.value)
        assert isinstance(e.value, KeyError)


@pytest.mark.parametrize("window", [(100.0, 110.0), (-5.0, 1.0), (3.0, 2.0), (29.0, 45.0)])
def test_window_outside_recording(example, window):
    with gw.open(example) as s:
        with pytest.raises(WindowError) as e:
            s.read("pupil_diameter", *window)
        assert "pupil_diameter" in str(e.value) or "before" in str(e.value)


@pytest.mark.parametrize("n, fs, swap, window", [
    (200, 10.0, 50, (1.0, 10.0)),               # small: read whole and checked
    (300_000, 100.0, 150_010, (1500.0, 1501.0)),  # long: bisected, the disorder found in the slice read
])
def test_non_monotonic_timestamps(tmp_path, n, fs, swap, window):
    t = np.arange(n) / fs
    t[swap], t[swap + 1] = t[swap + 1], t[swap]
    p = tmp_path / "nonmono.nwb"
    _timestamps_nwb(p, t)
    with gw.open(p) as s:
        with pytest.raises(BadDataError, match="monotonic|increasing") as e:
            s.read("speed", *window)
        assert "speed" in str(e.value)


def test_reversed_timestamps_open_but_raise_on_read(tmp_path):
    t = np.arange(100, dtype=float)[::-1].copy()
    p = tmp_path / "reversed.nwb"
    _timestamps_nwb(p, t)
    with gw.open(p) as s:  # the rest of the file stays usable
        with pytest.raises(BadDataError, match="not increasing"):
            s.read("speed")


def test_closed_session(example, tmp_path):
    p = tmp_path / "copy.nwb"
    shutil.copy(example, p)
    s = gw.open(p)
    s.close()
    with pytest.raises(GlueError):
        s.read("pupil_diameter", 0, 1)


def test_network_error_from_file_object_passes_through(example):
    """A remote file object's NetworkError is not disguised as a corrupt file."""
    from glue_widgets.errors import NetworkError

    class Flaky(io.BytesIO):
        fail = False

        def readinto(self, b):
            if self.fail:
                raise NetworkError("connection dropped while reading mem://flaky.nwb; retry later.")
            return super().readinto(b)

        def read(self, *a):
            if self.fail:
                raise NetworkError("connection dropped while reading mem://flaky.nwb; retry later.")
            return super().read(*a)

    fh = Flaky(example.read_bytes())
    s = open_nwb(fh, uri="mem://flaky.nwb")
    fh.fail = True
    with pytest.raises((NetworkError, CorruptFileError)) as e:
        s.read("acquisition/ElectricalSeries", 1.0, 2.0)
    # h5py may wrap the callback's exception; when it keeps it, it must stay a NetworkError
    assert isinstance(e.value, GlueError)
    fh.fail = False  # let HDF5 close the file cleanly
    s.close()
