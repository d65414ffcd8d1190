"""Convert the permissively licensed real recordings in ../shared/data into glue_widgets/data/real/.

Run once by a maintainer (the outputs are committed):

    PYTHONPATH=. .venv/bin/python scripts/bundle_real_data.py [--src ../shared/data]

Outputs (each cited in glue_widgets/data/real/CITATION.md):

- ``aplysia/<prep>/<prep>_<da0N>.nwb``: Aplysia pedal-ganglion VSD spike trains (Bruno, Frost & Humphries 2017,
  MIT) as NWB Units, neuron ids as unit ids, diode-array x/y as unit columns; epochs "spontaneous"
  0-30 s, "stimulation" 30-32.5 s, "evoked" 32.5 s-end (DataSet_Properties.m of the source repo).
- ``eegmat/``: a BIDS dataset (mne-bids) of two EEGMAT subjects (Zyma et al. 2019, ODC-By):
  ``task-rest`` from ``SubjectNN_1.edf``, ``task-arithmetic`` from ``SubjectNN_2.edf``.
- ``pynapple/``: the two pynapple NWB files, copied byte for byte (MIT).
- ``nelpy/linear-track.nwb``: rat CA1 tetrode units + LED position (nelpy example-data, MIT), with NO
  epochs: rest must be found from behaviour. The MANIFEST's inferred run/rest bounds go to
  ``nelpy/linear-track.truth.json`` for evaluation only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.io as sio

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "glue_widgets" / "data" / "real"
APLYSIA_PREPS = ("Jun0214", "Jun0414B", "Jun0514", "Jun1114", "May2214", "Nov0514")
APLYSIA_SPONT = (0.0, 30.0)
APLYSIA_STIM = (30.0, 32.5)
EEGMAT_SUBJECTS = ("00", "01")


def _h5io(data):
    from hdmf.backends.hdf5.h5_utils import H5DataIO

    return H5DataIO(data, compression="gzip", compression_opts=4, shuffle=True)


def _write(nwb, path: Path) -> None:
    from pynwb import NWBHDF5IO

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w") as io_:
            io_.write(nwb)


def bundle_aplysia(src: Path) -> list[str]:
    from pynwb import NWBFile
    from pynwb.file import Subject

    written = []
    for prep in APLYSIA_PREPS:
        pos_file = src / "Position" / f"{prep}.mat"
        pos = sio.loadmat(pos_file) if pos_file.exists() else None
        for da in ("da01", "da02", "da03"):
            spks = sio.loadmat(src / "Spikes" / f"{prep}{da}.mat")["spks"]
            ids = spks[:, 0].astype(int)
            t = spks[:, 1].astype(np.float64)
            n = int(ids.max())
            if pos is not None:
                n = max(n, pos["x"].size)
            end = float(np.ceil(t.max() * 10) / 10)  # recordings are ~122.7 s
            nwb = NWBFile(
                session_description=(f"Aplysia pedal ganglion {prep} recording {da}: VSD-imaged spike trains, "
                                     "0-30 s spontaneous, nerve stimulation 30-32.5 s, then evoked fictive locomotion"),
                identifier=f"aplysia-{prep}-{da}",
                session_start_time=datetime(2014, 1, 1, tzinfo=timezone.utc),  # date not in the source files
                session_id=da,
                lab="Humphries lab (analysis); Frost lab (recordings)",
                institution="University of Manchester / Rosalind Franklin University",
                experiment_description="Bruno, Frost & Humphries (2017) eLife 6:e27342",
                related_publications=["doi:10.7554/eLife.27342"],
                # age and sex are not in the source: "U" = unknown, "P0D/" = an open-ended age range
                subject=Subject(subject_id=prep, species="Aplysia californica", sex="U", age="P0D/",
                                description="isolated pedal ganglion preparation (adult; age not recorded)"),
            )
            nwb.add_unit_column("location", "ganglion")
            if pos is not None:
                nwb.add_unit_column("x", "diode-array x coordinate of the neuron (Position/<prep>.mat)")
                nwb.add_unit_column("y", "diode-array y coordinate of the neuron")
            order = np.lexsort((t, ids))
            ids, t = ids[order], t[order]
            for uid in range(1, n + 1):
                kw = {"location": "pedal ganglion"}
                if pos is not None:
                    kw["x"] = float(pos["x"].ravel()[uid - 1])
                    kw["y"] = float(pos["y"].ravel()[uid - 1])
                nwb.add_unit(spike_times=t[ids == uid], id=uid, **kw)
            nwb.add_epoch(*APLYSIA_SPONT, ["spontaneous"])
            nwb.add_epoch(*APLYSIA_STIM, ["stimulation"])
            nwb.add_epoch(APLYSIA_STIM[1], end, ["evoked"])
            out = OUT / "aplysia" / prep / f"{prep}_{da}.nwb"
            _write(nwb, out)
            written.append(str(out.relative_to(OUT)))
    truth = {"spontaneous": list(APLYSIA_SPONT), "stimulation": list(APLYSIA_STIM),
             "source": "DataSet_Properties.m of mdhumphries/AplysiaAttractorAnalysis",
             "correspondence": "unit ids are the same neurons across da01-da03 of one preparation; "
                               "no correspondence across preparations"}
    (OUT / "aplysia" / "truth.json").write_text(json.dumps(truth, indent=1))
    return written


def bundle_eegmat(src: Path) -> list[str]:
    import mne
    import mne_bids
    import pandas as pd

    root = OUT / "eegmat"
    if root.exists():
        shutil.rmtree(root)
    info = pd.read_csv(src / "subject-info.csv").set_index("Subject")
    written = []
    for sub in EEGMAT_SUBJECTS:
        for run_file, task in (("_1", "rest"), ("_2", "arithmetic")):
            raw = mne.io.read_raw_edf(src / f"Subject{sub}{run_file}.edf", preload=True, verbose="error")
            mapping = {c: c.replace("EEG ", "").replace("ECG ", "") for c in raw.ch_names}
            raw.rename_channels(mapping)
            types = {c: "eeg" for c in raw.ch_names}
            if "ECG" in types:
                types["ECG"] = "ecg"
            if "A2-A1" in types:
                types["A2-A1"] = "misc"
            raw.set_channel_types(types)
            # no montage: template positions would be written as if digitized (10-20 names are kept)
            raw.info["line_freq"] = 50.0
            bp = mne_bids.BIDSPath(subject=sub, task=task, datatype="eeg", root=root)
            mne_bids.write_raw_bids(raw, bp, format="EDF", allow_preload=True, overwrite=True, verbose="error")
            written.append(str(bp.fpath.relative_to(OUT)))
    part = root / "participants.tsv"
    df = pd.read_csv(part, sep="\t")
    df["age"] = [int(info.loc[f"Subject{p.split('-')[1]}", "Age"]) for p in df.participant_id]
    df["sex"] = [info.loc[f"Subject{p.split('-')[1]}", "Gender"] for p in df.participant_id]
    df.to_csv(part, sep="\t", index=False, na_rep="n/a")
    desc = root / "dataset_description.json"
    d = json.loads(desc.read_text())
    d.update({"Name": "EEGMAT (EEG during mental arithmetic), two subjects", "License": "ODC-By-1.0",
              "Authors": ["Igor Zyma", "Sergii Tukaev", "Ivan Seleznov"],
              "ReferencesAndLinks": ["Zyma et al. (2019) Data 4(1):14, doi:10.3390/data4010014",
                                     "Goldberger et al. (2000) PhysioNet, Circulation 101(23):e215"]})
    desc.write_text(json.dumps(d, indent=1))
    truth = {"rest_task": "rest", "note": "task-rest = resting background EEG recorded before the arithmetic task "
             "(eye state not stated by the source); task-arithmetic = serial subtraction"}
    (root / "truth.json").write_text(json.dumps(truth, indent=1))
    return written


def bundle_pynapple(src: Path) -> list[str]:
    out = OUT / "pynapple"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("A8604-211122.nwb", "sub-4_ses-4_ecephys+image.nwb"):
        shutil.copyfile(src / name, out / name)
        written.append(f"pynapple/{name}")
    return written


def _tracker(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = path.read_bytes()
    i = raw.index(b"<End settings>") + len(b"<End settings>\n")
    rec = np.frombuffer(raw[i:i + (len(raw) - i) // 12 * 12],
                        dtype=[("time", "<u4"), ("x", "<u2"), ("y", "<u2"), ("x2", "<u2"), ("y2", "<u2")])
    t = rec["time"].astype(np.float64) / 30000.0  # clockrate 30 kHz (file header)
    keep = np.concatenate([[True], np.diff(t) > 0])  # the tracker repeats a few frames; keep the first
    keep &= np.maximum.accumulate(t) == t
    xy = np.stack([rec["x"], rec["y"]], axis=1)[keep].astype(np.uint16)
    return t[keep], xy


def bundle_nelpy(src: Path) -> list[str]:
    from pynwb import NWBFile, TimeSeries
    from pynwb.behavior import BehavioralTimeSeries, Position
    from pynwb.file import Subject
    from scipy.ndimage import uniform_filter1d

    d = src / "linear-track"
    s = sio.loadmat(d / "spikes.mat", squeeze_me=True, struct_as_record=False)["spikes"]
    nwb = NWBFile(
        session_description=("Rat on a linear track (~15 min run) followed by ~15 min of rest, tetrode units and "
                             "LED position; nelpy example-data 'linear-track'. Run/rest epochs are not labelled."),
        identifier="nelpy-linear-track",
        session_start_time=datetime(2017, 1, 1, tzinfo=timezone.utc),  # date not in the source files
        session_id="linear-track",
        lab="Kemere lab",
        institution="Rice University",
        subject=Subject(subject_id="nelpy-linear-track-rat", species="Rattus norvegicus", sex="U", age="P0D/",
                        description="rat with hippocampal tetrodes (age and sex not given by the source)"),
        experiment_description="Linear-track run followed by rest; nelpy example-data.",
    )
    from pynwb.misc import Units

    nwb.units = Units(name="units", description="MatClust-sorted tetrode units", resolution=1 / 30000.0)
    nwb.add_unit_column("location", "recording area (CA1 per the nelpy tutorials)")
    nwb.add_unit_column("tetrode", "tetrode number (1-based, spikes.mat cell index)")
    nwb.add_unit_column("cluster", "MatClust cluster number within the tetrode (1-based)")
    n_units = 0
    for ti, tet in enumerate(np.atleast_1d(s)):
        for ci, u in enumerate(np.atleast_1d(tet)):
            if hasattr(u, "time") and np.size(u.time):
                t = np.sort(np.atleast_1d(np.asarray(u.time, float)))
                obs = np.atleast_1d(np.asarray(u.timerange, float)).reshape(1, 2)  # the sorted time range
                nwb.add_unit(spike_times=t, obs_intervals=obs, id=(ti + 1) * 100 + ci + 1, location="CA1",
                             tetrode=ti + 1, cluster=ci + 1)
                n_units += 1
    t, xy = _tracker(d / "trajectory.videoPositionTracking")
    beh = nwb.create_processing_module("behavior", "LED tracker position")
    pos = Position(name="Position")
    pos.create_spatial_series(name="position", data=_h5io(xy), timestamps=_h5io(t), unit="pixels",
                              reference_frame="camera image, 640x480 pixels (pixel scale not recorded)",
                              description="LED position from trajectory.videoPositionTracking (30 kHz clock); "
                                          "repeated frames dropped")
    beh.add(pos)
    # speed is derived here (not in the source) so rest detection has a running-speed stream
    xs = uniform_filter1d(xy.astype(float), size=15, axis=0)  # ~0.25 s at 60 Hz
    v = np.hypot(*np.gradient(xs, t, axis=0).T).astype(np.float32)
    bts = BehavioralTimeSeries(name="BehavioralTimeSeries")
    bts.add_timeseries(TimeSeries(name="speed", data=_h5io(v), timestamps=pos["position"].timestamps,
                                  unit="pixels/s",
                                  description="derived by scripts/bundle_real_data.py: speed of the 0.25-s "
                                              "boxcar-smoothed LED position (np.gradient)"))
    beh.add(bts)
    out = OUT / "nelpy" / "linear-track.nwb"
    _write(nwb, out)
    truth = {"run": [4397.0, 5387.0], "rest": [[5387.0, 6380.0]], "n_units": n_units,
             "source": "nelpy_hippocampus/MANIFEST.md: bounds inferred from tracker stillness (no x-movement for "
                       ">= 60 s); README: '15 min run then 15 min rest'. EVALUATION ONLY."}
    (OUT / "nelpy" / "linear-track.truth.json").write_text(json.dumps(truth, indent=1))
    shutil.copyfile(src / "LICENSE", OUT / "nelpy" / "LICENSE")
    return [str(out.relative_to(OUT))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--only", nargs="*", default=["aplysia", "eegmat", "pynapple", "nelpy"])
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = {"aplysia": (bundle_aplysia, "aplysia_vsd_spikes"), "eegmat": (bundle_eegmat, "eegmat_rest"),
            "pynapple": (bundle_pynapple, "pynapple_nwb"), "nelpy": (bundle_nelpy, "nelpy_hippocampus")}
    for key in args.only:
        func, folder = jobs[key]
        files = func(args.src / folder)
        print(f"{key}: {len(files)} files")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"total {total / 1e6:.1f} MB in {OUT}")


if __name__ == "__main__":
    main()
