"""Coupling loop: convergence, held-out improvement over a single pass, generalization, attribution."""

from __future__ import annotations

import numpy as np
import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.simulate import simulate_sessions
from glue_widgets.errormap.loop import CouplingLoop, variance_partition


@pytest.fixture(scope="module")
def result():
    data, truth = simulate_sessions(subjects=2, days=3, duration_s=240.0, seed=0, arousal_coupling=0.4)
    res = CouplingLoop(max_iter=4, n_boot=20, n_permutations=50).run(data)
    return res, truth


def test_loop_converges_and_beats_single_pass(result):
    from sklearn.metrics import adjusted_rand_score

    res, truth = result
    assert res.converged and 2 <= len(res.iterations) <= 5
    assert res.iterations[0].clusters.nunique() == 1  # single pass: one frame for all
    final = res.iterations[-1]
    gen = [truth[n]["generator"] for n in final.clusters.index]
    assert adjusted_rand_score(gen, final.clusters.values) == 1.0
    assert res.improvement > 0.05
    assert final.heldout_error < res.iterations[0].heldout_error
    hist = res.history
    assert list(hist.columns) >= ["heldout_error"] and len(hist) == len(res.iterations)
    assert all(it.error_map.attrs["iteration"] == i for i, it in enumerate(res.iterations))
    assert "converged=True" in res.summary()


def test_generalization_report(result):
    res, _ = result
    g = res.generalization
    assert set(g["group_by"]) >= {"day", "subject"}
    days = g[g["group_by"] == "day"]
    assert len(days) == 3 and (days["n_fragments"] == 6).all()
    # cluster-wise models transfer to held-out days better than one pooled frame
    assert (days["error"] < days["single_pass_error"]).all()


def test_attribution_names_arousal(result):
    res, _ = result
    att = res.attribution
    assert set(att.index) == {"arousal", "lab", "apparatus", "species"}
    assert res.top_confound == "arousal"
    assert att.loc["arousal", "unique"] > att.drop("arousal")["unique"].max()
    assert 0 <= att.attrs["full_r2"] <= 1
    assert "per_fragment" in att.attrs
    # commonality analysis + Freedman–Lane QAP: n is the number of fragments, not of pairs
    assert att.attrs["n"] == 18 and att.attrs["n_pairs"] == 18 * 17 and "QAP" in att.attrs["test"]
    assert np.isclose(att.attrs["table"].sum(), att.attrs["full_r2"])
    assert np.allclose(att["unique"] + att["shared"], att["alone"])
    pf = att.attrs["per_fragment"]
    assert pf.attrs["n"] == 18 and {"unique", "shared", "p_value"} <= set(pf.columns)
    assert "Freedman–Lane" in res.summary()


def test_attribution_strata_key_is_checked(result):
    res, _ = result
    loop = CouplingLoop(strata="no_such_key")
    meta = res.iterations[-1].clusters.to_frame()
    with pytest.raises(InvalidInputError, match="no_such_key"):
        loop._strata(meta, res.iterations[-1].clusters.to_numpy())


def test_variance_partition_and_errors():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(60)
    lab = np.repeat(["x", "y", "z"], 20)
    y = 1.5 * a + 0.5 * (lab == "y") + 0.2 * rng.standard_normal(60)
    vp = variance_partition(y, {"arousal": a, "lab": lab, "noise": rng.standard_normal(60)}, n_permutations=200)
    assert vp.index[0] == "arousal" and vp.loc["arousal", "p_value"] < 0.01
    assert vp.loc["lab", "p_value"] < 0.05 and vp.loc["noise", "p_value"] > 0.01
    with pytest.raises(InvalidInputError):
        CouplingLoop(max_iter=-1).run([np.random.rand(500, 10), np.random.rand(500, 10)])


def test_variance_partition_with_a_single_block():
    # one varying confound (e.g. one lab and one species in the data): its unique share is the whole fit
    import numpy as np

    from glue_widgets.errormap.loop import variance_partition

    rng = np.random.default_rng(1)
    a = rng.standard_normal(30)
    vp = variance_partition(2 * a + 0.1 * rng.standard_normal(30), {"arousal": a}, n_permutations=50)
    assert list(vp.index) == ["arousal"]
    assert vp.loc["arousal", "unique"] > 0.9 and vp.loc["arousal", "p_value"] < 0.05
