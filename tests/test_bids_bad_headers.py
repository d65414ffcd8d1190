"""Format readers check headers against the file, keep DataFile inside the header's folder, take a channel
string as one name, and refuse bad headers and sidecars with a GlueError (issue "Security and
reliability", items 5 and 7)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import BadDataError, CorruptFileError, GlueError, InvalidInputError, WindowError

pytest_plugins = ["tests.servers.fixtures"]
mne = pytest.importorskip("mne")

VHDR = "sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr"
EDF = "sub-01/eeg/sub-01_task-rest_eeg.edf"


@pytest.fixture
def bv_copy(bids_dataset, tmp_path):
    """The BrainVision run copied alone (vhdr, vmrk, eeg) into a scratch folder."""
    src = bids_dataset / VHDR
    d = tmp_path / "bv"
    d.mkdir()
    for ext in (".vhdr", ".vmrk", ".eeg"):
        shutil.copy(src.with_suffix(ext), d / src.with_suffix(ext).name)
    return d / src.name


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8", errors="surrogateescape")


def _vhdr_value(path, key):
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(key + "="):
            return line.split("=", 1)[1]
    raise AssertionError(key)


def test_number_of_channels_must_match_the_channel_list(bv_copy):
    n = _vhdr_value(bv_copy, "NumberOfChannels")
    _edit(bv_copy, f"NumberOfChannels={n}", f"NumberOfChannels={int(n) + 3}")
    with pytest.raises(CorruptFileError, match="NumberOfChannels"):
        gw.open(str(bv_copy))


@pytest.mark.parametrize("value", ["abc", "nan", "0", "-4"])
def test_number_of_channels_not_a_number(bv_copy, value):
    n = _vhdr_value(bv_copy, "NumberOfChannels")
    _edit(bv_copy, f"NumberOfChannels={n}", f"NumberOfChannels={value}")
    with pytest.raises(CorruptFileError, match="NumberOfChannels"):
        gw.open(str(bv_copy))


def test_data_file_outside_the_header_folder_is_refused(bv_copy, tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\x01\x02" * 5000)
    name = _vhdr_value(bv_copy, "DataFile")
    _edit(bv_copy, f"DataFile={name}", "DataFile=../secret.bin")
    with pytest.raises(CorruptFileError, match="DataFile"):
        gw.open(str(bv_copy))


def test_data_file_size_must_be_whole_frames(bv_copy):
    eeg = bv_copy.with_suffix(".eeg")
    eeg.write_bytes(eeg.read_bytes()[:-1])
    with pytest.raises(CorruptFileError, match="multiple"):
        gw.open(str(bv_copy))


def _edf_copy(bids_dataset, tmp_path):
    p = tmp_path / "x.edf"
    shutil.copy(bids_dataset / EDF, p)
    return p


def _patch(path, offset, text, width=8):
    b = bytearray(path.read_bytes())
    b[offset:offset + width] = text.encode().ljust(width)
    path.write_bytes(bytes(b))


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_edf_record_duration_must_be_positive_finite(bids_dataset, tmp_path, value):
    p = _edf_copy(bids_dataset, tmp_path)
    _patch(p, 244, value)
    with pytest.raises(CorruptFileError, match="record duration"):
        gw.open(str(p))


@pytest.mark.parametrize("value", ["-5", "0", "nan", "2.5"])
def test_edf_samples_per_record_must_be_positive_integers(bids_dataset, tmp_path, value):
    p = _edf_copy(bids_dataset, tmp_path)
    ns = int(p.read_bytes()[252:256])
    _patch(p, 256 + ns * (16 + 80 + 8 + 8 * 4 + 80), value)
    with pytest.raises(CorruptFileError, match="samples"):
        gw.open(str(p))


def test_sidecar_json_that_is_a_list(bids_dataset, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(bids_dataset, root)
    side = root / EDF.replace(".edf", ".json")
    side.write_text(json.dumps([1, 2, 3]))
    with pytest.raises(CorruptFileError, match="JSON list"):
        gw.open(str(root / EDF))


def test_non_utf8_channels_tsv(bids_dataset, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(bids_dataset, root)
    tsv = root / EDF.replace("_eeg.edf", "_channels.tsv")
    tsv.write_bytes(tsv.read_bytes().replace(b"\n", "\n\u00e9".encode("latin-1"), 1))
    with pytest.raises(CorruptFileError, match="UTF-8"):
        gw.open(str(root / EDF))


def test_channel_string_is_one_name(nwb_files):
    s = gw.open(str(nwb_files["ecephys"]))
    x = s.read("ElectricalSeries", 0, 1, channels="12")
    assert x.channel.values.tolist() == ["12"]  # not channels "1" and "2"
    with pytest.raises(GlueError):
        s.read("ElectricalSeries", 0, 1, channels="123")
    s.close()


@pytest.mark.parametrize("start", ["abc", [1], object()])
def test_window_start_not_a_number(nwb_files, start):
    s = gw.open(str(nwb_files["ecephys"]))
    with pytest.raises((WindowError, InvalidInputError), match="start"):  # a wrong argument, named
        s.read("ElectricalSeries", start, 10)
    s.close()


def test_conversion_nan_is_refused(nwb_files, tmp_path):
    import h5py

    p = tmp_path / "nan.nwb"
    shutil.copy(nwb_files["ecephys"], p)
    with h5py.File(p, "a") as f:
        f["acquisition/ElectricalSeries/data"].attrs["conversion"] = np.nan
    s = gw.open(str(p))
    with pytest.raises(BadDataError, match="conversion"):
        s.read("ElectricalSeries", 0, 1)
    s.close()
