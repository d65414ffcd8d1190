"""Transfer entropy: estimators against the Gaussian VAR closed form, permutation nulls, conditioning."""

from __future__ import annotations

import numpy as np
import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.evidence import transfer_entropy, var1_transfer_entropy

A2 = np.array([[0.6, 0.0], [0.5, 0.4]])  # x0 -> x1 only


def simulate_var1(A, n, seed, burn=500, Q=None):
    rng = np.random.default_rng(seed)
    d = A.shape[0]
    L = np.linalg.cholesky(Q) if Q is not None else np.eye(d)
    e = rng.standard_normal((n + burn, d)) @ L.T
    x = np.zeros((n + burn, d))
    for t in range(1, n + burn):
        x[t] = A @ x[t - 1] + e[t]
    return x[burn:]


@pytest.fixture(scope="module")
def var_50k():
    return simulate_var1(A2, 50_000, seed=0)


def test_closed_form_basics():
    te = var1_transfer_entropy(A2, np.eye(2), 0, 1)
    # bivariate VAR(1) with unit noise: TE = 0.5 log(Var(y|y-) / 1)
    from scipy.linalg import solve_discrete_lyapunov
    S = solve_discrete_lyapunov(A2, np.eye(2))
    C1 = A2 @ S  # Cov(x_t, x_{t-1})
    var_y_given_ypast = S[1, 1] - C1[1, 1] ** 2 / S[1, 1]
    assert te == pytest.approx(0.5 * np.log(var_y_given_ypast), rel=1e-10)
    assert var1_transfer_entropy(A2, np.eye(2), 1, 0) == 0.0


@pytest.mark.parametrize("estimator", ["gaussian", "ksg"])
def test_forward_te_matches_closed_form_at_50k(var_50k, estimator):
    truth = var1_transfer_entropy(A2, np.eye(2), 0, 1)
    res = transfer_entropy(var_50k[:, 0], var_50k[:, 1], history=1, estimator=estimator, n_permutations=0)
    assert res.settings["n_samples"] == 50_000
    assert res.p_value is None
    assert abs(res.value - truth) < 0.01, (estimator, res.value, truth)


def test_gaussian_reverse_inside_null_forward_outside(var_50k):
    fwd = transfer_entropy(var_50k[:, 0], var_50k[:, 1], n_permutations=99, seed=1)
    rev = transfer_entropy(var_50k[:, 1], var_50k[:, 0], n_permutations=99, seed=1)
    assert fwd.p_value == pytest.approx(1 / 100)
    assert fwd.value > fwd.null_quantiles["q99"]
    assert rev.p_value > 0.05
    assert rev.value <= rev.null_quantiles["q99"]


def test_ksg_reverse_inside_null():
    x = simulate_var1(A2, 10_000, seed=3)
    rev = transfer_entropy(x[:, 1], x[:, 0], estimator="ksg", n_permutations=19, seed=2)
    assert rev.p_value > 0.05
    assert rev.null_quantiles["q05"] - 0.01 < rev.value < rev.null_quantiles["q99"] + 0.01
    fwd = transfer_entropy(x[:, 0], x[:, 1], estimator="ksg", n_permutations=9, seed=2)
    assert fwd.p_value == pytest.approx(0.1)


def test_history2_and_conditioning_against_closed_form():
    # chain 0 -> 2 -> 1: the 0 -> 1 influence is indirect and vanishes given 2's past
    A = np.array([[0.5, 0.0, 0.0], [0.0, 0.3, 0.6], [0.6, 0.0, 0.3]])
    x = simulate_var1(A, 30_000, seed=5)
    for h in (1, 2):
        for cond in (None, 2):
            truth = var1_transfer_entropy(A, np.eye(3), 0, 1, history=h, condition=cond)
            est = transfer_entropy(x[:, 0], x[:, 1], history=h, n_permutations=0,
                                   condition=None if cond is None else x[:, cond]).value
            assert abs(est - truth) < 0.01, (h, cond, est, truth)
    assert var1_transfer_entropy(A, np.eye(3), 0, 1, history=2) > 0.05
    # conditioning on 2 with history 1 leaves nothing for source 0 (0 acts via 2 with lag 2)
    assert var1_transfer_entropy(A, np.eye(3), 0, 1, history=1, condition=2) == pytest.approx(0.0, abs=1e-12)


def test_dataarray_and_bad_input():
    xr = pytest.importorskip("xarray")
    x = simulate_var1(A2, 2000, seed=0)
    da = xr.DataArray(x[:, :1], dims=("time", "channel"))
    assert transfer_entropy(da, x[:, 1], n_permutations=0).value > 0
    with pytest.raises(InvalidInputError, match="estimator"):
        transfer_entropy(x[:, 0], x[:, 1], estimator="binning")
    with pytest.raises(InvalidInputError, match="time axis"):
        transfer_entropy(x[:100, 0], x[:, 1])
    with pytest.raises(InvalidInputError, match="history"):
        transfer_entropy(x[:, 0], x[:, 1], history=0)


def test_surrogate_choices():
    x = simulate_var1(A2, 3000, seed=4)
    loc = transfer_entropy(x[:, 1], x[:, 0], n_permutations=19, surrogate="local", seed=0)
    assert loc.settings["surrogate"].startswith("local") and loc.p_value > 0.05
    fwd = transfer_entropy(x[:, 0], x[:, 1], n_permutations=19, surrogate="local", seed=0)
    assert fwd.p_value == pytest.approx(0.05)
    assert transfer_entropy(x[:, 0], x[:, 1], estimator="ksg", n_permutations=0).settings["k"] == 4
    with pytest.raises(InvalidInputError, match="surrogate"):
        transfer_entropy(x[:, 0], x[:, 1], surrogate="bogus", n_permutations=2)
