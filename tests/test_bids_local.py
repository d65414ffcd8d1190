"""Local BIDS runs and plain EDF files through gw.open: values equal MNE's read, metadata, errors."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import CorruptFileError, NotFoundError, WindowError

pytest_plugins = ["tests.servers.fixtures"]
mne = pytest.importorskip("mne")


def _mne(path, names, start, stop):
    raw = mne.io.read_raw(str(path), verbose="error")
    fs = raw.info["sfreq"]
    return raw.get_data(picks=list(names), start=int(np.ceil(start * fs)), stop=int(np.ceil(stop * fs))).T


@pytest.mark.parametrize("rel,n_eeg,fs", [("eegmat_rest/Subject00_1.edf", 20, 500.0),
                                          ("eegbci_S001R01/S001R01.edf", 64, 160.0)])
def test_shared_plain_edf_equals_mne(shared_data, rel, n_eeg, fs):
    path = shared_data / rel
    if not path.is_file():
        pytest.skip(f"{path} absent")
    s = gw.open(str(path))
    info = s.streams["eeg"]
    assert info.fs == fs and info.n_channels == n_eeg and info.modality == "eeg"
    for start, stop in [(0.0, 5.0), (12.345, 47.9), (None, None)]:
        x = s.read("eeg", start, stop)
        ref = _mne(path, x.channel.values, start or 0.0, stop or info.stop_s)
        np.testing.assert_array_equal(x.values, ref)
        assert x.dims == ("time", "channel") and x.attrs["units"] == "V"
    assert s.metadata["bids"] is False
    if "eegbci" in rel:
        assert "T0" in set(s.epochs.label)  # EDF+ annotations become epochs
    else:
        assert s.streams["misc"].n_channels == 1  # "ECG ECG" is not EEG


def test_bids_runs_local(bids_dataset):
    s = gw.open(str(bids_dataset / "sub-01/eeg/sub-01_task-rest_eeg.edf"))
    assert s.metadata["task"] == "rest" and s.metadata["species"] == "Homo sapiens"
    assert s.metadata["subject"] == "01"
    assert list(s.epochs.label) == ["rest"] and s.epochs.source_table.iloc[0] == "bids-task"
    x = s.read("eeg", 0, 40)
    ref = _mne(bids_dataset / "sub-01/eeg/sub-01_task-rest_eeg.edf", x.channel.values, 0, 40)
    np.testing.assert_array_equal(x.values, ref)
    # mne-bids wrote 10 Hz alpha into this run: the read must carry it
    f = np.fft.rfftfreq(x.sizes["time"], 1 / 250.0)
    p = np.abs(np.fft.rfft(x.values[:, 0])) ** 2
    assert abs(f[np.argmax(p[1:]) + 1] - 10.0) < 0.2


def test_channel_status_from_channels_tsv(bids_dataset, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(bids_dataset, root)
    ch = root / "sub-01/eeg/sub-01_task-arithmetic_channels.tsv"
    lines = ch.read_text().splitlines()
    hdr = lines[0].split("\t")
    i = hdr.index("status")
    row = lines[2].split("\t")
    row[i] = "bad"
    lines[2] = "\t".join(row)
    ch.write_text("\n".join(lines) + "\n")
    s = gw.open(str(root / "sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr"))
    x = s.read("eeg", 1, 2)
    assert list(x.status.values).count("bad") == 1 and s.streams["eeg"].extra["n_bad"] == 1


def test_windows_and_errors(bids_dataset, tmp_path):
    s = gw.open(str(bids_dataset / "sub-03/ieeg/sub-03_task-rest_ieeg.vhdr"))
    with pytest.raises(WindowError):
        s.read("ecog", 30, 90)
    with pytest.raises(NotFoundError):
        gw.open(str(tmp_path / "nope.edf"))
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"not an edf" * 100)
    with pytest.raises(CorruptFileError):
        gw.open(str(bad))


def test_eeglab_set_through_mne(tmp_path):
    from tests.servers.bids_fixture import write_eeglab_set

    path = write_eeglab_set(tmp_path / "x.set", np.random.default_rng(0).normal(0, 1e-5, (3, 2500)), 250.0,
                            ["C3", "C4", "Cz"])
    s = gw.open(str(path))
    assert s.streams["eeg"].n_channels == 3 and s.streams["eeg"].duration_s == pytest.approx(10.0)
    x = s.read("eeg", 2.0, 5.0)
    ref = _mne(path, x.channel.values, 2.0, 5.0)
    np.testing.assert_array_equal(x.values, ref)
