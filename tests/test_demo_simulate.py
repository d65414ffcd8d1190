"""The demo's generative models (pure numpy): statistics they promise."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets.simulate as sim


@pytest.mark.parametrize("family", sim.FAMILIES)
def test_latents_unit_variance_and_deterministic(family):
    z1 = sim.simulate_latents(family, 40000, 100.0, 5, np.random.default_rng(3))
    z2 = sim.simulate_latents(family, 40000, 100.0, 5, np.random.default_rng(3))
    assert z1.shape == (40000, 5)
    np.testing.assert_array_equal(z1, z2)
    np.testing.assert_allclose(z1.std(0), 1.0, atol=0.25)


def test_timescales_lag1_autocorrelation_matches_tau():
    p = sim.latent_params("timescales", 4, 0)
    fs = 100.0
    z = sim.simulate_latents(p, 200000, fs, rng=1)
    for i, tau in enumerate(p["taus"]):
        r1 = np.corrcoef(z[:-1, i], z[1:, i])[0, 1]
        assert abs(r1 - np.exp(-1 / (fs * tau))) < 0.02


def test_rotational_plane_is_isotropic_and_rotates():
    p = sim.latent_params("rotational", 4, 0)
    fs = 100.0
    z = sim.simulate_latents(p, 200000, fs, rng=2)
    c = np.cov(z[:, :2].T)
    assert abs(c[0, 1]) < 0.08 and abs(c[0, 0] - c[1, 1]) < 0.15  # rotation-invariant covariance
    lag = int(fs / (4 * p["rotation_hz"][0]))  # a quarter turn
    cross = np.mean(z[lag:, 1] * z[:-lag, 0]) - np.mean(z[lag:, 0] * z[:-lag, 1])
    assert cross > 0.1  # counter-clockwise rotation shows in the antisymmetric lagged covariance
    A, Q = sim.discrete_dynamics(p, fs)
    assert np.allclose(A[:2, :2], -A[:2, :2].T + 2 * np.diag(np.diag(A[:2, :2])))


def test_spikes_follow_rates():
    rng = np.random.default_rng(0)
    z = sim.simulate_latents("timescales", 20000, 100.0, 3, rng)
    C = rng.normal(0, 0.3, (20, 3))
    b = np.full(20, np.log(8.0))
    counts = sim.spikes_from_latents(z, C, b, 100.0, rng)
    rates = sim.rates_from_latents(z, C, b)
    assert counts.dtype == np.int32
    np.testing.assert_allclose(counts.mean(0) * 100.0, rates.mean(0), rtol=0.1)
    times = sim.spike_times_from_counts(counts[:, :2], 100.0, rng)
    assert len(times[0]) == counts[:, 0].sum() and np.all(np.diff(times[0]) >= 0)


def test_calcium_tracks_spikes_and_saturates():
    rng = np.random.default_rng(1)
    s = rng.poisson(0.15, (6000, 10))
    dff, clean = sim.calcium_from_spikes(s, 30.0, "GCaMP6f", rng, return_clean=True)
    assert dff.shape == s.shape and dff.dtype == np.float32
    smooth = np.apply_along_axis(lambda x: np.convolve(x, np.exp(-np.arange(15) / 6.0), "full")[:6000], 0, s)
    r = [np.corrcoef(dff[:, j], smooth[:, j])[0, 1] for j in range(10)]
    assert np.median(r) > 0.5
    big = sim.calcium_from_spikes(np.array([[100.0]] + [[0.0]] * 29), 30.0, rng=0, shot_noise=0, read_noise=0,
                                  amp_jitter=0)
    one = sim.calcium_from_spikes(np.array([[1.0]] + [[0.0]] * 29), 30.0, rng=0, shot_noise=0, read_noise=0,
                                  amp_jitter=0)
    assert big.max() < 50 * one.max()  # saturation


def test_communication_subspace_rank():
    rng = np.random.default_rng(2)
    src = rng.standard_normal((5000, 6))
    drive, mats = sim.communication_subspace(src, 30, 2, rng)
    assert np.linalg.matrix_rank(mats["B"]) == 2
    sv = np.linalg.svd(drive, compute_uv=False)
    assert sv[2] < 1e-8 * sv[0]


def test_projection_is_linear():
    rng = np.random.default_rng(4)
    z = sim.simulate_latents("timescales", 2000, 250.0, 4, rng)
    S, _ = sim.eeg_sources(z, 250.0, ["occipital_L", "motor_L", "frontal"], rng,
                           eyes_closed=np.ones(2000))
    L = rng.standard_normal((16, 3))
    x = sim.project(S, L)
    assert np.linalg.matrix_rank(x, tol=1e-8 * np.abs(x).max()) == 3


def test_demo_simulate_is_the_shared_neutral_module():
    # one implementation: the demo's names are the neutral module's objects, not copies
    import glue_widgets.simulate as shared

    for name in shared.__all__:
        assert getattr(sim, name) is getattr(shared, name), name
    assert set(sim.__all__) == set(shared.__all__)


def test_discrete_dynamics_fs_or_dt_and_run_lds_stationary():
    p = sim.latent_params("rotational", 3, 4)
    A1, Q1 = sim.discrete_dynamics(p, 50.0)
    A2, Q2 = sim.discrete_dynamics(p, dt=0.02)
    np.testing.assert_allclose(A1, A2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(Q1, Q2, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="exactly one"):
        sim.discrete_dynamics(p, 50.0, dt=0.02)
    z = sim.run_lds(A2, Q2, 20000, np.random.default_rng(1))
    assert z.shape == (20000, 3)
    # Q = I - diag(|eig|^2) gives unit stationary variance per latent
    np.testing.assert_allclose(z.var(0), 1.0, atol=0.15)
    # the exact step-by-step simulation and the lfilter one share second-order statistics
    zf = sim.simulate_latents(p, 20000, 50.0, rng=2)
    lag1 = lambda x: np.mean(x[1:] * x[:-1], 0) / x.var(0)  # noqa: E731
    np.testing.assert_allclose(lag1(z), lag1(zf), atol=0.05)


def test_analysis_simulator_does_not_import_sources():
    import subprocess
    import sys

    code = ("import sys, glue_widgets.simulate.alignment_days; "
            "print(sorted(m for m in sys.modules if m.startswith('glue_widgets.sources.demo')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
