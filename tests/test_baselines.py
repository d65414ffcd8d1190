"""compare_baselines / baseline_corrected_effects on simulated rest states with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from glue_widgets.rest.baselines import baseline_corrected_effects, compare_baselines
from glue_widgets.errors import InvalidInputError
from glue_widgets.model import make_timeseries

FS = 50.0


def state(n=6000, mix=None, seed=0, n_ch=8, osc=None, arousal_sd=0.0, arousal_w=None):
    """A rest 'state': AR(1) latents (k=3) mixed into channels + noise, optional oscillation and arousal confound."""
    rng = np.random.default_rng(seed)
    k = 3
    z = np.zeros((n, k))
    e = rng.normal(size=(n, k))
    for i in range(1, n):
        z[i] = 0.9 * z[i - 1] + e[i]
    mix = np.random.default_rng(99).normal(size=(k, n_ch)) if mix is None else mix
    x = z @ mix + rng.normal(size=(n, n_ch))
    t = np.arange(n) / FS
    if osc is not None:
        x[:, :2] += osc * np.sin(2 * np.pi * 10 * t + rng.uniform(0, 6))[:, None]
    a = np.zeros(n)
    if arousal_sd:
        # slow arousal fluctuations (OU, tau ~ 10 s) add along a fixed channel pattern
        g = np.exp(-1 / (10 * FS))
        w = rng.normal(size=n) * np.sqrt(1 - g * g) * arousal_sd
        for i in range(1, n):
            a[i] = g * a[i - 1] + w[i]
        x += a[:, None] * (arousal_w if arousal_w is not None else np.linspace(1, 3, n_ch))[None, :]
    return make_timeseries(x, t, [f"c{i}" for i in range(n_ch)], modality="lfp", fs=FS), a[:, None]


def test_same_state_ratio_near_one():
    ratios, sratios, ps = [], [], []
    for seed in range(8):
        a, _ = state(seed=2 * seed)
        b, _ = state(seed=2 * seed + 1)
        r = compare_baselines(a, b)
        ratios.append(r["covariance"]["ratio"])
        sratios.append(r["spectral"]["ratio"])
        ps.append(r["covariance"]["p_value"])
    assert 0.85 < np.median(ratios) < 1.2, ratios
    assert 0.85 < np.median(sratios) < 1.2, sratios
    assert np.mean(np.asarray(ps) < 0.05) <= 0.25


def test_different_states_separate():
    a, _ = state(seed=1)
    mix2 = np.random.default_rng(99).normal(size=(3, 8))
    mix2[0] *= 2.0  # one latent twice as strong in Spon.2
    b, _ = state(seed=2, mix=mix2)
    r = compare_baselines(a, b)
    assert r["covariance"]["ratio"] > 1.5 and r["covariance"]["p_holm"] < 0.05 and r["different"]
    assert r["settings"]["n_blocks"] == 20 and r["settings"]["block_s"] == pytest.approx(6.0)
    # an alpha-like oscillation in Spon.2 shows in the spectra
    c, _ = state(seed=3, osc=3.0)
    s = compare_baselines(a, c)
    assert s["spectral"]["ratio"] > 1.25 and s["spectral"]["p_holm"] < 0.05 and s["different"]


def test_arousal_regression_removes_confound():
    a, ca = state(seed=4, arousal_sd=0.3)
    b, cb = state(seed=5, arousal_sd=3.0)
    raw = compare_baselines(a, b)
    reg = compare_baselines(a, b, covariates_a=ca, covariates_b=cb)
    assert raw["covariance"]["ratio"] > 1.5 and raw["different"]
    assert reg["covariance"]["ratio"] < 1.25 and reg["arousal_regression"]["n_covariates"] == 1
    with pytest.raises(InvalidInputError, match="both segments"):
        compare_baselines(a, b, covariates_a=ca)


def test_shared_channels_and_projection():
    a, _ = state(seed=6)
    b, _ = state(seed=7)
    b2 = b.isel(channel=slice(2, None))
    r = compare_baselines(a, b2)
    assert r["n_channels"] == 6 and r["channels"] == [f"c{i}" for i in range(2, 8)]
    W = np.random.default_rng(0).normal(size=(8, 3))
    p = compare_baselines(a, b, projection=W)
    assert p["n_channels"] == 3 and p["settings"]["projection"] == "given"
    with pytest.raises(InvalidInputError, match="share no channel"):
        compare_baselines(a, b.assign_coords(channel=[f"z{i}" for i in range(8)]))
    with pytest.raises(InvalidInputError, match="channels"):
        compare_baselines(np.zeros((100, 3)), np.zeros((100, 4)))


def test_bad_arguments():
    a, _ = state(n=2000, seed=8)
    with pytest.raises(InvalidInputError, match="n_blocks"):
        compare_baselines(a, a, n_blocks=1)
    b = a.copy()
    b.attrs["fs"] = 100.0
    with pytest.raises(InvalidInputError, match="Hz"):
        compare_baselines(a, b)
    with pytest.raises(InvalidInputError, match="blocks of"):
        compare_baselines(a[:20], a[:20])


def test_baseline_corrected_effects():
    rest_a, _ = state(seed=10)
    rest_b, _ = state(seed=11)
    task_a, _ = state(seed=12)
    task_b, _ = state(seed=13)
    task_a = task_a + 1.0
    task_b = task_b + 1.0
    r = baseline_corrected_effects(task_a, rest_a, task_b, rest_b)
    assert r["interpretable"] and "indistinguishable" in r["reason"]
    assert np.all(np.abs(r["difference"]["mean"]) < 0.3)
    mix2 = np.random.default_rng(99).normal(size=(3, 8))
    mix2[0] *= 2.5
    rest_b2, _ = state(seed=14, mix=mix2)
    r2 = baseline_corrected_effects(task_a, rest_a, task_b, rest_b2)
    assert not r2["interpretable"] and "differ" in r2["reason"]
    assert r2["baselines"]["covariance"]["ratio"] > 1.5 and r2["rule"] == r2["baselines"]["rule"]


def test_shared_pca_space_separates_states_hidden_in_noise():
    # latents weak against large private noise: the top-k PC space still tells the states apart
    rng = np.random.default_rng(3)
    mix = rng.normal(size=(3, 30)) * 0.4
    mix2 = mix.copy()
    mix2[0] *= 2.0
    a, _ = state(seed=20, mix=mix, n_ch=30)
    b, _ = state(seed=21, mix=mix, n_ch=30)
    c, _ = state(seed=22, mix=mix2, n_ch=30)
    same = compare_baselines(a, b, n_components=3)
    diff = compare_baselines(a, c, n_components=3)
    assert same["n_channels"] == 3 and "principal components" in same["settings"]["projection"]
    assert 0.8 < same["covariance"]["ratio"] < 1.2 and diff["covariance"]["ratio"] > 1.3
    assert same["same_state"] and diff["different"]
    with pytest.raises(InvalidInputError, match="n_components"):
        compare_baselines(a, b, n_components=99)


# ---------------------------------------------------------------- issue #21: one rule, inputs, band


def test_defaults_guarded():
    import inspect

    from glue_widgets.rest.baselines import DEFAULT_MIN_RATIO, same_state_rule

    sig = inspect.signature(compare_baselines).parameters
    assert sig["n_blocks"].default is None and sig["n_perm"].default == 2000 and sig["alpha"].default == 0.05
    assert sig["min_ratio"].default == DEFAULT_MIN_RATIO == 1.2
    assert inspect.signature(baseline_corrected_effects).parameters["min_ratio"].default == DEFAULT_MIN_RATIO
    a, _ = state(seed=30)
    b, _ = state(seed=31)
    r = compare_baselines(a, b)
    assert r["rule"] == same_state_rule(0.05, 1.2) and "AND" in r["rule"] and "Holm" in r["rule"]
    assert r["same_state"] is (not r["different"])
    assert 8 <= r["settings"]["n_blocks"] <= 20
    for k in ("covariance", "spectral"):  # resolution: no single block decides
        assert r[k]["p_value"] >= 1 / 2001 and r[k]["different"] == (r[k]["p_holm"] < 0.05 and r[k]["ratio"] >= 1.2)


def test_effect_floor_keeps_small_significant_differences_together():
    # a 3 % gain change over long segments: below the effect floor, same state
    a, _ = state(n=30000, seed=32)
    b, _ = state(n=30000, seed=33)
    b = b * 1.03
    r = compare_baselines(a, b)
    assert r["covariance"]["ratio"] < 1.2 and r["same_state"]


def test_channel_time_arrays_single_channel_and_ambiguous():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6000))
    y = rng.normal(size=(3, 6000))
    y[0] *= 3
    r = compare_baselines(x, y, fs=100.0)  # (channel, time) as MNE returns it
    assert r["n_channels"] == 3 and "(channel, time)" in r["settings"]["orientation"]["seg_a"] and r["different"]
    one = compare_baselines(rng.normal(size=(1, 8000)), rng.normal(size=8000) * 2, fs=173.61)
    assert one["n_channels"] == 1 and one["different"]
    pieces = compare_baselines([rng.normal(size=4097) for _ in range(10)], [rng.normal(size=4097) for _ in range(10)],
                               fs=173.61)
    assert pieces["n_channels"] == 1 and pieces["same_state"] and "pieces" in pieces["settings"]["orientation"]["seg_a"]
    with pytest.raises(InvalidInputError, match="DataArray"):
        compare_baselines(rng.normal(size=(300, 200)), rng.normal(size=(300, 200)))


def test_band_from_metadata_and_eeg_default():
    a, _ = state(seed=34)
    b, _ = state(seed=35)
    r = compare_baselines(a, b)  # lfp at 50 Hz, no filter metadata: Nyquist
    assert r["spectral"]["settings"]["fmax"] == pytest.approx(25.0)
    ea = make_timeseries(np.random.default_rng(1).normal(size=(20000, 2)), np.arange(20000) / 500.0, ["a", "b"],
                         modality="eeg", fs=500.0)
    e = compare_baselines(ea, ea.copy())
    assert e["spectral"]["settings"]["fmax"] == 45.0 and "45" in e["spectral"]["settings"]["band"]
    ea.attrs.update(lowpass=30.0, highpass=1.0)
    m = compare_baselines(ea, ea.copy())
    assert m["spectral"]["settings"]["fmax"] == 30.0 and m["spectral"]["settings"]["fmin"] == 1.0
    assert "metadata" in m["spectral"]["settings"]["band"]


def test_mne_raw_accepted():
    mne = pytest.importorskip("mne")
    rng = np.random.default_rng(2)
    info = mne.create_info(["Fz", "Cz", "Pz"], 200.0, "eeg")
    ra = mne.io.RawArray(rng.normal(size=(3, 20000)) * 1e-5, info, verbose="error")
    rb = mne.io.RawArray(rng.normal(size=(3, 20000)) * 1e-5, info, verbose="error")
    r = compare_baselines(ra, rb)
    assert r["channels"] == ["Fz", "Cz", "Pz"] and r["settings"]["fs"] == 200.0 and r["same_state"]
    assert r["spectral"]["settings"]["fmax"] == pytest.approx(min(100.0, ra.info["lowpass"]))
