"""The demo corpus (size "small"): every session opens, every stream reads, truth matches the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import glue_widgets as gw
from glue_widgets.errors import NotFoundError
from glue_widgets.sources import demo
from glue_widgets.sources.demo.truthfile import BIDS_TRUTH_KEYS, NWB_TRUTH_KEYS

pytest.importorskip("pynwb")
pytest.importorskip("mne_bids")


@pytest.fixture(scope="module")
def corpus(small_demo_corpus):
    """The small corpus (tests/conftest.py builds it once per run into a temporary cache)."""
    return small_demo_corpus


def _nwb_uris():
    return [u for u in demo.list(include_real=False) if not u.startswith("demo://delta/")]


def _bids_uris():
    return [u for u in demo.list(include_real=False) if u.startswith("demo://delta/")]


def test_list_names_the_consortium():
    uris = demo.list(include_real=False)
    assert len(uris) == len(set(uris)) >= 20
    for u in ("demo://arbor/m01/day0", "demo://arbor/m01/day3", "demo://arbor/m02/day2", "demo://birch/b01/s1",
              "demo://cedar/k01/s1", "demo://elm/r01/long", "demo://delta/sub-01/rest/eeg",
              "demo://delta/sub-03/checkerboard/ieeg"):
        assert u in uris
    assert all(u.startswith("demo://") for u in demo.list())
    assert set(uris) <= set(demo.list(include_real=True))


def test_describe_columns_and_content():
    d = demo.describe()
    for col in ("uri", "lab", "species", "subject", "session", "day", "modalities", "streams", "rest_evidence",
                "state_definition", "apparatus", "generator", "family"):
        assert col in d.columns
    assert list(d.uri) == demo.list(include_real=False)
    assert d.lab.nunique() >= 3 and d.species.nunique() >= 2 and d.subject.nunique() >= 6
    assert set(d.rest_evidence) == {"epochs", "behavior", "bids-task"}
    m01 = d[d.subject == "m01"]
    assert m01.day.nunique() >= 3 and m01.generator.nunique() == 1
    assert set(d[d.subject == "m02"].family) == {"rotational"}
    assert d.generator.nunique() >= 6  # one generator per subject
    mods = {m for ms in d.modalities for m in ms}
    assert {"spikes", "calcium", "lfp", "eeg", "ecog", "behavior"} <= mods


def test_unknown_name_lists_valid_names(corpus):
    with pytest.raises(NotFoundError, match="demo://arbor/m01/day0"):
        gw.open("demo://arbor/m99/day0")
    with pytest.raises(NotFoundError):
        demo.truth("demo://nope")


def test_every_session_opens_and_every_stream_reads(corpus):
    d = demo.describe().set_index("uri")
    for uri in demo.list(include_real=False):
        with gw.open(uri) as s:
            assert s.uri == uri
            assert set(d.loc[uri, "streams"]) <= set(s.streams), (uri, list(s.streams))
            assert s.metadata.get("species") in (d.loc[uri, "species"], None) or uri.startswith("demo://delta")
            for name, info in s.streams.items():
                x = s.read(name, info.start_s + 1.0, info.start_s + 6.0)
                assert x.dims == ("time", "channel") and x.sizes["time"] > 0 and x.sizes["channel"] == info.n_channels
                assert np.isfinite(np.asarray(x.values, float)).all()


def test_truth_has_documented_keys(corpus):
    for uri in ("demo://arbor/m01/day0", "demo://birch/b01/s1", "demo://elm/r01/long"):
        t = demo.truth(uri)
        assert set(NWB_TRUTH_KEYS) <= set(t), set(NWB_TRUTH_KEYS) - set(t)
        assert t["uri"] == uri
        assert t["latents"].dims == ("time", "latent") and t["latents"].shape[1] == t["k"]
        np.testing.assert_allclose(t["latents"].time.values, t["latent_time"])
        assert t["dynamics"]["A"].shape == (t["k"], t["k"])
    for uri in ("demo://delta/sub-01/rest/eeg", "demo://delta/sub-02/checkerboard/ieeg"):
        t = demo.truth(uri)
        assert set(BIDS_TRUTH_KEYS) <= set(t)
        assert t["leadfield"]["eeg"].shape == (32, len(t["source_names"]))


def test_arbor_epochs_anchors_and_rest_states(corpus):
    spec = next(s for s in demo.corpus.nwb_sessions("small") if s.uri == "demo://arbor/m01/day0")
    with gw.open("demo://arbor/m01/day0") as s:
        ep = s.epochs
        labels = set(ep.label)
        assert {"spontaneous gray screen", "spontaneous dark", "task", "anchor", "movement"} <= labels
        gray = ep[ep.label == "spontaneous gray screen"].iloc[0]
        assert gray.stop - gray.start == pytest.approx(spec.blocks[0].duration)
        anchors = ep[ep.label == "anchor"]
        assert 8 <= len(anchors) <= 20
        t = demo.truth("demo://arbor/m01/day0")
        np.testing.assert_allclose(np.sort(anchors.start.values), t["anchor_times"])
        assert [r[2] for r in t["rest_epochs"]] == ["gray screen", "dark"]
        assert t["family"] == "timescales" and t["communication"]["rank"] == 2
        assert np.linalg.matrix_rank(t["communication"]["B"]) == 2
        # the two rest states differ: pupil is larger in the dark
        pup = s.read("pupil_diameter")
        g0, g1 = t["rest_epochs"][0][:2]
        d0, d1 = t["rest_epochs"][1][:2]
        tt = pup.time.values
        assert pup.values[(tt >= d0 + 5) & (tt < d1), 0].mean() > pup.values[(tt >= g0 + 5) & (tt < g1), 0].mean() + 0.3


def test_birch_rest_is_unlabelled_but_quiet(corpus):
    with gw.open("demo://birch/b01/s1") as s:
        t = demo.truth("demo://birch/b01/s1")
        assert not s.epochs.label.str.contains("rest|spontaneous", regex=True).any()
        (r0, r1, state), = t["rest_epochs"]
        run = s.read("running_speed")
        tt = run.time.values
        inside = run.values[(tt >= r0 + 10) & (tt < r1), 0]
        outside = run.values[(tt < r0) | (tt >= r1 + 10), 0]
        assert inside.mean() < 0.3 * outside.mean()


def test_turnover_and_stable_unit_ids(corpus):
    t0 = demo.truth("demo://arbor/m01/day0")
    ids0 = set(np.concatenate(list(t0["unit_ids"].values())).tolist())
    for day, frac in ((1, 0.25), (2, 0.5), (3, 0.75)):
        uri = f"demo://arbor/m01/day{day}"
        t = demo.truth(uri)
        ids = np.concatenate(list(t["unit_ids"].values()))
        kept = len(ids0 & set(ids.tolist())) / len(ids0)
        assert kept == pytest.approx(1 - frac, abs=0.03)
        assert all(t["unit_to_neuron"][i] == t0["unit_to_neuron"][i] for i in ids0 & set(ids.tolist()))
        with gw.open(uri) as s:
            assert sorted(s.streams["units"].extra.get("channels", [str(i) for i in ids])) == sorted(str(i) for i in ids) or \
                sorted(s.read("units", 0, 2).channel.values.tolist()) == sorted(str(i) for i in ids)
        np.testing.assert_allclose(t["dynamics"]["A"], t0["dynamics"]["A"])  # same generator, same dynamics


def test_calcium_correlates_with_true_spikes(corpus):
    t = demo.truth("demo://birch/b01/s1")
    with gw.open("demo://birch/b01/s1") as s:
        dff = s.read("RoiResponseSeries")
    counts = t["true_spike_counts"]
    assert counts.shape == dff.shape
    kern = np.exp(-np.arange(30) / (0.2 * 30.0))
    r = []
    for j, ch in enumerate(counts.channel.values):
        c = np.convolve(counts.values[:, j].astype(float), kern)[: counts.shape[0]]
        r.append(np.corrcoef(c, dff.sel(channel=ch).values)[0, 1])
    assert np.median(r) > 0.5, np.median(r)
    assert set(t["true_spikes"]) == {int(c) for c in counts.channel.values}


def test_eeg_is_linear_projection_of_sources(corpus):
    t = demo.truth("demo://delta/sub-01/rest/eeg")
    with gw.open("demo://delta/sub-01/rest/eeg") as s:
        x = s.read("eeg", 0.0, 20.0)
        ec = s.read("eeg", 70.0, 110.0)
        eo = s.read("eeg", 10.0, 50.0)
    S = t["sources"].sel(time=slice(0.0, 20.0 - 1e-9)).values
    pred = S @ t["leadfield"]["eeg"].T
    assert np.linalg.matrix_rank(pred, tol=1e-6 * np.abs(pred).max()) == len(t["source_names"])
    xv = np.asarray(x.sel(channel=t["channels"]["eeg"]).values, float)
    scale = 1e6 if x.attrs.get("units") in ("uV", "µV") else 1.0
    resid = xv / scale - pred
    assert resid.std() == pytest.approx(t["sensor_noise_sd"]["eeg"], rel=0.3)
    assert resid.std() < 0.3 * pred.std()
    # eyes closed: occipital alpha power up
    from scipy.signal import welch

    def alpha(seg):
        f, p = welch(np.asarray(seg.sel(channel=["O1", "O2", "Oz"]).values, float), fs=200.0, axis=0, nperseg=400)
        return p[(f >= 8) & (f <= 12)].mean()

    assert alpha(ec) > 2.0 * alpha(eo)


def test_bids_dataset_files(corpus):
    root = corpus / "bids"
    assert (root / "dataset_description.json").is_file()
    part = pd.read_csv(root / "participants.tsv", sep="\t")
    assert list(part.participant_id) == ["sub-01", "sub-02", "sub-03"]
    ev = pd.read_csv(root / "sub-01" / "eeg" / "sub-01_task-rest_events.tsv", sep="\t")
    assert list(ev.trial_type) == ["eyes open", "eyes closed"]
    with gw.open("demo://delta/sub-02/rest/ieeg") as s:
        assert s.streams_of("ecog")


def test_long_stream_and_chunking(corpus):
    import h5py

    p = demo.path("demo://elm/r01/long")
    with gw.open("demo://elm/r01/long") as s:
        assert s.streams["LFP"].duration_s >= 3600.0 - 1e-6
    with h5py.File(p, "r") as f:
        ds = f["processing/ecephys/LFP/LFP/data"]
        # chunks span whole seconds and at least 16 KiB, so a window reads few of them
        fs = int(s.streams["LFP"].fs)
        assert ds.chunks is not None and ds.chunks[0] >= fs
        assert ds.chunks[0] * ds.dtype.itemsize * ds.shape[1] >= 16 * 1024 or ds.chunks[0] == ds.shape[0]
        st = f["units/spike_times"] if "units" in f else None
        if st is not None:
            assert st.chunks is not None and st.chunks[0] <= 4096


def test_other_labs_rest_labels(corpus):
    with gw.open("demo://cedar/k01/s1") as s:
        assert "rest eyes-open fixation" in set(s.epochs.label)
        assert demo.truth("demo://cedar/k01/s1")["communication"]["rank"] == 3
    with gw.open("demo://elm/r01/long") as s:
        ep = s.epochs
        rest = ep[ep.label == "rest home cage"].iloc[0]
        assert rest.stop - rest.start == pytest.approx(2400.0)
    with gw.open("demo://delta/sub-03/checkerboard/eeg") as s:
        ep = s.epochs
        stim = ep[(ep.label == "checkerboard") & (ep.source_table != "bids-task")]  # not the whole-run row
        np.testing.assert_allclose(stim.start.values, demo.truth("demo://delta/sub-03/checkerboard/eeg")["anchor_times"],
                                   atol=1e-6)


def test_real_sessions_delegate():
    real = pytest.importorskip("glue_widgets.sources.real")
    names = real.list_real()
    if not names:
        pytest.skip("no bundled real data in this checkout")
    uri = next(u for u in demo.list() if u.startswith("demo://real/"))
    with gw.open(uri) as s:
        name, info = next(iter(s.streams.items()))
        x = s.read(name, info.start_s, info.start_s + 2.0)
        assert x.sizes["time"] > 0
    assert isinstance(demo.truth(uri), dict)


def test_api_names_are_not_shadowed_by_submodules(corpus):
    # submodules imported lazily inside build()/truth() must not replace the functions of the same name
    demo.truth("demo://arbor/m01/day0")
    demo.build()
    for name in ("list", "describe", "build", "truth", "open_demo", "path"):
        assert callable(getattr(gw.demo, name)), name
    assert gw.demo is demo
