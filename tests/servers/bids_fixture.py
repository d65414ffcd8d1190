"""A small BIDS dataset written with mne-bids (EDF and BrainVision, EEG and iEEG runs) for the tests."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np


def _raw(ch_names, ch_types, sfreq, seconds, seed, alpha=False):
    import mne

    rng = np.random.default_rng(seed)
    n = int(sfreq * seconds)
    t = np.arange(n) / sfreq
    data = rng.normal(0, 10e-6, (len(ch_names), n))
    if alpha:
        data += 20e-6 * np.sin(2 * np.pi * 10 * t)
    info = mne.create_info(ch_names, sfreq, ch_types)
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.info["line_freq"] = 50
    return raw


def write_eeglab_set(path: str | Path, data: np.ndarray, sfreq: float, names: list[str]) -> Path:
    """A minimal EEGLAB .set (data inside the .set, in µV) that MNE's read_raw_eeglab reads."""
    import scipy.io

    n_ch, n = data.shape
    chanlocs = np.zeros((n_ch,), dtype=[("labels", object), ("X", object), ("Y", object), ("Z", object),
                                        ("type", object)])
    for i, nm in enumerate(names):
        chanlocs[i] = (nm, np.array([]), np.array([]), np.array([]), "EEG")
    eeg = {"setname": "glue_widgets fixture", "nbchan": float(n_ch), "pnts": float(n), "trials": 1.0,
           "srate": float(sfreq), "xmin": 0.0, "xmax": (n - 1) / sfreq, "data": (data * 1e6).astype(np.float32),
           "chanlocs": chanlocs, "event": np.zeros((0,), dtype=[("type", object), ("latency", object),
                                                                ("duration", object)]),
           "icawinv": np.array([]), "icasphere": np.array([]), "icaweights": np.array([]), "epoch": np.array([]),
           "ref": "common"}
    scipy.io.savemat(str(path), {"EEG": eeg}, appendmat=False)
    return Path(path)


def make_bids_dataset(root: str | Path, seconds: float = 40.0) -> Path:
    """Write the dataset under ``root`` (a ``ds000001`` folder) and return its path."""
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    root = Path(root) / "ds000001"
    eeg_names = ["Fp1", "Fz", "Cz", "Pz", "O1", "O2"]
    runs = [
        # subject, task, datatype, format, alpha, with events
        ("01", "rest", "eeg", "EDF", True, False),
        ("01", "arithmetic", "eeg", "BrainVision", False, True),
        ("02", "eyesclosed", "eeg", "BrainVision", True, False),
        ("03", "rest", "ieeg", "BrainVision", False, False),
        ("03", "motor", "ieeg", "EDF", False, True),
    ]
    for i, (sub, task, dtype, fmt, alpha, with_events) in enumerate(runs):
        if dtype == "eeg":
            names = eeg_names + ["ECG"]
            types = ["eeg"] * len(eeg_names) + ["ecg"]
        else:
            names = [f"G{k}" for k in range(1, 5)] + ["D1", "D2", "EOG"]
            types = ["ecog"] * 4 + ["seeg"] * 2 + ["eog"]
        raw = _raw(names, types, 250.0, seconds, seed=i, alpha=alpha)
        if with_events:
            onsets = np.arange(2.0, seconds - 5, 6.0)
            raw.set_annotations(mne.Annotations(onsets, [2.0] * len(onsets),
                                                ["go" if k % 2 else "stop" for k in range(len(onsets))]))
        if dtype == "eeg":  # electrodes.tsv + coordsystem.json
            raw.set_montage(mne.channels.make_standard_montage("colin27_1020"), on_missing="ignore")
        bp = BIDSPath(subject=sub, task=task, datatype=dtype, root=root, suffix=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_raw_bids(raw, bp, allow_preload=True, format=fmt, overwrite=True, verbose="error")
    # an EEGLAB run (not rangeable: read by downloading it), added by hand as mne-bids needs eeglabio
    d = root / "sub-04" / "eeg"
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(9)
    n = int(250 * seconds)
    write_eeglab_set(d / "sub-04_task-eyesopen_eeg.set", rng.normal(0, 1e-5, (4, n)), 250.0,
                     ["Fz", "Cz", "Pz", "Oz"])
    (d / "sub-04_task-eyesopen_eeg.json").write_text(json.dumps(
        {"TaskName": "eyesopen", "SamplingFrequency": 250, "PowerLineFrequency": 50, "EEGReference": "common",
         "SoftwareFilters": "n/a"}))
    (d / "sub-04_task-eyesopen_channels.tsv").write_text(
        "name\ttype\tunits\tstatus\n" + "".join(f"{c}\tEEG\tV\tgood\n" for c in ["Fz", "Cz", "Pz", "Oz"]))
    # a task description that says "rest" without the task name saying so
    side = root / "sub-02" / "eeg" / "sub-02_task-eyesclosed_eeg.json"
    meta = json.loads(side.read_text())
    meta["TaskDescription"] = "Resting state with eyes closed"
    side.write_text(json.dumps(meta, indent=2))
    # species column in participants.tsv
    part = root / "participants.tsv"
    lines = part.read_text().splitlines()
    if "species" not in lines[0].split("\t"):
        lines = [lines[0] + "\tspecies"] + [ln + "\thomo sapiens" for ln in lines[1:]]
        lines.append("sub-04" + "\tn/a" * (len(lines[0].split("\t")) - 2) + "\thomo sapiens")
        part.write_text("\n".join(lines) + "\n")
    return root
