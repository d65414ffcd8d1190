"""The error map measures closeness (issue #21): fragments of known kinship, noise varying tenfold
independently of the groups (glue_widgets.simulate.kinship)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from glue_widgets.errormap import error_map
from glue_widgets.errors import InvalidInputError
from glue_widgets.simulate.kinship import kinship_fragments


def within_better(E, groups) -> float:
    """Fraction of targets whose same-group sources (mean error) beat the other groups' sources."""
    g = np.asarray(groups)
    V = E.values.copy()
    np.fill_diagonal(V, np.nan)
    ok = [np.nanmean(np.where(g == g[t], V[:, t], np.nan)) < np.nanmean(np.where(g != g[t], V[:, t], np.nan))
          for t in range(len(g))]
    return float(np.mean(ok))


@pytest.mark.parametrize("seed", [101, 102])
def test_kinship_groups_recovered_with_tenfold_noise(seed):
    frags, groups, info = kinship_fragments(seed=seed)
    assert max(info["snr_db"].values()) - min(info["snr_db"].values()) > 5  # noise really varies
    E3 = error_map(frags, paired=False, n_boot=20, n_clusters=3)
    Ea = error_map(frags, paired=False, n_boot=20)
    assert adjusted_rand_score(groups, E3.source_cluster.values) >= 0.8
    assert adjusted_rand_score(groups, Ea.source_cluster.values) >= 0.8
    assert within_better(E3, groups) >= 0.9
    # a fragment predicting itself beats every source of another group
    g = np.asarray(groups)
    own = np.diag(E3.values)
    assert all(own[t] < E3.values[g != g[t], t].min() for t in range(len(g)))
    assert E3.attrs["reduction"] == "lagcov" and "closeness" in E3.attrs and "closeness_note" in E3.attrs
    assert len(E3.attrs["own_error"]) == len(groups)


def test_defaults_guarded():
    sig = inspect.signature(error_map).parameters
    assert sig["model"].default == "auto" and sig["reduction"].default == "lagcov"
    assert sig["clustering"].default == "auto" and sig["aligner"].default == "auto"
    from glue_widgets.errormap import CouplingLoop

    assert CouplingLoop().get_params()["model"] == "auto"
    with pytest.raises(InvalidInputError, match="reduction"):
        error_map([np.random.rand(500, 5), np.random.rand(500, 5)], reduction="ica")


def test_indistinct_target_is_named():
    frags, groups, _ = kinship_fragments(n_groups=2, per_group=2, seed=7, duration=60.0)
    frags["pure noise"] = np.random.default_rng(0).normal(size=(3000, 30))
    E = error_map(frags, paired=False, n_boot=20)
    assert "pure noise" in E.attrs["indistinct"] and "pure noise" in E.attrs["closeness_note"]


def test_coupling_loop_follows_sklearn_conventions():
    from sklearn.base import clone

    from glue_widgets.errormap import CouplingLoop

    frags, groups, _ = kinship_fragments(n_groups=2, per_group=2, seed=5, duration=60.0)
    est = CouplingLoop(max_iter=1, n_boot=5, n_permutations=19, reduction="lagcov")
    assert clone(est).get_params() == est.get_params() and not hasattr(est, "result_")
    assert est.fit(frags) is est and est.result_.iterations


@pytest.mark.parametrize("seed", [15, 17])
def test_close_groups_not_merged(seed):
    """Tuning families where average linkage on the relative excess merged two groups of close dynamics."""
    frags, groups, _ = kinship_fragments(seed=seed)
    for k in (3, None):
        E = error_map(frags, paired=False, n_boot=20, n_clusters=k)
        assert adjusted_rand_score(groups, E.source_cluster.values) >= 0.8, k
    assert "divisive" in E.attrs["clustering"]["method"] and E.attrs["clustering"]["n_clusters"] == 3


def test_one_generator_stays_one_cluster():
    frags, groups, _ = kinship_fragments(n_groups=1, per_group=8, seed=0)
    E = error_map(frags, paired=False, n_boot=20)
    assert E.attrs["clustering"]["n_clusters"] == 1 and set(E.source_cluster.values) == {0}


def test_spectrum_distance_is_frame_free():
    from glue_widgets.errormap.cluster import kinship_distance, rank_dissimilarity, spectrum_distance

    rng = np.random.default_rng(0)
    frags, groups, _ = kinship_fragments(n_groups=2, per_group=2, seed=3, duration=60.0)
    from glue_widgets.errormap.latent import reduce_lagcov

    lat = [reduce_lagcov(x, 4) for x in frags.values()]
    D = spectrum_distance(lat)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]  # a rotation: the IV ridge term is rotation-invariant
    D2 = spectrum_distance([z @ Q for z in lat])
    np.testing.assert_allclose(D, D2, atol=1e-6)
    assert np.allclose(D, D.T) and np.all(np.diag(D) == 0) and np.all(D[~np.eye(len(D), dtype=bool)] > 0)
    E = np.array([[0.1, 0.2, 0.9], [0.3, 0.1, 0.8], [0.9, 0.7, 0.2]])
    R = rank_dissimilarity(E)
    assert R[0, 1] < R[0, 2] and np.allclose(R, R.T) and np.all(np.diag(R) == 0)
    assert kinship_distance(E).shape == (3, 3)
