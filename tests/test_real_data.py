"""The bundled real recordings: present, small, open through the readers, and equal to their sources."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io as sio

from glue_widgets.errors import NotFoundError
from glue_widgets.sources.real import REAL_DIR, list_real, open_real, real_path, real_truth

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_bundle_is_small_and_cited():
    total = sum(p.stat().st_size for p in REAL_DIR.rglob("*") if p.is_file())
    assert total <= 30e6, f"bundled real data are {total / 1e6:.1f} MB (> 30 MB)"
    cite = (REAL_DIR / "CITATION.md").read_text()
    for key in ("6:e27342", "10.3390/data4010014", "pynapple", "nelpy", "ODC", "MIT"):
        assert key in cite


def test_list_real_names():
    names = list_real()
    aplysia = [n for n in names if n.startswith("real/aplysia/")]
    preps = {n.split("/")[2] for n in aplysia}
    assert len(preps) >= 2 and len(aplysia) >= 6
    assert all(len([n for n in aplysia if f"/{p}/" in n]) == 3 for p in preps)
    for n in ("real/eegmat/sub-00/rest", "real/eegmat/sub-01/arithmetic", "real/pynapple/A8604",
              "real/pynapple/sub-4_ses-4", "real/nelpy/linear-track"):
        assert n in names
    assert names == sorted(names)


def test_unknown_name():
    with pytest.raises(NotFoundError, match="list_real"):
        open_real("real/aplysia/Nope/da01")


@pytest.mark.parametrize("prep,da", [("Jun0214", "da01"), ("Nov0514", "da03")])
def test_aplysia_equals_source(prep, da):
    with open_real(f"demo://real/aplysia/{prep}/{da}") as s:
        assert s.uri == f"demo://real/aplysia/{prep}/{da}"
        assert s.metadata["species"] == "Aplysia californica" and s.metadata["subject"] == prep
        assert s.metadata["license"] == "MIT"
        ep = s.epochs
        assert ep.label.tolist() == ["spontaneous", "stimulation", "evoked"]
        assert ep[["start", "stop"]].values[:2].tolist() == [[0.0, 30.0], [30.0, 32.5]]
        x = s.read("units", 0.0, 30.0, bin_width=0.1)
        st = s.spike_times("units", 0.0, 122.8)
    src = SHARED / "aplysia_vsd_spikes" / "Spikes" / f"{prep}{da}.mat"
    if not src.exists():
        pytest.skip("shared source data absent")
    spks = sio.loadmat(src)["spks"]
    ids, t = spks[:, 0].astype(int), spks[:, 1]
    assert x.sizes["channel"] == ids.max()
    edges = 0.1 * np.arange(301)
    for j, uid in enumerate(x.channel.values[:20]):
        np.testing.assert_array_equal(x.values[:, j], np.histogram(t[ids == int(uid)], edges)[0])
        np.testing.assert_array_equal(st[uid], np.sort(t[ids == int(uid)]))
    if prep != "Nov0514":
        pos = sio.loadmat(SHARED / "aplysia_vsd_spikes" / "Position" / f"{prep}.mat")
        np.testing.assert_allclose(x.x.values, pos["x"].ravel())


def test_aplysia_same_neurons_across_sessions():
    ch = [open_real(f"real/aplysia/Jun0214/{d}").read("units", 0, 30).channel.values.tolist()
          for d in ("da01", "da02", "da03")]
    assert ch[0] == ch[1] == ch[2] and len(ch[0]) == 136


def test_aplysia_truth():
    tr = real_truth("real/aplysia/Jun0214/da02")
    assert tr["spontaneous"] == [0.0, 30.0] and tr["rest"][0][:2] == (0.0, 30.0)


def test_pynapple_copies_are_identical():
    for short, fname in (("A8604", "A8604-211122.nwb"), ("sub-4_ses-4", "sub-4_ses-4_ecephys+image.nwb")):
        p = real_path(f"real/pynapple/{short}")
        if (SHARED / "pynapple_nwb" / fname).exists():
            assert p.read_bytes() == (SHARED / "pynapple_nwb" / fname).read_bytes()
        with open_real(f"real/pynapple/{short}") as s:
            assert "units" in s.streams


def test_nelpy_has_behaviour_and_no_rest_labels():
    with open_real("real/nelpy/linear-track") as s:
        assert len(s.epochs) == 0  # rest must be found from behaviour
        assert s.metadata["species"] == "Rattus norvegicus"
        assert {"position", "speed", "units"} <= set(s.streams)
        assert s.streams["units"].n_channels == 31
        assert s.streams["position"].modality == "behavior"
        info = s.streams["units"]
        assert info.start_s == pytest.approx(4396.9975) and info.stop_s == pytest.approx(6365.2707, abs=1e-3)
        pos = s.read("position", 5000.0, 5010.0)
        path = real_path("real/nelpy/linear-track")
        with h5py.File(path) as f:
            t = f["processing/behavior/Position/position/timestamps"][()]
            i0, i1 = np.searchsorted(t, [5000.0, 5010.0])
            np.testing.assert_array_equal(pos.values, f["processing/behavior/Position/position/data"][i0:i1])
        assert (np.diff(t) > 0).all()
        sp = s.read("speed", 5500.0, 5600.0)
        run = s.read("speed", 4500.0, 4600.0)
        assert float(np.median(sp)) < float(np.median(run))  # rest is quieter than running
    tr = real_truth("real/nelpy/linear-track")
    assert tr["rest"][0][:2] == (5387.0, 6380.0)
    src = SHARED / "nelpy_hippocampus" / "linear-track" / "spikes.mat"
    if src.exists():
        total = sum(len(v) for v in open_real("real/nelpy/linear-track").spike_times("units").values())
        assert total == 28829


def test_eegmat_bids_layout():
    root = REAL_DIR / "eegmat"
    for sub in ("sub-00", "sub-01"):
        for task in ("rest", "arithmetic"):
            assert (root / sub / "eeg" / f"{sub}_task-{task}_eeg.edf").exists()
    desc = json.loads((root / "dataset_description.json").read_text())
    assert desc["License"] == "ODC-By-1.0"
    assert real_truth("real/eegmat/sub-00/rest")["rest"]
    assert real_truth("real/eegmat/sub-00/arithmetic")["rest"] == []


def test_eegmat_opens_through_bids_reader():
    pytest.importorskip("glue_widgets.sources.bids")
    with open_real("real/eegmat/sub-00/rest") as s:
        eeg = s.streams_of("eeg")
        assert eeg and s.streams[eeg[0]].fs == 500.0
        x = s.read(eeg[0], 10.0, 12.0)
        assert x.sizes["time"] == 1000 and x.attrs["modality"] == "eeg"
    src = SHARED / "eegmat_rest" / "Subject00_1.edf"
    if src.exists():
        mne = pytest.importorskip("mne")
        raw = mne.io.read_raw_edf(src, verbose="error")
        ref = raw.get_data(picks=["EEG Fp1"], start=5000, stop=6000)[0]
        got = x.sel(channel="Fp1").values
        np.testing.assert_allclose(got, ref, atol=1e-7)  # EDF re-encoding keeps µV resolution


@pytest.mark.parametrize("name", ["real/aplysia/Jun0414B/da02", "real/nelpy/linear-track"])
def test_converted_nwb_pass_nwbinspector(name):
    nwbinspector = pytest.importorskip("nwbinspector")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msgs = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(real_path(name))))
    critical = [m for m in msgs if m.importance.name in ("CRITICAL", "ERROR", "PYNWB_VALIDATION")]
    assert not critical, [m.message for m in critical]


def test_real_sessions_through_gw_open_and_demo_list():
    import glue_widgets as gw

    demo = pytest.importorskip("glue_widgets.sources.demo")
    if "demo://real/nelpy/linear-track" not in demo.list(include_real=True):
        pytest.skip("gw.demo does not list the bundled real data yet")
    with gw.open("demo://real/aplysia/Jun0514/da02") as s:
        assert s.uri == "demo://real/aplysia/Jun0514/da02"
        assert s.read("units", 0.0, 30.0).sizes["channel"] == 160
