"""Error map: paired and unpaired cross-prediction, CIs, clustering by generator, lazy fragments, schedulers."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from glue_widgets.model.fragment import Fragment, as_fragments
from glue_widgets.errors import InvalidInputError
from glue_widgets.errormap import classical_mds, error_map
from glue_widgets.simulate import simulate_sessions
from glue_widgets.model.memory import ArraySession


def adjusted_rand(a, b):
    from sklearn.metrics import adjusted_rand_score

    return adjusted_rand_score(a, b)


@pytest.fixture(scope="module")
def corpus():
    return simulate_sessions(subjects=2, days=2, duration_s=240.0, n_neurons=40, seed=3)


def test_paired_map_values_ci_and_standin():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3000, 2))
    frags = {"a": z @ rng.standard_normal((2, 8)) + 0.3 * rng.standard_normal((3000, 8)),
             "b": z @ rng.standard_normal((2, 6)) + 0.3 * rng.standard_normal((3000, 6)),
             "c": z[:, :1] @ rng.standard_normal((1, 5)) + 0.3 * rng.standard_normal((3000, 5)),
             "noise": rng.standard_normal((3000, 4))}
    E = error_map(frags, paired=True, n_boot=100)
    assert E.dims == ("source", "target") and E.attrs["paired"] is True
    ab = E.sel(source="a", target="b")
    assert float(ab) < 0.1 and float(ab.ci_low) <= float(ab) <= float(ab.ci_high)
    assert float(E.sel(source="noise", target="a")) > 0.95
    assert float(E.sel(source="a", target="noise")) > 0.95
    assert E.standin.sel(target="b") in ("a",)
    # c holds only one of the two latents: it predicts a far worse than b does
    assert float(E.sel(source="b", target="a")) + 0.2 < float(E.sel(source="c", target="a"))
    assert E.source_cluster.sel(source="noise") != E.source_cluster.sel(source="a")


def test_unpaired_map_groups_by_generator(corpus):
    data, truth = corpus
    for aligner in ("canonical", "auto"):
        E = error_map(data, n_boot=50, aligner=aligner)
        assert E.attrs["paired"] is False
        gen = [truth[n]["generator"] for n in E.source.values]
        assert adjusted_rand(gen, E.source_cluster.values) == 1.0, aligner
        # same-generator pairs predict better than cross-generator pairs
        same = np.equal.outer(gen, gen) & ~np.eye(len(gen), dtype=bool)
        assert np.median(E.values[same]) < np.median(E.values[~np.equal.outer(gen, gen)])
    assert set(E.attrs["meta"][gen and E.source.values[0]]) >= {"lab", "species", "subject", "day"}


def test_lazy_fragments_open_read_close_and_schedulers(corpus):
    data, _ = corpus
    names = list(data)[:5]
    opened, closed = [], []

    class Tracked(ArraySession):
        def close(self):
            closed.append(self.uri)
            super().close()

    def opener(uri):
        opened.append(uri)
        return Tracked(uri, signals={"rate": data[uri.split("://", 1)[1]]})

    frags = [Fragment(n, uri=f"mem://{n}", stream="rate", start=10.0, stop=100.0, meta={"day": i})
             for i, n in enumerate(names)]
    calls = []
    E_thr = error_map(frags, n_boot=20, opener=opener, aligner="canonical",
                      progress=lambda done, total, desc: calls.append((done, total, desc)))
    assert sorted(opened) == sorted(closed) == sorted(f"mem://{n}" for n in names)
    assert calls and calls[-1][0] == calls[-1][1]
    E_sync = error_map(frags, n_boot=20, opener=opener, aligner="canonical", scheduler="sync")
    xr.testing.assert_identical(E_thr, E_sync)
    # same data given in memory (same window) -> same map
    mem = {n: data[n].sel(time=slice(10.0, 100.0 - 1e-9)) for n in names}
    E_mem = error_map(mem, n_boot=20, aligner="canonical")
    np.testing.assert_allclose(E_mem.values, E_thr.values)


def test_distributed_client_matches_threads(corpus):
    distributed = pytest.importorskip("distributed")
    data, _ = corpus
    sub = {n: data[n] for n in list(data)[:4]}
    E_thr = error_map(sub, n_boot=20, aligner="canonical")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as c:
        E_dist = error_map(sub, n_boot=20, aligner="canonical", scheduler=c)
    xr.testing.assert_identical(E_thr, E_dist)


def test_mds_and_bad_input():
    D = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], float)
    X = classical_mds(D, 2)
    np.testing.assert_allclose(np.linalg.norm(X[0] - X[2]), 2.0, atol=1e-8)
    with pytest.raises(InvalidInputError, match="at least 2"):
        error_map([np.zeros((100, 3))])
    with pytest.raises(InvalidInputError, match="unique"):
        as_fragments([Fragment("a", data=np.ones((10, 2))), Fragment("a", data=np.ones((10, 2)))])
    with pytest.raises(InvalidInputError, match="scheduler"):
        error_map([np.random.rand(500, 5), np.random.rand(500, 5)], scheduler="gpu")
    with pytest.raises(InvalidInputError, match="same number of samples"):
        error_map([np.random.rand(500, 5), np.random.rand(400, 5)], paired=True)


def test_public_names_resolve():
    import glue_widgets as gw

    from glue_widgets.errormap.loop import CouplingLoop

    assert gw.error_map is error_map and gw.CouplingLoop is CouplingLoop
    assert callable(gw.evidence.transfer_entropy)


def test_demo_uris_open_read_close_through_gw_open(monkeypatch):
    """Lazy demo:// fragments (small corpus) go through gw.open in each task; regions as paired fragments."""
    import os

    demo = pytest.importorskip("glue_widgets.sources.demo")
    if not all(hasattr(demo, n) for n in ("list", "build", "describe")):
        pytest.skip("gw.demo is not complete yet")
    monkeypatch.setenv("GLUE_DEMO_SIZE", os.environ.get("GLUE_DEMO_SIZE", "small"))
    demo.build(size=os.environ["GLUE_DEMO_SIZE"])
    uris = ["demo://arbor/m01/day0", "demo://arbor/m01/day1", "demo://arbor/m02/day0", "demo://arbor/m02/day1"]
    frags = [Fragment(u.replace("demo://", ""), uri=u, stream="units", start=0.0, stop=80.0,
                      meta={"subject": u.split("/")[3]}) for u in uris]
    E = error_map(frags, n_boot=20, aligner="canonical")
    assert E.shape == (4, 4) and np.isfinite(E.values).all() and E.attrs["paired"] is False
    assert E.attrs["meta"]["arbor/m01/day0"]["subject"] == "m01"
    # the two recorded regions of one session are simultaneous fragments: V1 predicts V2 (shared latents)
    import glue_widgets as gw

    with gw.open(uris[0]) as s:
        x = s.read("units", 0.0, 80.0)
    regions = {r: x.isel(channel=np.flatnonzero(x.region.values == r)) for r in ("V1", "V2")}
    shuffled = regions["V2"].copy(data=np.random.default_rng(0).permutation(regions["V2"].values))
    P = error_map({"V1": regions["V1"], "V2": regions["V2"], "V2 shuffled": shuffled}, paired=True, n_boot=20)
    assert float(P.sel(source="V1", target="V2")) < float(P.sel(source="V1", target="V2 shuffled"))
    assert float(P.sel(source="V1", target="V2 shuffled")) > 0.97


def test_translators_from_gw_translate():
    translate = pytest.importorskip("glue_widgets.translate")
    if not hasattr(translate, "Translator"):
        pytest.skip("gw.translate.Translator not there yet")
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2000, 2))
    frags = {"a": z @ rng.standard_normal((2, 8)) + 0.3 * rng.standard_normal((2000, 8)),
             "b": z @ rng.standard_normal((2, 6)) + 0.3 * rng.standard_normal((2000, 6)),
             "c": rng.standard_normal((2000, 5))}
    ridge = error_map(frags, paired=True, n_boot=0)
    for model in ("rrr", translate.Translator("ridge")):
        E = error_map(frags, paired=True, n_boot=0, model=model)
        np.testing.assert_allclose(E.values, ridge.values, atol=0.02)


def test_ci_rule_keeps_singletons_and_subgroups_under_a_modality_gap():
    """Silhouette (the default since issue #21) picks the coarse modality split here; the bootstrap-CI cut
    (clustering="ci") finds the generators, singleton included.

    Simulation: 4 sessions of generator "slow" seen through a calcium-like indicator (exponential
    smoothing, tau = 1 s, which makes them far from everything else), 2 sessions of "fast", and a
    single "rotation" session (a generator with one fragment, as in the demo corpus).
    """
    from scipy.signal import lfilter

    from glue_widgets.errormap import ci_clusters, ci_excess

    data, truth = simulate_sessions(subjects=2, days=2, duration_s=180.0, n_neurons=30, seed=5)
    sub, count = {}, {}
    decay = np.exp(-1 / 20.0)
    for name, x in data.items():
        g = truth[name]["generator"]
        if g == "slow":
            sub[name] = x.copy(data=lfilter([1 - decay], [1, -decay], x.values, axis=0))
        elif count.get(g, 0) < {"fast": 2, "rotation": 1}[g]:
            sub[name] = x
        count[g] = count.get(g, 0) + 1
    gen = [truth[n]["generator"] for n in sub]
    assert sorted(gen.count(g) for g in set(gen)) == [1, 2, 4]
    E = error_map(sub, n_boot=100, aligner="canonical", clustering="ci")
    assert E.attrs["clustering"]["method"].startswith("average linkage on the cross-prediction excess")
    assert adjusted_rand(gen, E.source_cluster.values) == 1.0
    assert E.attrs["clustering"]["n_clusters"] == 3
    sil = error_map(sub, n_boot=100, aligner="canonical")
    # the modality gap still dominates the default (known limit): the lone generator's fragment is not split off
    # (a single fragment needs a within-cluster silhouette of 0.7 to leave its branch)
    assert sil.attrs["clustering"]["n_clusters"] == 2
    # the rule itself: within-generator excess below one CI half-width, across generators above
    half = np.asarray(E.attrs["clustering"]["own_ci_halfwidth"])
    X = ci_excess(E.values, half)
    same = np.equal.outer(gen, gen) & ~np.eye(len(gen), dtype=bool)
    assert X[same].max() < 1.0 < X[~np.equal.outer(gen, gen)].min()
    lab, info = ci_clusters(E.values, half, threshold=1.0)
    np.testing.assert_array_equal(lab, E.source_cluster.values)
    assert lab[0] == 0 and info["n_clusters"] == 3
    with pytest.raises(InvalidInputError, match="clustering"):
        error_map(sub, n_boot=0, aligner="canonical", clustering="ci")
