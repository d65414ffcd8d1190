"""Failure attribution: commonality analysis and Freedman–Lane permutation tests (fragment and QAP pair level).

Simulations plant a known confound; power = detected, null = p-values roughly uniform (calibrated),
including when the tested confound is correlated with a nuisance that does have an effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from glue_widgets.errormap.attribution import (attribute_fragments, attribute_pairs, commonality, pair_design,
                                      permute_within)
from glue_widgets.errors import InvalidInputError


def frag_sim(n=60, beta=0.0, seed=0):
    """Per-fragment errors: a lab effect, arousal correlated with lab, arousal effect beta."""
    r = np.random.default_rng(seed)
    lab = np.repeat(["a", "b", "c"], n // 3)
    arousal = r.standard_normal(n) + 1.0 * (lab == "b") - 0.8 * (lab == "c")
    y = 0.8 * (lab == "b") + 0.5 * (lab == "c") + beta * arousal + 0.5 * r.standard_normal(n)
    return y, lab, arousal


def pair_sim(n=24, beta=0.0, seed=0):
    """Pair errors = cluster-cell mean + source and target random effects + noise + beta * target arousal."""
    r = np.random.default_rng(seed)
    cl = np.repeat(np.arange(3), n // 3)
    lab = np.where(cl == 0, "x", np.where(np.arange(n) % 2, "y", "z"))
    arousal = r.standard_normal(n) + 0.5 * (cl == 1)
    u, v = r.standard_normal(n), r.standard_normal(n)  # each fragment's own offset: pairs sharing it correlate
    cell = r.standard_normal((3, 3))
    E = cell[cl][:, cl] + 0.5 * u[:, None] + 0.5 * v[None, :] + 0.3 * r.standard_normal((n, n))
    return E + beta * arousal[None, :], cl, lab, arousal


def test_commonality_identities():
    r = np.random.default_rng(0)
    a = r.standard_normal(300)
    b = a + r.standard_normal(300)          # shares variance with a
    c = r.standard_normal(300)              # independent
    y = a + b + 0.5 * c + r.standard_normal(300)
    cm = commonality(y, {"a": a, "b": b, "c": c})
    tab = cm.attrs["table"]
    assert len(tab) == 7                                          # 2^3 - 1 subsets
    assert np.isclose(tab.sum(), cm.attrs["full_r2"])             # coefficients partition the full R²
    assert np.allclose(cm["unique"] + cm["shared"], cm["alone"])
    assert tab["a & b"] > 0.1 and abs(tab["a & c"]) < 0.02        # a, b overlap; c does not
    # a duplicated block has no unique share: all of it is shared
    cm2 = commonality(y, {"lab": np.repeat(["p", "q"], 150), "apparatus": np.repeat(["P", "Q"], 150), "a": a})
    assert abs(cm2.loc["lab", "unique"]) < 1e-10 and abs(cm2.loc["apparatus", "unique"]) < 1e-10
    assert cm2.loc["lab", "shared"] == pytest.approx(cm2.loc["lab", "alone"])


def test_fragment_level_power_and_null_calibration():
    # power: a planted arousal effect, with arousal correlated with an effective lab confound
    y, lab, ar = frag_sim(beta=0.5, seed=1)
    att = attribute_fragments(y, {"arousal": ar, "lab": lab}, n_permutations=199, seed=0)
    assert att.index[0] == "arousal" or att.loc["arousal", "p_value"] < 0.01
    assert att.loc["arousal", "p_value"] < 0.01 and att.attrs["n"] == 60
    assert att.loc["arousal", "shared"] != 0  # correlated with lab: part of it is shared
    # null: arousal has no effect but is correlated with a lab that has one -> p roughly uniform
    ps = np.array([attribute_fragments(*[frag_sim(beta=0.0, seed=s)[0]],
                                       {"arousal": frag_sim(seed=s)[2], "lab": frag_sim(seed=s)[1]},
                                       n_permutations=99, seed=s).loc["arousal", "p_value"] for s in range(40)])
    assert np.mean(ps < 0.05) <= 0.15
    assert stats.kstest(ps, "uniform").pvalue > 0.01


def test_strata_keep_permutations_inside_groups():
    rng = np.random.default_rng(0)
    st = np.repeat(["a", "b", "c"], [3, 4, 5])
    for _ in range(20):
        p = permute_within(rng, st, st.size)
        assert sorted(p) == list(range(st.size)) and (st[p] == st).all()
    y, lab, ar = frag_sim(beta=0.5, seed=2)
    att = attribute_fragments(y, {"arousal": ar}, nuisance=lab, strata=lab, n_permutations=199)
    assert att.loc["arousal", "p_value"] < 0.01 and "within strata" in att.attrs["test"]


def test_pairwise_qap_is_calibrated_and_naive_pair_permutation_is_not():
    p_qap, p_naive = [], []
    for s in range(30):
        E, cl, lab, ar = pair_sim(beta=0.0, seed=s)
        conf = {"arousal": ar, "lab": lab}
        p_qap.append(attribute_pairs(E, conf, nuisance=cl, n_permutations=99, seed=s).loc["arousal", "p_value"])
        p_naive.append(attribute_pairs(E, conf, nuisance=cl, n_permutations=99, seed=s,
                                       permute="pairs").loc["arousal", "p_value"])
    p_qap, p_naive = np.array(p_qap), np.array(p_naive)
    assert np.mean(p_qap < 0.05) <= 0.17 and stats.kstest(p_qap, "uniform").pvalue > 0.01
    # n(n-1) = 552 "observations" that are really 24 fragments: naive p-values are far too small
    assert np.mean(p_naive < 0.05) >= 0.4


def test_pairwise_power_and_structure():
    E, cl, lab, ar = pair_sim(n=30, beta=0.8, seed=3)
    att = attribute_pairs(E, {"arousal": ar, "lab": lab}, nuisance=cl, strata=cl, n_permutations=199)
    assert att.index[0] == "arousal" and att.loc["arousal", "p_value"] < 0.01
    assert att.attrs["n"] == 30 and att.attrs["n_pairs"] == 30 * 29
    assert set(att.columns) >= {"unique", "shared", "alone", "F", "p_value", "n_columns"}
    # a numeric confound enters as source value, target value, |difference|; categorical as same + levels
    src, tgt = np.array([0, 1]), np.array([1, 0])
    assert pair_design(np.array([0.0, 1.0, 2.0]), src, tgt).shape == (2, 3)
    assert pair_design(pd.Series(["a", "b", "c"]), src, tgt).shape == (2, 5)


def test_bad_input_messages():
    with pytest.raises(InvalidInputError, match="square"):
        attribute_pairs(np.zeros((3, 4)), {"a": [1, 2, 3]})
    with pytest.raises(InvalidInputError, match="rows"):
        attribute_fragments(np.arange(5.0), {"a": np.arange(4.0)})
    with pytest.raises(InvalidInputError, match="non-finite"):
        attribute_fragments(np.array([1.0, np.nan, 2.0, 3.0]), {"a": np.arange(4.0)})
    with pytest.raises(InvalidInputError, match="strata"):
        attribute_fragments(np.arange(6.0), {"a": np.arange(6.0) ** 2}, strata=["a"] * 5)
    assert attribute_fragments(np.arange(6.0), {}).empty


def test_card_arousal_skips_velocity_readouts_and_loop_meta_uses_it():
    import xarray as xr

    from glue_widgets.model.card_fields import card_arousal
    from glue_widgets.model.fragment import as_fragments
    from glue_widgets.errormap.loop import _fragment_meta

    card = {"arousal": {"available": ["pupil", "speed"],
                        "pupil_diameter": {"role": "pupil", "mean": 1.5, "sd": 0.25},
                        "running_speed": {"role": "speed", "mean": 0.12, "sd": 0.17},
                        "velocity": {"role": "speed", "mean": 1.25, "sd": 0.74, "source_role": "velocity",
                                     "derived": "speed from velocity"}}}
    got = card_arousal(card)
    assert got == {"arousal_pupil_mean": 1.5, "arousal_pupil_sd": 0.25, "arousal_speed_mean": 0.12,
                   "arousal_speed_sd": 0.17}
    assert card_arousal(None) == {} and card_arousal({"arousal": None}) == {}
    x = xr.DataArray(np.zeros((10, 2)), dims=("time", "channel"), attrs={"card": card, "lab": "a"})
    meta = _fragment_meta(as_fragments({"f": x, "g": x.copy()})[0])
    assert meta["arousal_speed_mean"] == 0.12 and meta["lab"] == "a"  # the running speed, not the velocity


def test_basis_falls_back_when_gesdd_does_not_converge(monkeypatch):
    from glue_widgets.errormap import attribution as A

    X = np.random.default_rng(0).standard_normal((50, 4))
    X[:, 3] = X[:, 0] + X[:, 1]  # collinear column: rank 3
    Q = A._basis(X)

    def boom(*a, **k):
        raise np.linalg.LinAlgError("SVD did not converge")

    monkeypatch.setattr(A.np.linalg, "svd", boom)
    Q2 = A._basis(X)  # scipy gesvd fallback: same column space
    assert Q2.shape == Q.shape == (50, 3)
    assert np.allclose(Q2 @ Q2.T, Q @ Q.T, atol=1e-10)
    with pytest.raises(InvalidInputError, match="non-finite"):
        A._basis(np.where(np.eye(50, 4, dtype=bool), np.nan, X))
