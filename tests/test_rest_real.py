"""extract_rest on real recordings (../shared/data), loaded directly into ArraySessions per MANIFEST.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import glue_widgets as gw
from glue_widgets.errors import NotFoundError
from glue_widgets.model import ArraySession, make_timeseries
from glue_widgets.rest import ShortRestWarning


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def aplysia_session(root, prep="Jun0214", rec="da01"):
    import scipy.io as sio
    spks = sio.loadmat(root / f"aplysia_vsd_spikes/Spikes/{prep}{rec}.mat")["spks"]
    ids = spks[:, 0].astype(int)
    units = {str(i): spks[ids == i, 1] for i in np.unique(ids)}
    t_end = float(spks[:, 1].max())
    # the epochs table of the design (DataSet_Properties.m): spontaneous, stimulation, evoked activity
    ep = pd.DataFrame({"start": [0.0, 30.0, 32.5], "stop": [30.0, 32.5, t_end],
                       "label": ["spontaneous", "nerve stimulation", "evoked fictive locomotion"]})
    return ArraySession(f"file://aplysia/{prep}{rec}", spikes={"vsd": units}, epochs=ep,
                        metadata={"species": "aplysia", "subject": prep, "session": rec, "lab": "Humphries"})


def nelpy_session(root, name):
    import scipy.io as sio
    d = root / "nelpy_hippocampus" / name
    raw = (d / "trajectory.videoPositionTracking").read_bytes()
    i = raw.index(b"<End settings>") + 15
    a = np.frombuffer(raw[i:i + (len(raw) - i) // 12 * 12],
                      dtype=[("time", "<u4"), ("x", "<u2"), ("y", "<u2"), ("x2", "<u2"), ("y2", "<u2")])
    t, keep = np.unique(a["time"] / 30000.0, return_index=True)
    pos = make_timeseries(np.c_[a["x"], a["y"]].astype(float)[keep], t, ["x", "y"], modality="behavior",
                          fs=60.0, units="pixels")
    sp = sio.loadmat(d / "spikes.mat", squeeze_me=True, struct_as_record=False)["spikes"]
    units = [np.atleast_1d(np.asarray(u.time, float)) for tet in np.atleast_1d(sp) for u in np.atleast_1d(tet)
             if hasattr(u, "time") and np.size(u.time)]
    return ArraySession(f"file://nelpy/{name}", signals={"position": pos},
                        spikes={"units": {f"u{k}": u for k, u in enumerate(units)}},
                        metadata={"species": "rat", "subject": "nelpy", "session": name, "lab": "Kemere"})


def eegmat_session(root, subject, run):
    mne = pytest.importorskip("mne")
    raw = mne.io.read_raw_edf(root / f"eegmat_rest/Subject{subject:02d}_{run}.edf", preload=True, verbose="error")
    raw.pick([c for c in raw.ch_names if c.startswith("EEG ") and "A2-A1" not in c])
    x = raw.get_data().T
    eeg = make_timeseries(x, raw.times, [c.replace("EEG ", "") for c in raw.ch_names], modality="eeg",
                          fs=raw.info["sfreq"], units="V")
    task = "rest" if run == 1 else "arithmetic"  # _1 files: resting background; _2: serial subtraction
    return ArraySession(f"file://eegmat/Subject{subject:02d}_{run}", signals={"eeg": eeg},
                        metadata={"species": "human", "subject": f"{subject:02d}", "TaskName": task})


def test_aplysia_spontaneous_from_epochs(shared_data):
    for prep in ("Jun0214", "Nov0514"):
        s = aplysia_session(shared_data, prep)
        with pytest.warns(ShortRestWarning):
            seg = gw.extract_rest(s, bin_width=0.1)
        c = seg.attrs["card"]
        assert (c["start"], c["stop"]) == (0.0, 30.0)
        assert c["state"]["evidence"] == "epochs" and c["species"] == "Aplysia californica"
        assert c["coverage"] == pytest.approx(0.05) and c["bin_width_s"] == 0.1
        assert seg.sizes["time"] == 300 and seg.sizes["channel"] == s.streams["vsd"].n_channels
        # the stimulation that follows is not rest
        assert gw.find_rest_candidates(s).stop.max() <= 30.0


@pytest.mark.parametrize("name,truth", [("linear-track", [(5387.0, 6380.0)]),
                                        ("w-maze", [(1195.4, 2205.4), (3425.4, 4371.3)])])
def test_nelpy_rest_between_runs_from_position(shared_data, name, truth):
    s = nelpy_session(shared_data, name)
    c = gw.find_rest_candidates(s)
    assert (c.evidence == "behavior").all()
    long = c[c.duration_s > 300].sort_values("start")
    assert len(long) == len(truth)   # exactly the rest epochs, none inside the runs
    for (a, b), (_, row) in zip(truth, long.iterrows()):
        assert iou((row.start, row.stop), (a, b)) >= 0.9
    seg = gw.extract_rest(s, min_duration=600, bin_width=0.1)
    card = seg.attrs["card"]
    assert max(iou((card["start"], card["stop"]), t) for t in truth) >= 0.9
    assert card["state"]["inferred"] == "still" and card["meets_target"]


def test_eegmat_rest_file_vs_arithmetic_file(shared_data):
    for subject in (0, 3):
        s1 = eegmat_session(shared_data, subject, 1)
        with pytest.warns(ShortRestWarning):
            seg = gw.extract_rest(s1)
        c = seg.attrs["card"]
        assert c["state"]["evidence"] == "bids-task"
        assert c["duration_s"] == pytest.approx(s1.streams["eeg"].duration_s, abs=0.01)
        assert c["state"]["inferred"] is not None and "alpha_ratio" in c["state"]["details"]
        assert c["n_channels"] == 19 and c["species"] == "Homo sapiens"
        s2 = eegmat_session(shared_data, subject, 2)
        with pytest.raises(NotFoundError, match="arithmetic"):
            gw.extract_rest(s2)
