"""UnitMatcher: recovering a hidden channel permutation from rest segments alone."""

from __future__ import annotations

import numpy as np
import pytest

from glue_widgets.align.matching import UnitMatcher, unit_features
from glue_widgets.errors import BadDataError, InvalidInputError


def _sessions(n_units=30, n_time=6000, n_sessions=3, seed=0, drift=0.1):
    """Same units in every session: shared coupling graph, per-unit timescale and rate, fresh noise."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((5, n_units)) * (rng.random((5, n_units)) < 0.4)
    tau = rng.uniform(1, 12, n_units)  # per-unit timescale (samples): the autocorr feature sees it
    a = np.exp(-1 / tau)
    base = rng.uniform(0.5, 5, n_units)
    xs = []
    for s in range(n_sessions):
        r = np.random.default_rng(seed + 100 + s)
        z = r.standard_normal((n_time, 5))
        e = r.standard_normal((n_time, n_units))
        for t in range(1, n_time):
            e[t] = a * e[t - 1] + np.sqrt(1 - a**2) * e[t]
        Ws = W + drift * r.standard_normal(W.shape) * (W != 0)
        gain = 1 + drift * r.standard_normal(n_units)
        xs.append(base + gain * (z @ Ws + e))
    perms = [np.arange(n_units)] + [np.random.default_rng(seed + s).permutation(n_units)
                                    for s in range(1, n_sessions)]
    return [x[:, p] for x, p in zip(xs, perms)], perms


def _accuracy(um, perms, i):
    p = um.permutations_[i]
    return float(np.mean(perms[i][p] == perms[0]))


def test_recovers_known_permutations():
    xs, perms = _sessions()
    um = UnitMatcher().fit(xs)
    for i in (1, 2):
        p, conf = um.permutations_[i], ~um.ambiguous_[i]
        assert _accuracy(um, perms, i) >= 0.9
        # a few units have no coupling at all (only their features tell them apart): they may swap,
        # but then the matcher must not be confident about them; every confident match is right
        assert conf.mean() >= 0.8
        np.testing.assert_array_equal(perms[i][p][conf], perms[0][conf])
    y = um.transform(xs[1], session=1)
    # session 1 in the reference order: its channel r is the same unit as the reference's channel r
    assert _accuracy(um, perms, 1) == 1.0
    np.testing.assert_allclose(y, xs[1][:, um.permutations_[1]])
    assert "units matched confidently" in str(um.report_)


def test_graph_and_features_each_carry_information():
    xs, perms = _sessions(n_time=3000, seed=1)
    graph = UnitMatcher(features=()).fit(xs[:2])
    feats = UnitMatcher(method="linear").fit(xs[:2])
    chance = 1 / 30
    assert _accuracy(graph, perms, 1) > 10 * chance
    assert _accuracy(feats, perms, 1) > 3 * chance


def test_short_noisy_rest_reports_ambiguity():
    # 150 samples of weakly structured activity: matching cannot be right, and the report must say so
    xs, perms = _sessions(n_time=150, seed=2, drift=1.0)
    um = UnitMatcher(n_chunks=3).fit(xs[:2])
    acc = _accuracy(um, perms, 1)
    conf = ~um.ambiguous_[1]
    assert acc < 0.9
    assert conf.sum() < 30
    if conf.any():  # what it is confident about should be better than what it is not
        assert np.mean(perms[1][um.permutations_[1]][conf] == perms[0][conf]) >= acc
    assert "ambiguous reference units" in str(um.report_)


def test_unequal_channel_counts_and_fill():
    xs, perms = _sessions(n_time=4000, seed=3)
    keep = np.sort(np.random.default_rng(0).choice(30, 24, replace=False))
    um = UnitMatcher(ambiguous="nan").fit([xs[0], xs[1][:, keep]])
    p = um.permutations_[1]
    assert (p < 0).sum() == 6 and len(p) == 30
    y = um.transform(xs[1][:, keep], session=1)
    assert y.shape == (4000, 30) and np.isnan(y[:, p < 0]).all()
    # matched reference units are the right ones
    ok = p >= 0
    assert np.mean(perms[1][keep][p[ok]] == perms[0][ok]) > 0.9
    um3 = UnitMatcher(ambiguous="mean", min_confidence=1.0).fit([xs[0], xs[1][:, keep]])
    y3 = um3.transform(xs[1][:, keep], session=1)
    gone = (um3.permutations_[1] < 0) | um3.ambiguous_[1]
    np.testing.assert_allclose(y3[:, gone], np.broadcast_to(xs[0].mean(0)[gone], (4000, gone.sum())))
    # reference with fewer channels: every reference unit gets a partner
    um2 = UnitMatcher().fit([xs[1][:, keep], xs[0]])
    assert (um2.permutations_[1] >= 0).all()


def test_dataarray_in_dataarray_out():
    xr = pytest.importorskip("xarray")
    xs, perms = _sessions(n_units=12, n_time=3000, seed=4)
    das = [xr.DataArray(x, dims=("time", "channel"),
                        coords={"time": np.arange(len(x)) / 10, "channel": [f"s{i}n{j}" for j in range(12)]})
           for i, x in enumerate(xs)]
    um = UnitMatcher().fit(das)
    y = um.transform(das[2], session=2)
    assert list(y["channel"].values) == [f"s0n{j}" for j in range(12)]
    assert y["source_channel"].values[0] == f"s2n{um.permutations_[2][0]}"
    assert "match_confidence" in y.coords


def test_in_front_of_rest_aligner():
    from glue_widgets.align import RestAligner

    xs, perms = _sessions(n_time=3000, seed=5)
    um = UnitMatcher().fit(xs)
    al = RestAligner(3).fit(um.fit_transform(xs))
    z = al.transform(um.transform(xs[1], session=1), session=1)
    assert z.shape == (3000, 3)


def test_graph_only_faq_agrees_with_scipy_quadratic_assignment():
    # our Frank-Wolfe exists only to add the feature (linear) term scipy's FAQ lacks; without it, it
    # must reach the graph objective scipy's FAQ reaches
    from scipy.optimize import quadratic_assignment

    from glue_widgets.align.matching import _faq, _graph

    xs, _ = _sessions(n_units=25, n_time=800, seed=7, drift=0.5)
    A, B = _graph(xs[0]), _graph(xs[1])
    n = len(A)
    ours = _faq(A, B, np.zeros((n, n)), 0.0, np.full((n, n), 1.0 / n))
    theirs = quadratic_assignment(A, B, method="faq", options={"maximize": True}).col_ind
    obj = lambda c: float(np.sum(A * B[np.ix_(c, c)]))  # noqa: E731
    assert obj(ours) >= 0.98 * obj(theirs)


def test_silent_channels_are_ambiguous():
    xs, perms = _sessions(n_units=12, n_time=2000, seed=6)
    xs = [x.copy() for x in xs]
    xs[1][:, 3] = 0.0  # silent in session 1
    um = UnitMatcher().fit(xs[:2])
    r = int(np.flatnonzero(um.permutations_[1] == 3)[0])
    assert um.match_confidence_[1][r] == 0.0 and um.ambiguous_[1][r]


def test_unit_features_shapes():
    x = np.random.default_rng(0).poisson(2.0, (600, 5)).astype(float)
    assert unit_features(x).shape == (5, 1 + 1 + 10 + 6)
    assert unit_features(x, ("rate",)).shape == (5, 1)


@pytest.mark.parametrize("kw,msg", [({"features": ("colour",)}, "unknown feature"),
                                    ({"method": "magic"}, "method="),
                                    ({"method": "linear", "features": ()}, "needs at least one feature"),
                                    ({"ambiguous": "drop"}, "ambiguous="),
                                    ({"min_confidence": 2}, "min_confidence"),
                                    ({"feature_weight": -1}, "feature_weight")])
def test_bad_parameters(kw, msg):
    xs, _ = _sessions(n_units=6, n_time=200)
    with pytest.raises(InvalidInputError, match=msg):
        UnitMatcher(**kw).fit(xs)


def test_bad_input():
    xs, _ = _sessions(n_units=6, n_time=200)
    with pytest.raises(InvalidInputError, match="at least 2"):
        UnitMatcher().fit(xs[:1])
    with pytest.raises(InvalidInputError, match="samples"):
        UnitMatcher(n_chunks=4).fit([xs[0][:10], xs[1][:10]])
    bad = xs[1].copy()
    bad[5, 2] = np.nan
    with pytest.raises(BadDataError, match="NaN"):
        UnitMatcher().fit([xs[0], bad])
    um = UnitMatcher().fit(xs[:2])
    with pytest.raises(InvalidInputError, match="channels"):
        um.transform(xs[1][:, :4], session=1)
    with pytest.raises(InvalidInputError, match="session"):
        um.transform(xs[1], session=5)
    with pytest.raises(InvalidInputError, match="not fitted"):
        UnitMatcher().transform(xs[0], session=0)
