"""PairedCCA, Procrustes, GroupAligner, RiemannianRecenter and the evaluation helpers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from glue_widgets.align import (GroupAligner, PairedCCA, Procrustes, RiemannianRecenter, canonical_correlations,
                                frame_error, frozen_decoder_transfer, linear_cka, procrustes_distance, truth_r2,
                                window_covariances)
from glue_widgets.simulate.alignment_days import simulate_days


@pytest.fixture(scope="module")
def days():
    return simulate_days("rotational", k=4, n_neurons=100, turnover=(0.0, 0.5), rest_s=60, task_s=120, seed=2)


def test_paired_cca_keeps_decoder(days):
    # Gallego et al. pair condition/time-matched data; here the anchor repeats are the matched data
    cca = PairedCCA(4).fit([d.anchors for d in days])
    assert cca.canonical_correlations_[0].tolist() == [1.0] * 4  # the reference itself
    assert cca.canonical_correlations_[1][:2].min() > 0.8
    zs = [cca.transform(d.task, session=i) for i, d in enumerate(days)]
    res = frozen_decoder_transfer(zs[0], days[0].behavior, zs, [d.behavior for d in days])
    assert res["retained"].iloc[1] > 0.8, res


def test_procrustes_finds_stable_channels():
    rng = np.random.default_rng(3)
    n, c, k = 4000, 40, 3
    C = rng.standard_normal((c, k))
    z0, z1 = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    C1 = C.copy()
    unstable = np.arange(10)
    C1[unstable] = rng.standard_normal((10, k)) * 2  # electrode shifts: these channels changed
    x0 = z0 @ C.T + 0.2 * rng.standard_normal((n, c))
    x1 = z1 @ C1.T + 0.2 * rng.standard_normal((n, c))
    ids = [f"e{i}" for i in range(c)]
    da = [xr.DataArray(x, dims=("time", "channel"), coords={"channel": ids}) for x in (x0, x1)]
    p = Procrustes(k, stable_fraction=0.5).fit(da)
    stable = set(p.stable_channels_[1].tolist())
    assert not stable & {f"e{i}" for i in unstable}
    # reference-frame latents of session 1 reproduce session 1's stable channels through session 0's loadings
    zr = p.transform(da[1], session=1)
    assert zr.dims == ("time", "latent")
    lam0 = np.linalg.lstsq(p.transform(x0, 0), x0 - x0.mean(0), rcond=None)[0]
    pred = zr.values @ lam0
    keep = np.arange(10, c)
    r2 = 1 - np.sum((x1[:, keep] - x1[:, keep].mean(0) - pred[:, keep]) ** 2) / np.sum((x1[:, keep] - x1[:, keep].mean(0)) ** 2)
    assert r2 > 0.8


def test_group_aligner_recovers_shared_response():
    rng = np.random.default_rng(4)
    s = rng.standard_normal((600, 3))
    xs = [s @ rng.standard_normal((3, 15 + 5 * i)) + 0.2 * rng.standard_normal((600, 15 + 5 * i)) for i in range(4)]
    g = GroupAligner(3).fit(xs)
    assert np.all(np.diff(g.objective_) <= 1e-6 * g.objective_[0])
    assert truth_r2(g.shared_response_, s) > 0.95
    za, zb = g.transform(xs[0], 0), g.transform(xs[3], 3)
    assert linear_cka(za, zb) > 0.9 and procrustes_distance(za, zb) < 0.3


def test_riemannian_recenter_centres_each_subject():
    rng = np.random.default_rng(5)
    src = [rng.standard_normal((5000, 6)) for _ in range(2)]
    mix = [rng.standard_normal((6, 6)) + 3 * np.eye(6) for _ in range(2)]
    xs = [s @ m for s, m in zip(src, mix)]
    rc = RiemannianRecenter(window=250).fit(xs)
    for i, x in enumerate(xs):
        covs = rc.transform_covariances(window_covariances(x, 250), session=i)
        np.testing.assert_allclose(rc.riemann_mean(covs), np.eye(6), atol=1e-5)
    # after re-centring, the two subjects' covariances are close to each other
    c0 = window_covariances(rc.transform(xs[0], 0), 250).mean(0)
    c1 = window_covariances(rc.transform(xs[1], 1), 250).mean(0)
    assert np.linalg.norm(c0 - c1) < 0.5 * np.linalg.norm(
        window_covariances(xs[0], 250).mean(0) - window_covariances(xs[1], 250).mean(0))


def test_evaluation_helpers():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((500, 3))
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    assert linear_cka(a, a @ Q) == pytest.approx(1.0)
    assert procrustes_distance(a, a @ Q, allow_rotation=True) == pytest.approx(0.0, abs=1e-8)
    assert procrustes_distance(a, a @ Q) > 0.1
    np.testing.assert_allclose(canonical_correlations(a, a @ Q), 1.0, atol=1e-8)
    fe = frame_error([a, a @ Q], [a, a])
    assert fe["r2_own_map"].min() > 0.99 and fe["r2_shared_map"].iloc[1] < 0.9
