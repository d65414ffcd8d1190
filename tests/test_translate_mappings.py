"""Translator, ReducedRankRegression (rank recovery), transfer_table, unpaired latent dynamics."""

import numpy as np
import pandas as pd
import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.translate import (LatentDynamicsTranslator, LatentVAR, ReducedRankRegression, Translator,
                                    transfer_table)


def _comm(rng, n=3000, p=30, q=20, rank=2, noise=1.0, strength=0.3):
    X = rng.standard_normal((n, p))
    B = rng.standard_normal((p, rank)) @ rng.standard_normal((rank, q)) * strength
    return X, X @ B + noise * rng.standard_normal((n, q))


@pytest.mark.parametrize("true_rank", [1, 2, 3, 5])
def test_rrr_recovers_rank(true_rank):
    rng = np.random.default_rng(true_rank)
    X, Y = _comm(rng, rank=true_rank)
    m = ReducedRankRegression().fit(X, Y)
    assert m.rank_ == true_rank
    assert m.coef_.shape == (30, 20) and np.linalg.matrix_rank(m.coef_, tol=1e-8) == true_rank
    assert m.components_.shape == (30, true_rank)
    assert list(m.cv_scores_.index)[:3] == [1, 2, 3]


def test_rrr_autocorrelated_sources_rank():
    # smooth (autocorrelated) source activity, the case blocked CV is for
    rng = np.random.default_rng(7)
    from scipy.signal import lfilter

    X = lfilter([1], [1, -0.9], rng.standard_normal((4000, 25)), axis=0)
    B = rng.standard_normal((25, 3)) @ rng.standard_normal((3, 15)) * 0.2
    Y = X @ B + lfilter([1], [1, -0.5], rng.standard_normal((4000, 15)), axis=0)
    assert ReducedRankRegression().fit(X, Y).rank_ == 3


def test_rrr_errors():
    X, Y = np.zeros((100, 3)), np.zeros((90, 2))
    with pytest.raises(InvalidInputError, match="paired"):
        ReducedRankRegression().fit(X, Y)
    with pytest.raises(InvalidInputError, match="rank"):
        ReducedRankRegression(rank=5).fit(np.ones((100, 3)), np.ones((100, 2)))


def _comm_with_arousal(seed=3, n=6000, p=30, q=20, rank=2):
    """Rank-``rank`` communication plus a slow shared 'arousal' input that drives both areas."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    c = lfilter([1], [1, -0.995], rng.standard_normal(n)) * 0.1  # slow, measured (pupil-like)
    X = rng.standard_normal((n, p)) + np.outer(c, rng.uniform(0.5, 1.5, p))
    B = rng.standard_normal((p, rank)) @ rng.standard_normal((rank, q)) * 0.3
    Y = (X - np.outer(c, np.ones(p))) @ B + np.outer(c, rng.uniform(0.5, 1.5, q)) + rng.standard_normal((n, q))
    pupil = c + 0.05 * c.std() * rng.standard_normal(n)  # the covariate a user measures, a little noisy
    return X, Y, pupil


def test_rrr_confounds_remove_the_shared_arousal_dimension():
    X, Y, pupil = _comm_with_arousal()
    plain = ReducedRankRegression().fit(X, Y)
    assert plain.rank_ == 3  # arousal is a real predictive dimension, but not communication
    m = ReducedRankRegression().fit(X, Y, confounds=pupil)
    assert m.rank_ == 2 and m.cv_["confounds"] == 1
    # prediction adds the confound part back: as good as the plain model on the same data
    assert m.score(X, Y, confounds=pupil) > plain.score(X, Y) - 0.02
    with pytest.raises(InvalidInputError, match="confounds"):
        m.predict(X)
    with pytest.raises(InvalidInputError, match="without confounds"):
        plain.predict(X, confounds=pupil)
    with pytest.raises(InvalidInputError, match="samples"):
        ReducedRankRegression().fit(X, Y, confounds=pupil[:10])
    with pytest.raises(InvalidInputError, match="NaN"):
        ReducedRankRegression().fit(X, Y, confounds=np.full(len(X), np.nan))


@pytest.mark.parametrize("model", ["ridge", "rrr", "linear"])
def test_translator_fit_predict_score(model):
    rng = np.random.default_rng(0)
    X, Y = _comm(rng, n=2000, rank=2, noise=0.5)
    tr = Translator(model).fit(X[:1500], Y[:1500])
    assert tr.score(X[1500:], Y[1500:]) > 0.7
    r2 = tr.r2_per_target(X[1500:], Y[1500:])
    assert r2.shape == (20,) and np.isclose(r2.mean(), tr.score(X[1500:], Y[1500:]))
    assert tr.cv_["scheme"].startswith("blocked 5-fold") and tr.cv_r2_.shape == (20,)
    if model == "rrr":
        assert tr.rank_ == 2
    # prediction intervals from CV residuals are calibrated on held-out data
    cov = tr.coverage(X[1500:], Y[1500:], level=0.9)
    assert 0.85 < cov < 0.95


def test_translator_lags_and_dataarray():
    import xarray as xr

    rng = np.random.default_rng(1)
    x = rng.standard_normal((3000, 4))
    y = np.zeros((3000, 2))
    y[2:] = x[:-2, :2] * 2  # target lags source by 2 samples
    y += 0.1 * rng.standard_normal(y.shape)
    assert Translator("ridge", lags=0).fit(x[:2000], y[:2000]).score(x[2000:], y[2000:]) < 0.2
    tl = Translator("ridge", lags=3).fit(x[:2000], y[:2000])
    assert tl.score(x[2000:], y[2000:]) > 0.95
    X = xr.DataArray(x, dims=("time", "channel"), coords={"time": np.arange(3000) / 100.0})
    Y = xr.DataArray(y, dims=("time", "channel"), coords={"channel": ["a", "b"]})
    out = Translator(lags=3).fit(X, Y).predict(X)
    assert isinstance(out, xr.DataArray) and list(out.channel.values) == ["a", "b"]
    with pytest.raises(InvalidInputError, match="channels"):
        tl.predict(x[:, :3])
    with pytest.raises(InvalidInputError, match="model"):
        Translator("magic").fit(x, y)
    with pytest.raises(InvalidInputError, match="paired"):
        Translator().fit(x, y[:10])


def test_transfer_table_detects_a_changed_mapping():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((6, 3))
    W2 = rng.standard_normal((6, 3))
    frags = {}
    for name, w in (("day0", W), ("day1", W), ("lab2", W2)):
        X = rng.standard_normal((1500, 6))
        frags[name] = (X, X @ w + 0.3 * rng.standard_normal((1500, 3)))
    df = transfer_table(Translator("ridge"), frags)
    assert isinstance(df, pd.DataFrame) and len(df) == 9
    assert set(df.columns) >= {"train", "test", "r2", "r2_within", "kind", "n_test"}
    get = lambda a, b: float(df[(df.train == a) & (df.test == b)].r2.iloc[0])  # noqa: E731
    assert get("day0", "day0") > 0.9 and get("day0", "day1") > 0.9
    assert get("day0", "lab2") < 0.5 and get("lab2", "day1") < 0.5
    mat = transfer_table(Translator("ridge"), frags, matrix=True)
    assert mat.shape == (3, 3) and np.isclose(mat.loc["day0", "day1"], get("day0", "day1"))
    with pytest.raises(InvalidInputError):
        transfer_table(Translator(), frags, pairs=[("day0", "nope")])


def _lds(rng, A, n=4000):
    z = np.zeros((n, A.shape[0]))
    for t in range(1, n):
        z[t] = A @ z[t - 1] + rng.standard_normal(A.shape[0])
    return z


def test_var_recovers_dynamics_and_simulates():
    rng = np.random.default_rng(3)
    th = 0.3
    A = 0.95 * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    v = LatentVAR().fit(_lds(rng, A))
    np.testing.assert_allclose(v.coef_.T, A, atol=0.03)
    assert v.stable_ and abs(v.spectral_radius_ - 0.95) < 0.03
    sim = v.simulate(5000, seed=0)
    assert sim.shape == (5000, 2) and np.isfinite(sim).all()
    v2 = LatentVAR(order=2).fit([_lds(rng, A, 500), _lds(rng, A, 500)])
    assert v2.coef_.shape == (4, 2)


def test_unpaired_rule_transfers_through_aligned_frame():
    rng = np.random.default_rng(4)
    th = 0.3
    rot = lambda s: 0.95 * np.array([[np.cos(th), -s * np.sin(th)], [s * np.sin(th), np.cos(th)]])  # noqa: E731
    z_a, z_b, z_c = _lds(rng, rot(1)), _lds(rng, rot(1)), _lds(rng, rot(-1))  # c rotates the other way
    C = rng.standard_normal((2, 30))
    y_b = z_b @ C + 0.5 * rng.standard_normal((4000, 30))
    tr_same = LatentDynamicsTranslator().fit(z_a).fit_readout(z_b[:2000], y_b[:2000])
    tr_other = LatentDynamicsTranslator().fit(z_c).fit_readout(z_b[:2000], y_b[:2000])
    tr_own = LatentDynamicsTranslator().fit(z_b[:2000]).fit_readout(z_b[:2000], y_b[:2000])
    s_same, s_other, s_own = (t.score(z_b[2000:], y_b[2000:]) for t in (tr_same, tr_other, tr_own))
    assert s_same > s_other + 0.1
    assert abs(s_same - s_own) < 0.02
    assert tr_same.predict(z_b[2000:]).shape == (1999, 30)
    with pytest.raises(InvalidInputError):
        LatentDynamicsTranslator().fit(z_a).predict(z_b)
