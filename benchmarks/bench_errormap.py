"""Error map and coupling loop benchmarks.

1. Simulated corpus (3 latent generators x 2 subjects x 3 days, arousal confound): error-map clustering vs
   the true generator (adjusted Rand index); the loop's convergence, held-out error single pass vs final,
   attribution; attribution power / planted null over arousal couplings 0, 0.4, 0.8 (5 seeds each).
2. Demo corpus (gw.demo, NWB sessions, rest segments from gw.extract_rest): the same, against
   ``gw.demo.truth(uri)["generator"]`` (read for evaluation only); then every ~100-s rest window as a
   fragment (94) with its own card, and the failure attribution with sensitivity analyses (strata,
   per-fragment unit, the invalid pair permutation, the true arousal from the truth, a placebo).
3. A 50-fragment error map (lazy demo:// windows: each task opens its session, reads its window, closes)
   on the threaded scheduler and on a LocalCluster of 2 worker processes: equality and wall time.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_errormap.py
     PYTHONPATH=. .venv/bin/python benchmarks/bench_errormap.py --attribution   (re-runs only the demo
     window attribution, the arousal contrast and the summary, and splices them into the recorded section;
     the other subsections keep their earlier run, and the spliced part says when it ran)
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from _record import record  # noqa: E402
from glue_widgets.model.fragment import Fragment  # noqa: E402
from glue_widgets.model.fragment import as_fragments as as_fragments_  # noqa: E402
from glue_widgets.errormap import error_map  # noqa: E402
from glue_widgets.simulate import simulate_sessions  # noqa: E402
from glue_widgets.errormap.loop import CouplingLoop  # noqa: E402

warnings.filterwarnings("ignore")


def grouping_scores(E, gen):
    """AUC of the symmetric dissimilarity separating same- from different-generator pairs, and the
    fraction of targets (whose generator has another fragment) whose stand-in shares their generator."""
    from sklearn.metrics import roc_auc_score

    from glue_widgets.errormap import dissimilarity

    D = dissimilarity(E.values, relative=not E.attrs.get("paired", False))
    g = np.asarray(gen)
    same = np.equal.outer(g, g)
    iu = np.triu_indices(len(g), 1)
    auc = roc_auc_score(~same[iu], D[iu]) if same[iu].any() and (~same[iu]).any() else float("nan")
    names = list(E.source.values)
    ok = [t for t in range(len(g)) if (g == g[t]).sum() > 1]
    acc = np.mean([g[names.index(str(E.standin.values[t]))] == g[t] for t in ok]) if ok else float("nan")
    return float(auc), float(acc)


def loop_rows(res):
    return [{"iteration": it.index, "n_clusters": int(it.clusters.nunique()), "heldout_error": it.heldout_error,
             "references": ", ".join(sorted(it.references.values()))} for it in res.iterations]


def part_sim():
    data, truth = simulate_sessions(subjects=2, days=3, duration_s=240.0, seed=0, arousal_coupling=0.4)
    out = {}
    for al in ("canonical", "auto"):
        t0 = time.perf_counter()
        E = error_map(data, n_boot=100, aligner=al)
        gen = [truth[n]["generator"] for n in E.source.values]
        auc, acc = grouping_scores(E, gen)
        out[al] = {"aligner": E.attrs["aligner"], "ari": adjusted_rand_score(gen, E.source_cluster.values),
                   "auc": auc, "standin_acc": acc,
                   "n_clusters": E.attrs["clustering"]["n_clusters"], "seconds": time.perf_counter() - t0}
    t0 = time.perf_counter()
    res = CouplingLoop(max_iter=4, n_boot=50, n_permutations=500).run(data)
    gen = [truth[n]["generator"] for n in res.iterations[-1].clusters.index]
    out["loop"] = {"converged": res.converged, "iterations": loop_rows(res), "improvement": res.improvement,
                   "n_perm": res.attribution.attrs.get("n_permutations"),
                   "ari_final": adjusted_rand_score(gen, res.iterations[-1].clusters.values),
                   "attribution": res.attribution.reset_index().to_dict("records"),
                   "full_r2": res.attribution.attrs["full_r2"], "top": res.top_confound,
                   "generalization": res.generalization.to_dict("records"), "seconds": time.perf_counter() - t0}
    return out


def demo_rest_fragments():
    import glue_widgets as gw

    desc = gw.demo.describe()
    desc = desc[desc["format"] == "nwb"]
    frags, truth = {}, {}
    for _, row in desc.iterrows():
        with gw.open(row["uri"]) as s:
            seg = gw.extract_rest(s)
        seg.attrs.setdefault("apparatus", row["apparatus"])
        seg.attrs["day"] = row["day"]
        seg.attrs["lab"], seg.attrs["species"], seg.attrs["subject"] = row["lab"], row["species"], row["subject"]
        seg.attrs["session"] = row["uri"]
        name = row["uri"].replace("demo://", "")
        frags[name] = seg
        truth[name] = gw.demo.truth(row["uri"])["generator"]  # evaluation only
    return frags, truth, desc


def part_demo():
    t0 = time.perf_counter()
    frags, truth, desc = demo_rest_fragments()
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    E = error_map(frags, n_boot=100, aligner="auto")
    gen = [truth[n] for n in E.source.values]
    auc, acc = grouping_scores(E, gen)
    from glue_widgets.errormap import cluster_map, dissimilarity

    k_true = len(set(gen))
    lab_k, _ = cluster_map(dissimilarity(E.values), n_clusters=k_true)
    E_sil = error_map(frags, n_boot=100, aligner="auto", clustering="silhouette")
    out = {"n_fragments": len(frags), "k_true": k_true, "ari_k_true": adjusted_rand_score(gen, lab_k), "load_seconds": t_load, "aligner": E.attrs["aligner"], "auc": auc,
           "standin_acc": acc, "ari_silhouette": adjusted_rand_score(gen, E_sil.source_cluster.values),
           "n_clusters_silhouette": E_sil.attrs["clustering"]["n_clusters"],
           "clusters_silhouette": {n: int(c) for n, c in zip(E_sil.source.values, E_sil.source_cluster.values)},
           "ari": adjusted_rand_score(gen, E.source_cluster.values), "n_clusters": E.attrs["clustering"]["n_clusters"],
           "clusters": {n: int(c) for n, c in zip(E.source.values, E.source_cluster.values)},
           "generators": truth, "seconds": time.perf_counter() - t0,
           "fs": {n: float(f.attrs.get("fs", np.nan)) for n, f in frags.items()}}
    t0 = time.perf_counter()
    res = CouplingLoop(max_iter=3, n_boot=50, n_permutations=200).run(frags)
    gen = [truth[n] for n in res.iterations[-1].clusters.index]
    out["loop"] = {"converged": res.converged, "iterations": loop_rows(res), "improvement": res.improvement,
                   "n_perm": res.attribution.attrs.get("n_permutations"),
                   "ari_final": adjusted_rand_score(gen, res.iterations[-1].clusters.values),
                   "attribution": res.attribution.reset_index().to_dict("records"),
                   "full_r2": res.attribution.attrs["full_r2"], "top": res.top_confound,
                   "generalization": res.generalization.to_dict("records"), "seconds": time.perf_counter() - t0}
    return out, desc


def rest_windows(cands, window_s=300.0, min_s=150.0):
    """Non-overlapping rest candidates (best-ranked first) of at least ``min_s``, cut into ~``window_s`` pieces."""
    kept = []
    for _, r in cands.iterrows():
        a, b = float(r["start"]), float(r["stop"])
        if b - a >= min_s and not any(a < kb and b > ka for ka, kb in kept):
            kept.append((a, b))
    out = []
    for a, b in sorted(kept):
        n = max(1, int((b - a) // window_s))
        w = (b - a) / n
        out += [(a + i * w, a + (i + 1) * w) for i in range(n)]
    return out


def part_sim_power(couplings=(0.0, 0.4, 0.8), seeds=range(5), n_perm=199):
    """Pipeline-level power and null: simulated corpora (18 sessions: 3 generators x 2 subjects x 3 days) with
    arousal gain coupling 0 (planted null), 0.4 and 0.8; one error map each, its clusters as nuisance; the
    card's arousal (pupil SD of the session) tested by Freedman–Lane QAP (pairs) and per fragment."""
    import pandas as pd

    from glue_widgets.errormap.attribution import attribute_fragments, attribute_pairs, confound_blocks
    from glue_widgets.model.fragment import as_fragments, fragment_meta_table

    t0 = time.perf_counter()
    rows = []
    for c in couplings:
        for sd in seeds:
            data, _ = simulate_sessions(subjects=2, days=3, duration_s=240.0, seed=100 + sd, arousal_coupling=c)
            E = error_map(data, n_boot=20, aligner="canonical", seed=sd)
            names = list(E.source.values)
            meta = fragment_meta_table(as_fragments(data)).loc[names]
            blocks = confound_blocks(meta)
            cl = np.asarray(E.source_cluster.values)
            n = len(names)
            y = np.nanmean(np.where(np.eye(n, dtype=bool), np.nan, E.values), axis=0)
            pa = attribute_pairs(E.values, blocks, nuisance=cl, strata=cl, n_permutations=n_perm, seed=sd)
            pf = attribute_fragments(y, blocks, nuisance=pd.Series(cl.astype(str)), strata=cl.astype(str),
                                     n_permutations=n_perm, seed=sd)
            rows.append({"coupling": c, "seed": 100 + sd, "n": n, "n_clusters": int(len(set(cl))),
                         "pairs_unique": float(pa.loc["arousal", "unique"]), "pairs_p": float(pa.loc["arousal", "p_value"]),
                         "pairs_top": str(pa.index[0]), "frag_unique": float(pf.loc["arousal", "unique"]),
                         "frag_p": float(pf.loc["arousal", "p_value"])})
    return {"rows": rows, "seconds": time.perf_counter() - t0, "n_perm": n_perm}


def sim_power_md(pw):
    md = ["", "### Attribution power and planted null (simulated corpora)",
          f"simulate_sessions(subjects=2, days=3, 240 s, 50 neurons), 5 seeds per arousal gain coupling; error map "
          f"(canonical aligner, 20 bootstraps, ci clustering), its clusters as nuisance and as permutation strata; "
          f"arousal = the card's pupil SD (the session's arousal amplitude); confounds arousal, lab, apparatus, species; "
          f"{pw['n_perm']} Freedman–Lane permutations ({pw['seconds']:.1f} s).", "",
          "| arousal coupling | seeds | n fragments | arousal p < 0.05 (pairs QAP) | median p (pairs) | "
          "arousal p < 0.05 (per fragment) | median p (per fragment) | arousal top (pairs) |",
          "|---|---|---|---|---|---|---|---|"]
    df = {}
    for r in pw["rows"]:
        df.setdefault(r["coupling"], []).append(r)
    for c, rs in df.items():
        pp = np.array([r["pairs_p"] for r in rs])
        fp = np.array([r["frag_p"] for r in rs])
        md.append(f"| {c:.1f} | {len(rs)} | {rs[0]['n']} | {int(np.sum(pp < 0.05))}/{len(rs)} | {np.median(pp):.3f} | "
                  f"{int(np.sum(fp < 0.05))}/{len(rs)} | {np.median(fp):.3f} | "
                  f"{sum(r['pairs_top'] == 'arousal' for r in rs)}/{len(rs)} |")
    return md


def demo_window_fragments(desc, window_s):
    """Every rest window of every demo NWB session as its own fragment with its own card (arousal summary
    of that window: pupil / running-speed mean and SD). Also returns, for evaluation only, the generator
    and the true arousal (mean, SD over the window) from gw.demo.truth."""
    import glue_widgets as gw
    from glue_widgets.rest.candidates import find_rest_candidates

    frags, truth = {}, {}
    for _, row in desc.iterrows():
        tr = gw.demo.truth(row["uri"])  # evaluation only
        ta, aa = np.asarray(tr["arousal"]["time"]), np.asarray(tr["arousal"]["arousal"])
        with gw.open(row["uri"]) as s:
            c = find_rest_candidates(s)
            for i, (a, b) in enumerate(rest_windows(c, window_s, min_s=min(150.0, window_s))):
                cand = c[(c["start"] <= a + 1e-6) & (c["stop"] >= b - 1e-6)].iloc[[0]].copy()
                cand["start"], cand["stop"] = a, b
                seg = gw.extract_rest(s, candidates=cand, min_duration=b - a)
                seg.attrs.setdefault("apparatus", row["apparatus"])
                seg.attrs["day"] = row["day"]
                seg.attrs["lab"], seg.attrs["species"], seg.attrs["subject"] = row["lab"], row["species"], row["subject"]
                seg.attrs["session"] = row["uri"]
                name = f"{row['uri'].replace('demo://', '')}#{i}"
                frags[name] = seg
                m = (ta >= a) & (ta < b)
                truth[name] = {"generator": tr["generator"], "true_arousal_mean": float(aa[m].mean()),
                               "true_arousal_sd": float(aa[m].std())}
    return frags, truth


def attribution_suite(res, frags, truth, n_perm, seed=0):
    """The loop's attribution (pairs, Freedman–Lane QAP within clusters) and its sensitivity analyses on the
    loop's final map: per fragment, other permutation strata, the invalid pair-level permutation, the true
    arousal in place of the card's (evaluation), and a placebo confound."""
    import pandas as pd

    from glue_widgets.errormap.attribution import attribute_fragments, attribute_pairs, confound_blocks
    from glue_widgets.model.fragment import as_fragments, fragment_meta_table
    from glue_widgets.errormap.loop import _fragment_meta

    final = res.iterations[-1]
    names = list(final.clusters.index)
    fr = as_fragments(frags)
    meta = pd.DataFrame([_fragment_meta(f) for f in fr], index=[f.name for f in fr]).loc[names]
    blocks = confound_blocks(meta)
    # what dask_utils' flattened meta gives (before the fix its "speed" was the card's velocity-derived speed,
    # a readout of the neural latents, which overwrote the running speed; now it must equal the card's)
    flat = confound_blocks(fragment_meta_table(fr).loc[names])
    cl = final.clusters.to_numpy()
    E = final.error_map.values
    n = len(names)
    y_frag = np.nanmean(np.where(np.eye(n, dtype=bool), np.nan, E), axis=0)  # mean error as a target
    lab_state = (meta["lab"].astype(str) + "|" + meta["state"].astype(str)).to_numpy()
    session = meta["session"].astype(str).to_numpy()
    true_ar = pd.DataFrame({k: [truth[nm][k] for nm in names] for k in ("true_arousal_mean", "true_arousal_sd")})
    placebo = np.random.default_rng(12345).standard_normal(n)
    only = ["arousal"]
    rows = []

    def add(label, att, unit, strata):
        r = att.loc["arousal"]
        rows.append({"analysis": label, "unit": unit, "strata": strata, "unique": float(r["unique"]),
                     "shared": float(r["shared"]), "alone": float(r["alone"]), "p_value": float(r["p_value"]),
                     "top": str(att.index[0]), "full_r2": float(att.attrs["full_r2"])})
        return att

    add("loop default: pairs, Freedman–Lane QAP", res.attribution, "pairs", "cluster")
    pf = add("per fragment (mean error as target), Freedman–Lane", res.attribution.attrs["per_fragment"],
             "fragments", "cluster")
    kw = dict(nuisance=cl, n_permutations=n_perm, seed=seed, test_blocks=only)
    add("pairs, QAP within lab x state", attribute_pairs(E, blocks, strata=lab_state, **kw), "pairs", "lab|state")
    add("pairs, QAP within session (windows of one recording)", attribute_pairs(E, blocks, strata=session, **kw),
        "pairs", "session")
    add("per fragment, within session", attribute_fragments(
        y_frag, blocks, nuisance=pd.Series(cl.astype(str)), strata=session, n_permutations=n_perm, seed=seed,
        test_blocks=only), "fragments", "session")
    add("pairs, pair residuals permuted independently (INVALID, for contrast)",
        attribute_pairs(E, blocks, permute="pairs", **kw), "pairs", "none")
    if "arousal" in flat:
        add("arousal fields from dask_utils' flattened meta (must equal the card's), pairs QAP",
            attribute_pairs(E, dict(blocks, arousal=flat["arousal"]), strata=cl, **kw), "pairs", "cluster")
    tb = dict(blocks, arousal=true_ar)
    add("evaluation: true arousal (truth mean/SD) in place of the card's, pairs QAP",
        attribute_pairs(E, tb, strata=cl, **kw), "pairs", "cluster")
    add("evaluation: true arousal, per fragment", attribute_fragments(
        y_frag, tb, nuisance=pd.Series(cl.astype(str)), strata=cl.astype(str), n_permutations=n_perm, seed=seed,
        test_blocks=only), "fragments", "cluster")
    plc = attribute_pairs(E, dict(blocks, placebo=placebo), strata=cl, nuisance=cl, n_permutations=n_perm,
                          seed=seed, test_blocks=["placebo", "arousal"])
    placebo_row = {"unique": float(plc.loc["placebo", "unique"]), "p_value": float(plc.loc["placebo", "p_value"])}
    table = res.attribution.attrs["table"]
    return {"rows": rows, "placebo": placebo_row,
            "commonality": [{"set": k, "coefficient": float(v)} for k, v in table.items() if abs(v) > 1e-4][:10],
            "per_fragment_table": pf.reset_index().to_dict("records"),
            "arousal_fields": list(blocks["arousal"].columns) if "arousal" in blocks else []}


def part_arousal_contrast(desc, window_s=60.0, n_perm=199):
    """Where the demo's arousal contrast is largest and cleanest: birch calcium sessions on a fixed 60-s grid
    over the first 660 s (opening running-bout block + quiet rest) plus the closing running-bout block at
    1020-1080 s (block layout from the corpus spec, not from the truth). Same animal, same session, no task
    input in these blocks: arousal (1.6 in the bouts, -0.6 in quiet rest) is the only planted difference.
    Attribution with the card's arousal, and with the true window arousal (evaluation only)."""
    import pandas as pd

    import glue_widgets as gw
    from glue_widgets.errormap.attribution import attribute_fragments, attribute_pairs, confound_blocks
    from glue_widgets.errormap.loop import _fragment_meta
    from glue_widgets.rest.candidates import find_rest_candidates

    t0 = time.perf_counter()
    frags, true_ar = {}, {}
    grid = [(window_s * i, window_s * (i + 1)) for i in range(int(660 // window_s))] + [(1020.0, 1080.0)]
    for _, row in desc[desc["lab"] == "birch"].iterrows():
        tr = gw.demo.truth(row["uri"])  # evaluation only
        ta, aa = np.asarray(tr["arousal"]["time"]), np.asarray(tr["arousal"]["arousal"])
        with gw.open(row["uri"]) as s:
            c = find_rest_candidates(s)
            for i, (a, b) in enumerate(grid):
                cand = c.iloc[[0]].copy()
                cand["start"], cand["stop"] = a, b
                seg = gw.extract_rest(s, candidates=cand, min_duration=b - a)
                seg.attrs["session"], seg.attrs["subject"] = row["uri"], row["subject"]
                name = f"{row['uri'].replace('demo://', '')}@{a:.0f}s"
                frags[name] = seg
                m = (ta >= a) & (ta < b)
                true_ar[name] = (float(aa[m].mean()), float(aa[m].std()))
    E = error_map(frags, n_boot=10, aligner="auto")
    names = list(E.source.values)
    fr = as_fragments_(frags)
    meta = pd.DataFrame([_fragment_meta(f) for f in fr], index=[f.name for f in fr]).loc[names]
    blocks = confound_blocks(meta, ("arousal", "session"))
    cl = np.asarray(E.source_cluster.values)
    st = meta["session"].astype(str).to_numpy()
    n = len(names)
    y = np.nanmean(np.where(np.eye(n, dtype=bool), np.nan, E.values), axis=0)
    truth_block = pd.DataFrame([true_ar[nm] for nm in names], columns=["true_mean", "true_sd"])
    out = {"n_fragments": n, "window_s": window_s, "n_perm": n_perm,
           "true_arousal_range": [float(truth_block["true_mean"].min()), float(truth_block["true_mean"].max())],
           "n_clusters": int(len(set(cl))), "rows": []}
    for label, blk in (("card arousal (pupil, running)", blocks), ("true arousal (evaluation)",
                                                                   dict(blocks, arousal=truth_block))):
        pa = attribute_pairs(E.values, blk, nuisance=cl, strata=st, n_permutations=n_perm)
        pf = attribute_fragments(y, blk, nuisance=pd.Series(cl.astype(str)), strata=st, n_permutations=n_perm)
        out["rows"].append({"arousal": label, "pairs_unique": float(pa.loc["arousal", "unique"]),
                            "pairs_p": float(pa.loc["arousal", "p_value"]),
                            "frag_unique": float(pf.loc["arousal", "unique"]),
                            "frag_p": float(pf.loc["arousal", "p_value"])})
    out["share_of_rates"] = arousal_share_of_rates(desc)
    out["seconds"] = time.perf_counter() - t0
    return out


def arousal_share_of_rates(desc):
    """Evaluation only (truth): inside each rest block, the share of a neuron's log-rate variance that the
    planted arousal term a_i * arousal(t) contributes, next to the latent term C_i z(t) (first region of each
    session; averaged over neurons)."""
    import glue_widgets as gw

    shares = []
    for uri in desc["uri"]:
        tr = gw.demo.truth(uri)
        z, tz = np.asarray(tr["latents"]), np.asarray(tr["latent_time"])
        ta, aa = np.asarray(tr["arousal"]["time"]), np.asarray(tr["arousal"]["arousal"])
        reg = list(tr["loadings"])[0]
        C, a = np.asarray(tr["loadings"][reg]), np.asarray(tr["arousal_coupling"][reg])
        for (t0, t1, _state) in tr["rest_epochs"]:
            m = (tz >= t0) & (tz < t1)
            lz = z[m][:, :C.shape[1]] @ C.T
            la = np.interp(tz[m], ta, aa)[:, None] * a[None, :]
            vz, va = lz.var(0).mean(), la.var(0).mean()
            shares.append(float(va / (va + vz)))
    return {"n_blocks": len(shares), "min": min(shares), "median": float(np.median(shares)), "max": max(shares)}


def arousal_contrast_md(ac):
    md = ["", "### The demo's cleanest arousal contrast (birch: running bouts vs quiet rest, same session)",
          f"{ac['n_fragments']} calcium fragments: {ac['window_s']:.0f}-s windows on a fixed grid over 0-660 s "
          "(opening running-bout block, then quiet rest) and 1020-1080 s (closing running bouts) of the 3 birch "
          f"sessions (block layout from the corpus spec); true window arousal from {ac['true_arousal_range'][0]:.2f} "
          f"to {ac['true_arousal_range'][1]:.2f}. Error map (RestAligner, 10 bootstraps; {ac['n_clusters']} "
          f"clusters = nuisance); confounds arousal + session; Freedman–Lane, {ac['n_perm']} permutations within "
          f"session ({ac['seconds']:.1f} s).", "",
          "| arousal block | unique R² (pairs) | p (pairs QAP) | unique R² (per fragment) | p (per fragment) |",
          "|---|---|---|---|---|"]
    for r in ac["rows"]:
        md.append(f"| {r['arousal']} | {r['pairs_unique']:.3f} | {r['pairs_p']:.3f} | {r['frag_unique']:.3f} | "
                  f"{r['frag_p']:.3f} |")
    return md


def part_demo_windows(desc, window_s=300.0, max_iter=3, n_boot=50, n_perm=200):
    """Rest windows as fragments; the loop and its failure attribution (with sensitivity analyses)."""
    t0 = time.perf_counter()
    frags, truth = demo_window_fragments(desc, window_s)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = CouplingLoop(max_iter=max_iter, n_boot=n_boot, n_permutations=n_perm).run(frags)
    t_loop = time.perf_counter() - t0
    final = res.iterations[-1]
    gen = [truth[n]["generator"] for n in final.clusters.index]
    first = res.iterations[0].error_map
    g0 = [truth[n]["generator"] for n in first.source.values]
    auc, acc = grouping_scores(first, g0)
    t0 = time.perf_counter()
    suite = attribution_suite(res, frags, truth, n_perm)
    return {"n_fragments": len(frags), "window_s": window_s, "load_seconds": t_load, "max_iter": max_iter,
            "n_boot": n_boot, "n_permutations": n_perm,
            "seconds": t_loop, "suite_seconds": time.perf_counter() - t0, "converged": res.converged,
            "iterations": loop_rows(res), "improvement": res.improvement,
            "ari_final": adjusted_rand_score(gen, final.clusters.values), "n_clusters": int(final.clusters.nunique()),
            "auc_single_pass": auc, "standin_acc_single_pass": acc,
            "attribution": res.attribution.reset_index().to_dict("records"), "full_r2": res.attribution.attrs["full_r2"],
            "n_pairs": res.attribution.attrs["n_pairs"], "top": res.top_confound, **suite}


def attribution_summary_md(demo, wins, ac=None, twelve_note=None):
    """Arousal's attribution as the number of fragments grows, and what the demo planted."""
    def ar(att):
        d = {r["index"]: r for r in att}.get("arousal")
        return d
    from glue_widgets.sources.demo.generate import AROUSAL_DRIFT_SD, AROUSAL_DRIFT_TAU

    md = ["", "### Does the attribution name the planted arousal confound?", "",
          "What the demo plants (corpus spec `glue_widgets/sources/demo/corpus.py`, generator `generate.py`, "
          "`simulate/spiking.py`): arousal = a per-block level + a slow vigilance drift (OU, tau "
          f"{AROUSAL_DRIFT_TAU:.0f} s, SD {AROUSAL_DRIFT_SD}) + a 15-s OU (SD 0.6); rates are multiplied by "
          "exp(a_i * arousal), a_i ~ N(0.4, 0.15) (CORPUS_VERSION 6; version 5 had a_i ~ N(0.25, 0.15) and no "
          "drift). The rest-block levels are fixed per lab and state (arbor gray -0.3, dark -0.1; birch -0.6; "
          "cedar 0.0; elm -0.4), so *between* labs arousal is entangled with lab, apparatus and species; the drift "
          "makes ~100-s windows of one rest block differ in mean arousal, as drowsy and alert stretches do. "
          "Pupil is +0.6 mm in the dark whatever the arousal, so the card's pupil mean is entangled with the state "
          "(the state block takes that part). The arousal block the loop uses is the card's measured covariates: "
          "mean and SD of pupil diameter and running speed in the window (`attribution.card_arousal`; a speed "
          "derived from the ball/cursor velocity is skipped, it is a readout of the latents).", "",
          "| fragments | analysis | n | arousal unique R² | p | rank of arousal |", "|---|---|---|---|---|---|"]
    a = ar(demo["loop"]["attribution"])
    if a:
        rank = [r["index"] for r in demo["loop"]["attribution"]].index("arousal") + 1
        md.append(f"| 12 whole rest segments{f' ({twelve_note})' if twelve_note else ''} | pairs, QAP | 12 | "
                  f"{a['unique']:.3f} | {a['p_value']:.3f} | {rank} |")
    for w, win in wins.items():
        for r in win["rows"][:2]:
            order = win["attribution"] if r["unit"] == "pairs" else win["per_fragment_table"]
            rank = [x["index"] for x in order].index("arousal") + 1
            md.append(f"| {win['n_fragments']} x ~{w:.0f}-s windows | {r['analysis']} | {win['n_fragments']} | "
                      f"{r['unique']:.3f} | {r['p_value']:.3f} | {rank} |")
        for r in win["rows"]:
            if r["analysis"].startswith("evaluation"):
                md.append(f"| {win['n_fragments']} x ~{w:.0f}-s windows | {r['analysis']} | {win['n_fragments']} | "
                          f"{r['unique']:.3f} | {r['p_value']:.3f} | — |")
        main = win["rows"][0]
        truth_rows = [r for r in win["rows"] if r["analysis"].startswith("evaluation")]
        sig = main["p_value"] < 0.05
        md += ["", f"Answer on the demo ({win['n_fragments']} windows): the card's arousal block (measured pupil and "
               f"running speed) has a unique share of {100 * main['unique']:.1f} % of what the clusters leave, "
               f"p = {main['p_value']:.3f} (Freedman–Lane QAP) -> {'significant' if sig else 'not significant'} at 0.05; "
               f"top confound: **{win['top']}**. With the *true* arousal (truth, evaluation only) in its place the "
               "unique share is "
               + ", ".join(f"{100 * r['unique']:.1f} % (p = {r['p_value']:.3f}, {r['unit']})" for r in truth_rows)
               + ", so the card's summaries carry about what the planted arousal carries. Between labs, arousal "
               "stays inside the shared lab/apparatus/species/state component (see the commonality table), where "
               "no design can separate it."]
    if ac:
        t = [r for r in ac["rows"] if r["arousal"].startswith("true")][0]
        sh = ac["share_of_rates"]
        md += ["", f"At the demo's cleanest arousal contrast (birch running bouts vs quiet rest, {ac['n_fragments']} "
               f"windows) the true arousal explains {100 * t['pairs_unique']:.1f} % of the pair residuals "
               f"(p = {t['pairs_p']:.3f}) and {100 * t['frag_unique']:.1f} % per fragment (p = {t['frag_p']:.3f}). "
               f"Planted arousal accounts for {100 * sh['min']:.1f}-{100 * sh['max']:.1f} % (median "
               f"{100 * sh['median']:.1f} %) of a neuron's log-rate variance inside the {sh['n_blocks']} NWB rest "
               "blocks (truth: var(a_i arousal) / (var(a_i arousal) + var(C_i z)), evaluation only; CORPUS_VERSION 5: "
               "1.4-7.6 %, median 3.5 %, and the attribution of the 94 windows did not name arousal: unique 1.4 %, p = 0.54)."]
    return md


def windows_md(win):
    md = [f"{win['n_fragments']} fragments: every non-overlapping rest candidate of the 12 NWB sessions (gray-screen "
          f"and dark rest of arbor sessions, birch's unlabelled quiet rest, cedar's fixation, the 2400-s home-cage "
          f"rest of elm), cut into ~{win['window_s']:.0f}-s windows; each window is extracted with gw.extract_rest "
          f"so its card carries its own arousal summary ({', '.join(win['arousal_fields'])}; elm has no pupil "
          f"camera: its pupil fields get the mean). Loop: max_iter {win['max_iter']}, {win['n_boot']} bootstraps, "
          f"{win['n_permutations']} permutations ({win['seconds']:.1f} s; extraction {win['load_seconds']:.1f} s; "
          f"sensitivity analyses {win['suite_seconds']:.1f} s).", "",
          f"Single-pass map: AUC same/different generator = {win['auc_single_pass']:.3f}, stand-in accuracy = "
          f"{win['standin_acc_single_pass']:.3f}. Loop: converged = {win['converged']}, {win['n_clusters']} final "
          f"clusters, ARI vs generator = {win['ari_final']:.3f}, held-out improvement over the single pass = "
          f"{win['improvement']:+.3f}.", "",
          f"Failure attribution (loop default): commonality analysis of the {win['n_pairs']} off-diagonal errors with "
          f"the (source cluster, target cluster) cells as nuisance; each confound block's unique share tested by "
          f"Freedman–Lane QAP ({win['n_permutations']} relabellings of the n = {win['n_fragments']} fragments, "
          f"within final clusters); full R² = {win['full_r2']:.3f}; top: **{win['top']}**.", "",
          "| confound | unique R² | shared R² | alone R² | p (Freedman–Lane QAP) |", "|---|---|---|---|---|"]
    for r in win["attribution"]:
        p = "—" if not np.isfinite(r["p_value"]) else f"{r['p_value']:.3f}"
        md.append(f"| {r['index']} | {r['unique']:.3f} | {r['shared']:.3f} | {r['alone']:.3f} | {p} |")
    md += ["", "Largest commonality coefficients (variance explained jointly by exactly these blocks):", "",
           "| blocks | coefficient |", "|---|---|"]
    md += [f"| {c['set']} | {c['coefficient']:.3f} |" for c in win["commonality"][:6]]
    md += ["", "Arousal across analyses of the same final map (unique share of arousal; p of its Freedman–Lane test):",
           "", "| analysis | unit | permutation strata | arousal unique | shared | p | top confound |",
           "|---|---|---|---|---|---|---|"]
    for r in win["rows"]:
        md.append(f"| {r['analysis']} | {r['unit']} | {r['strata']} | {r['unique']:.3f} | {r['shared']:.3f} | "
                  f"{r['p_value']:.3f} | {r['top']} |")
    md += ["", f"Placebo (a standard-normal number per fragment added as a confound, pairs QAP within clusters): "
           f"unique R² = {win['placebo']['unique']:.4f}, p = {win['placebo']['p_value']:.3f}."]
    return md


def part_scale(desc, n_frag=50, window=100.0):
    import glue_widgets as gw

    frags = []
    for _, row in desc.iterrows():
        with gw.open(row["uri"]) as s:
            neural = [k for k, v in s.streams.items() if v.modality in ("spikes", "calcium")][0]
            info = s.streams[neural]
        for w in range(5):
            start = info.start_s + w * window
            frags.append(Fragment(f"{row['uri'].replace('demo://', '')}#{w}", uri=row["uri"], stream=neural,
                                  start=start, stop=start + window,
                                  meta={"lab": row["lab"], "subject": row["subject"], "day": row["day"]}))
    frags = frags[:n_frag]
    t0 = time.perf_counter()
    E_thr = error_map(frags, n_boot=50, aligner="canonical")
    t_thr = time.perf_counter() - t0
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1.5GiB",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t0 = time.perf_counter()
        E_dist = error_map(frags, n_boot=50, aligner="canonical", scheduler=client)
        t_dist = time.perf_counter() - t0
    diff = float(np.nanmax(np.abs(E_thr.values - E_dist.values)))
    same_ci = bool(np.allclose(E_thr.ci_low.values, E_dist.ci_low.values, equal_nan=True))
    same_clusters = bool((E_thr.source_cluster.values == E_dist.source_cluster.values).all())
    return {"n_fragments": len(frags), "window_s": window, "threads_seconds": t_thr, "localcluster_seconds": t_dist,
            "max_abs_diff": diff, "same_ci": same_ci, "same_clusters": same_clusters}


def demo_md(demo):
    """The 12 whole rest segments: error map, clustering rules, the loop."""
    md = ["", "### Demo corpus (gw.demo NWB sessions, rest segments from gw.extract_rest)",
           f"{demo['n_fragments']} rest segments (spikes binned by the reader / calcium dF/F, ~600 s each); "
           "same error-map settings; generator ids from gw.demo.truth (evaluation only).", "",
           f"Error map: aligner {demo['aligner']}, {demo['n_clusters']} clusters, "
           f"ARI vs generator = {demo['ari']:.3f}, AUC same/different generator = {demo['auc']:.3f}, "
           f"stand-in accuracy = {demo['standin_acc']:.3f} ({demo['seconds']:.1f} s for both clusterings; "
           f"loading + rest extraction {demo['load_seconds']:.1f} s).", "",
           "Clustering rules on the same map (6 true generators, three of them with one fragment each):", "",
           "| clustering | how k is chosen | clusters | ARI vs generator |", "|---|---|---|---|",
           f"| **ci (new default)** | average linkage on the excess cross-prediction error over the target's own, "
           f"in units of its 95 % CI half-width (1.96 x bootstrap SD, 100 resamples), symmetrized; cut at 1 "
           f"| {demo['n_clusters']} | {demo['ari']:.3f} |",
           f"| silhouette (old default) | average linkage on the relative dissimilarity, k in 2..10 by best "
           f"silhouette | {demo['n_clusters_silhouette']} | {demo['ari_silhouette']:.3f} |",
           f"| k fixed at the true {demo['k_true']} (reference, uses the answer) | average linkage, relative "
           f"dissimilarity | {demo['k_true']} | {demo['ari_k_true']:.3f} |", "",
           "The silhouette picks the calcium (birch) / spikes split; dividing each target's excess error by "
           "its own bootstrap uncertainty puts calcium and spiking targets on one scale and lets singletons "
           "stand alone. Remaining errors of the ci rule are in the table below.", "",
           "| fragment | generator | cluster (ci) | cluster (silhouette) |", "|---|---|---|---|"]
    for n, c in demo["clusters"].items():
        md.append(f"| {n} | {demo['generators'][n]} | {c} | {demo['clusters_silhouette'][n]} |")
    md += loop_md(demo["loop"])
    return md


def main():
    sim = part_sim()
    md = ["### Simulated corpus",
          "3 latent generators (timescales slow / fast, rotational) x 2 subjects x 3 days = 18 sessions, 50 neurons, "
          "240 s at 20 Hz, 30 % neuron turnover per day, arousal gain coupling 0.4 (arousal sd varies per session). "
          "Error map: unpaired, 4 whitened latents, ridge 5-sample-ahead dynamics, 5 contiguous CV blocks, "
          "100 block-bootstrap resamples; clustering: the ci rule (default; see the demo section).", "",
          "AUC = same- vs different-generator pairs separated by the symmetric relative dissimilarity; "
          "stand-in accuracy = fraction of targets whose lowest-error source shares their generator.", "",
          "| aligner | clusters | ARI vs generator | AUC | stand-in accuracy | time (s) |", "|---|---|---|---|---|---|"]
    for al in ("canonical", "auto"):
        r = sim[al]
        md.append(f"| {r['aligner']} | {r['n_clusters']} | {r['ari']:.3f} | {r['auc']:.3f} | {r['standin_acc']:.3f} | "
                  f"{r['seconds']:.1f} |")
    md += loop_md(sim["loop"])
    data = {"sim": sim}
    pw = part_sim_power()
    data["sim_power"] = pw
    md += sim_power_md(pw)
    try:
        demo, desc = part_demo()
        data["demo"] = demo
        md += demo_md(demo)
        wins = {}
        for w, kw in ((100.0, dict(max_iter=1, n_boot=10)),):
            wins[w] = part_demo_windows(desc, w, **kw)
            md += ["", f"### Demo corpus, every ~{w:.0f}-s rest window as a fragment (failure attribution)"]
            md += windows_md(wins[w])
        data["demo_windows"] = wins[100.0]
        ac = part_arousal_contrast(desc)
        data["arousal_contrast"] = ac
        md += arousal_contrast_md(ac)
        md += attribution_summary_md(demo, wins, ac)
        scale = part_scale(desc)
        data["scale"] = scale
        md += ["", "### 50-fragment error map: threads vs LocalCluster",
               f"{scale['n_fragments']} lazy fragments ({scale['window_s']:.0f}-s windows of the demo NWB sessions; "
               "each task opens its session by URI, reads its window, closes it), canonical aligner, 50 bootstraps.",
               "", "| scheduler | wall time (s) |", "|---|---|",
               f"| threads (default) | {scale['threads_seconds']:.1f} |",
               f"| LocalCluster, 2 worker processes x 1 thread, 1.5 GiB each | {scale['localcluster_seconds']:.1f} |",
               "", f"max |E_threads - E_cluster| = {scale['max_abs_diff']:.2e}; CIs equal: {scale['same_ci']}; "
               f"clusters equal: {scale['same_clusters']}. (2 shared cores, machine under load from other jobs.)"]
    except Exception as exc:  # noqa: BLE001 - the demo may be missing; say so in the results
        md += ["", f"Demo corpus part skipped: {type(exc).__name__}: {exc}"]
        data["demo_error"] = repr(exc)
    record("errormap", "\n".join(md), data)


def loop_md(lp):
    md = ["", f"Coupling loop: converged = {lp['converged']}, final ARI = {lp['ari_final']:.3f}, "
          f"held-out improvement over the single pass = {lp['improvement']:+.3f} ({lp['seconds']:.1f} s).", "",
          "| iteration | clusters | held-out error (1 - R², subject-out) |", "|---|---|---|"]
    for r in lp["iterations"]:
        md.append(f"| {r['iteration']} | {r['n_clusters']} | {r['heldout_error']:.3f} |")
    md += ["", f"Failure attribution (commonality analysis of the pair errors given the (source cluster, target "
           f"cluster) cells; unique shares tested by Freedman–Lane QAP, fragments relabelled within clusters; "
           f"full R² = {lp['full_r2']:.3f}; top: **{lp['top']}**):",
           "", f"| confound | unique R² | shared R² | alone R² | p ({lp.get('n_perm', 500)} perm.) |", "|---|---|---|---|---|"]
    for r in lp["attribution"]:
        p = "—" if not np.isfinite(r["p_value"]) else f"{r['p_value']:.3f}"
        md.append(f"| {r['index']} | {r['unique']:.3f} | {r.get('shared', float('nan')):.3f} | {r['alone']:.3f} | {p} |")
    gen = [g for g in lp["generalization"] if g["group_by"] in ("day", "subject")]
    if gen:
        md += ["", "Generalization (leave-one-group-out; nan = no fragment of another group shares the held-out "
               "fragments' cluster, so the final model has nothing to transfer from):", "", "| by | held out | n | error final | error single pass |",
               "|---|---|---|---|---|"]
        for g in gen:
            md.append(f"| {g['group_by']} | {g['held_out']} | {g['n_fragments']} | {g['error']:.3f} | "
                      f"{g['single_pass_error']:.3f} |")
    return md


def main_attribution():
    """Re-run the demo's failure-attribution parts only and splice them into the recorded errormap section."""
    import datetime as dt
    import json

    import glue_widgets as gw
    from _record import RESULTS_DIR

    old_md = (RESULTS_DIR / "errormap.md").read_text()
    old = json.loads((RESULTS_DIR / "errormap.json").read_text())
    desc = gw.demo.describe()
    desc = desc[desc["format"] == "nwb"]
    demo, _ = part_demo()
    wins = {100.0: part_demo_windows(desc, 100.0, max_iter=1, n_boot=10)}
    ac = part_arousal_contrast(desc)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    note = (f"_Re-run {stamp} with `--attribution` on demo CORPUS_VERSION {gw.demo.CORPUS_VERSION} (subsections "
            f"from here to the 50-fragment map; the others are from the run of {old['date']}, machine "
            f"{old['machine']})._")
    md = demo_md(demo)
    md[2:2] = [note, ""]
    md += ["", "### Demo corpus, every ~100-s rest window as a fragment (failure attribution)"]
    md += windows_md(wins[100.0]) + arousal_contrast_md(ac)
    md += attribution_summary_md(demo, wins, ac)
    body = old_md.split("\n", 3)[3]  # drop the '## errormap' header and the run line (record writes them)
    a = body.index("\n### Demo corpus (gw.demo NWB sessions")
    b = body.index("\n### 50-fragment error map")
    text = (f"_The demo subsections (12 segments, windows, attribution) were re-run {stamp}; the others are from the run of "
            f"{old['date']}._\n" + body[:a] + "\n".join(md) + "\n" + body[b:])
    data = {k: v for k, v in old.items() if k not in ("date", "machine")}
    data.update(demo=demo, demo_windows=wins[100.0], arousal_contrast=ac, attribution_rerun=stamp)
    record("errormap", text, data)


if __name__ == "__main__":
    if "--attribution" in sys.argv[1:]:
        main_attribution()
    else:
        main()
