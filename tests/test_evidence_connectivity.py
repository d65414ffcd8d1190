"""Granger causality and regression DCM recover known coupling graphs of simulated networks."""

from __future__ import annotations

import numpy as np
import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.evidence import RegressionDCM, granger, select_var_order
from glue_widgets.simulate import random_network, simulate_linear_network, simulate_var


def _pr(est, truth):
    tp = np.sum(est & truth)
    return tp / max(est.sum(), 1), tp / max(truth.sum(), 1)


@pytest.fixture(scope="module")
def network():
    A = random_network(6, density=0.25, seed=3)
    x = simulate_linear_network(A, fs=100.0, n_samples=20_000, seed=1)
    truth = (A.T != 0) & ~np.eye(6, dtype=bool)  # (source, target)
    return A, x, truth


def test_granger_recovers_graph(network):
    _, x, truth = network
    g = granger(x, max_order=5)
    prec, rec = _pr(g.graph, truth)
    assert prec >= 0.8 and rec >= 0.9, (prec, rec)
    assert g.gc.dims == ("source", "target")
    assert np.isnan(g.gc.values.diagonal()).all()
    assert g.settings["order"] == g.order


def test_granger_bic_picks_true_order():
    coefs = np.zeros((3, 3, 3))
    coefs[0] = np.diag([0.3, 0.3, 0.3])
    coefs[2] = [[0.0, 0, 0], [0.5, 0, 0], [0, 0, 0.2]]  # lag-3 coupling 0 -> 1
    x = simulate_var(coefs, 8000, seed=2)
    p, scores = select_var_order(x, max_order=6)
    assert p == 3 and len(scores) == 6
    g = granger(x)
    assert g.order == 3 and g.graph[0, 1]


@pytest.mark.parametrize("prior", ["ard", "ols"])
def test_dcm_recovers_graph_and_weights(network, prior):
    A, x, truth = network
    dcm = RegressionDCM(fs=100.0, prior=prior).fit(x)
    prec, rec = _pr(dcm.graph_.values, truth)
    assert prec >= 0.8 and rec >= 0.9, (prior, prec, rec)
    est = dcm.A_.values.T
    assert np.corrcoef(est[A != 0], A[A != 0])[0, 1] > 0.95
    # steady-state response to a sustained drive follows from A
    b = np.zeros(6)
    b[0] = 1.0
    assert np.corrcoef(dcm.perturbation_response(b), -np.linalg.solve(A, b))[0, 1] > 0.9


def test_dcm_inputs_and_errors(network):
    A = np.array([[-10.0, 0.0], [6.0, -10.0]])
    u = (np.arange(30_000) // 500 % 2).astype(float)[:, None]  # square-wave drive into region 0
    x = simulate_linear_network(A, fs=100.0, n_samples=30_000, C=np.array([[8.0], [0.0]]), u=u, seed=4)
    dcm = RegressionDCM(fs=100.0, prior="ols").fit(x, u=u)
    assert dcm.C_.shape == (2, 1)
    assert dcm.C_[0, 0] == pytest.approx(8.0, rel=0.25) and abs(dcm.C_[1, 0]) < 2.0
    with pytest.raises(InvalidInputError, match="prior"):
        RegressionDCM(fs=100.0, prior="vb").fit(x)
    with pytest.raises(InvalidInputError, match="samples"):
        RegressionDCM(fs=100.0).fit(x, u=u[:100])
    with pytest.raises(InvalidInputError, match="fit"):
        RegressionDCM(fs=100.0).perturbation_response(np.ones(2))
