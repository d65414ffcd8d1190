"""OpenNeuro over a local S3-compatible server: listing, sidecars, rest runs, windows equal MNE's read."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import GlueError, InvalidInputError, NotFoundError

pytest_plugins = ["tests.servers.fixtures"]
mne = pytest.importorskip("mne")

RUNS = [
    ("sub-01/eeg/sub-01_task-rest_eeg.edf", "eeg"),
    ("sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr", "eeg"),
    ("sub-03/ieeg/sub-03_task-rest_ieeg.vhdr", "ecog"),
    ("sub-03/ieeg/sub-03_task-motor_ieeg.edf", "seeg"),
]


def _mne_window(path, names, start, stop):
    raw = mne.io.read_raw(str(path), verbose="error")
    fs = raw.info["sfreq"]
    return raw.get_data(picks=list(names), start=int(np.ceil(start * fs)), stop=int(np.ceil(stop * fs))).T


@pytest.mark.parametrize("rel,stream", RUNS)
def test_window_equals_local_mne_read(openneuro_env, bids_dataset, rel, stream):
    s = gw.open(f"openneuro://ds000001/{rel}")
    x = s.read(stream, 5.13, 21.7)
    ref = _mne_window(bids_dataset / rel, x.channel.values, 5.13, 21.7)
    assert x.shape == ref.shape
    np.testing.assert_array_equal(x.values, ref)
    assert x.attrs["units"] == "V" and x.attrs["source"] == f"openneuro://ds000001/{rel}"
    assert s.stats["requests"] > 0 and s.stats["bytes"] > 0


def test_streams_metadata_and_epochs(openneuro_env):
    s = gw.open("openneuro://ds000001@1.0.2/sub-03/ieeg/sub-03_task-motor_ieeg.edf")
    assert set(s.streams) == {"ecog", "seeg", "misc"}
    assert s.streams["ecog"].modality == "ecog" and s.streams["seeg"].modality == "ieeg"
    assert s.streams["ecog"].n_channels == 4 and s.streams["ecog"].fs == 250.0
    md = s.metadata
    assert md["subject"] == "03" and md["task"] == "motor" and md["datatype"] == "ieeg"
    assert md["species"].lower() == "homo sapiens"
    assert md["snapshot_requested"] == "1.0.2" and "latest" in md["snapshot_note"]
    ev = s.epochs[s.epochs.source_table == "events.tsv"]
    assert list(ev.label[:2]) == ["stop", "go"] and ev.start.iloc[0] == pytest.approx(2.0)
    assert (ev.stop - ev.start).iloc[0] == pytest.approx(2.0)
    task = s.epochs[s.epochs.source_table == "bids-task"]
    assert list(task.label) == ["motor"]


def test_sidecars_are_read(openneuro_env):
    s = gw.open("openneuro://ds000001/sub-02/eeg/sub-02_task-eyesclosed_eeg.vhdr")
    assert s.metadata["TaskDescription"] == "Resting state with eyes closed"
    assert s.metadata["sidecar"]["SamplingFrequency"] == 250
    assert s.metadata["electrodes"] is not None and "Fz" in {e["name"] for e in s.metadata["electrodes"]}
    assert [c["type"] for c in s.metadata["channels"][:2]] == ["EEG", "EEG"]
    import json

    json.dumps(s.metadata)  # metadata stays JSON-serializable


def test_list_files_paginates(openneuro_env):
    df = gw.openneuro.list_files("ds000001")
    assert len(df) > 7  # the server pages 7 keys at a time
    assert "participants.tsv" in set(df.path) and "sub-01/eeg/sub-01_task-rest_eeg.edf" in set(df.path)
    sub = gw.openneuro.list_files("ds000001", "sub-03/")
    assert all(p.startswith("sub-03/") for p in sub.path)


def test_find_rest_runs(openneuro_env):
    df = gw.openneuro.find_rest_runs("ds000001")
    found = set(df.path)
    assert found == {"sub-01/eeg/sub-01_task-rest_eeg.edf", "sub-02/eeg/sub-02_task-eyesclosed_eeg.vhdr",
                     "sub-03/ieeg/sub-03_task-rest_ieeg.vhdr", "sub-04/eeg/sub-04_task-eyesopen_eeg.set"}
    why = dict(zip(df.path, df.reason))
    assert why["sub-01/eeg/sub-01_task-rest_eeg.edf"] == "task-rest"


def test_eeglab_set_is_downloaded_once_and_read_with_mne(openneuro_env, bids_dataset):
    rel = "sub-04/eeg/sub-04_task-eyesopen_eeg.set"
    seen = []
    s = gw.open(f"openneuro://ds000001/{rel}", progress=lambda done, total: seen.append((done, total)))
    size = (bids_dataset / rel).stat().st_size
    assert s.stats["bytes"] >= size  # the one run was downloaded
    assert seen and seen[-1] == (size, size)  # with progress reports
    x = s.read("eeg", 3.0, 9.5)
    ref = _mne_window(bids_dataset / rel, x.channel.values, 3.0, 9.5)
    np.testing.assert_array_equal(x.values, ref)
    s2 = gw.open(f"openneuro://ds000001/{rel}")
    assert s2.stats["bytes"] < size  # second open: the downloaded copy is reused


def test_second_read_from_cache_then_offline(openneuro_env):
    uri = "openneuro://ds000001/sub-01/eeg/sub-01_task-rest_eeg.edf"
    s = gw.open(uri)
    x1 = s.read("eeg", 10.0, 20.0)
    before = dict(s.stats)
    x2 = s.read("eeg", 10.0, 20.0)
    assert s.stats["bytes"] == before["bytes"] and s.stats["requests"] == before["requests"]
    np.testing.assert_array_equal(x1.values, x2.values)
    # a new session, then the server gone: everything read before comes from the disk cache
    s2 = gw.open(uri)
    b2 = dict(s2.stats)
    x3 = s2.read("eeg", 10.0, 20.0)
    assert s2.stats["bytes"] == b2["bytes"]
    np.testing.assert_array_equal(x1.values, x3.values)


def test_offline_uses_cache(openneuro_env):
    uri = "openneuro://ds000001/sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr"
    x1 = gw.open(uri, timeout=(1, 1), retries=0).read("eeg", 1.0, 4.0)
    openneuro_env.faults.rate, openneuro_env.faults.kinds = 1.0, ("503",)  # the archive is down
    s = gw.open(uri, timeout=(0.5, 0.5), retries=0)
    np.testing.assert_array_equal(s.read("eeg", 1.0, 4.0).values, x1.values)
    with pytest.raises(GlueError):
        s.read("eeg", 30.0, 35.0)  # never fetched: must fail cleanly, not hang


@pytest.mark.parametrize("uri,err", [
    ("openneuro://ds999999/sub-01/eeg/sub-01_task-rest_eeg.edf", NotFoundError),
    ("openneuro://ds000001/sub-09/eeg/sub-09_task-rest_eeg.edf", NotFoundError),
    ("openneuro://ds1/sub-01/eeg/x.edf", InvalidInputError),
    ("openneuro://ds000001", InvalidInputError),
    ("openneuro://ds000001/participants.tsv", InvalidInputError),
])
def test_clear_errors(openneuro_env, uri, err):
    with pytest.raises(err) as info:
        gw.open(uri)
    assert "ds" in str(info.value)
