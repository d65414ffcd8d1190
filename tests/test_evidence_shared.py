"""Compression onto shared axes, re-expression, intervention alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.evidence import (RegressionDCM, compression, epoch_responses, intervention_alignment,
                                   reexpress)
from glue_widgets.simulate import random_network, simulate_linear_network


def test_compression_space_and_time():
    rng = np.random.default_rng(0)
    # space mode: 4 fragments in a common 6-d frame, 3 share a 2-d plane, 1 lives elsewhere
    basis = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    frags = {f"s{i}": rng.standard_normal((1500, 2)) @ basis[:, :2].T + 0.05 * rng.standard_normal((1500, 6))
             for i in range(3)}
    frags["odd"] = rng.standard_normal((1500, 2)) @ basis[:, 4:].T + 0.05 * rng.standard_normal((1500, 6))
    res = compression(frags, k=2)
    assert res.settings["mode"] == "space"
    assert (res.explained.sel(fragment=["s0", "s1", "s2"]) > 0.9).all()
    assert res.explained.sel(fragment="odd") < 0.2
    assert np.all(res.explained <= res.own_best + 1e-9)
    big = compression(frags, k=4)
    assert big.total > 0.95 and np.all(np.diff(big.curve.values) >= -1e-12)
    # time mode: simultaneous regions sharing a 2-d latent
    z = rng.standard_normal((2000, 2))
    regions = [z @ rng.standard_normal((2, n)) + 0.2 * rng.standard_normal((2000, n)) for n in (5, 9, 14)]
    t = compression(regions, k=2)
    assert t.settings["mode"] == "time" and t.total > 0.85 and t.axes.shape == (2000, 2)
    with pytest.raises(InvalidInputError, match="at least 2"):
        compression([regions[0]], k=1)


def test_reexpress_finds_shared_and_missing_representation():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((4000, 4))
    a = z[:, :2] @ rng.standard_normal((2, 10)) + 0.1 * rng.standard_normal((4000, 10))
    b = z @ rng.standard_normal((4, 12)) + 0.1 * rng.standard_normal((4000, 12))
    res = reexpress(a, b, n_components=2)
    assert res.expressed.shape == (2, 12) and res.mapping.shape == (10, 12)
    # a's plane exists in b (half of b's latents): well re-expressed but only part of b is predictable
    assert 0.3 < res.r2 < 0.7
    assert res.variance_captured > 0.8
    unrelated = reexpress(rng.standard_normal((4000, 10)), b, n_components=2)
    assert unrelated.r2 < 0.05


def test_intervention_alignment_with_dcm_predictions():
    A = random_network(5, density=0.3, seed=7)
    fs, n = 100.0, 40_000
    rest = simulate_linear_network(A, fs, n, seed=0)
    dcm = RegressionDCM(fs=fs).fit(rest)
    # perturbation session: drive each region in turn (2-s pulses), observe responses
    u = np.zeros((n, 5))
    rows = []
    for i, start in enumerate(range(400, n - 400, 800)):
        node = i % 5
        u[start:start + 200, node] = 20.0
        rows.append({"start": start / fs, "stop": (start + 200) / fs, "label": f"stim{node}"})
    x = simulate_linear_network(A, fs, n, C=np.eye(5), u=u, seed=1)
    epochs = pd.DataFrame(rows)
    observed = epoch_responses(x, epochs, fs=fs, baseline=1.0)
    predicted = {f"stim{j}": dcm.perturbation_response(20.0 * np.eye(5)[j]) for j in range(5)}
    res = intervention_alignment(predicted, observed, n_permutations=500)
    assert res.identification == 1.0 and res.mean_r > 0.8 and res.p_value < 0.05
    # a model with the wrong coupling predicts worse
    wrong = RegressionDCM(fs=fs).fit(simulate_linear_network(random_network(5, 0.3, seed=99), fs, n, seed=2))
    bad = intervention_alignment({k: wrong.perturbation_response(20.0 * np.eye(5)[int(k[-1])])
                                  for k in predicted}, observed, n_permutations=100)
    assert bad.r2 < res.r2
    with pytest.raises(InvalidInputError, match="shared conditions"):
        intervention_alignment({"a": [1, 2]}, {"b": [1, 2]})
