"""Evidence benchmarks: TE estimators vs the Gaussian VAR(1) closed form; Granger / regression DCM graph recovery.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_evidence.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from _record import record  # noqa: E402
from glue_widgets.evidence import RegressionDCM, granger, transfer_entropy, var1_transfer_entropy  # noqa: E402
from glue_widgets.simulate import random_network, simulate_linear_network  # noqa: E402

A2 = np.array([[0.6, 0.0], [0.5, 0.4]])


def var1(n, seed):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n + 500, 2))
    x = np.zeros((n + 500, 2))
    for t in range(1, n + 500):
        x[t] = A2 @ x[t - 1] + e[t]
    return x[500:]


def bench_te(seeds=(0, 1, 2, 3, 4), n=50_000):
    truth = var1_transfer_entropy(A2, np.eye(2), 0, 1)
    rows = []
    for s in seeds:
        x = var1(n, s)
        for est in ("gaussian", "ksg"):
            t0 = time.perf_counter()
            fwd = transfer_entropy(x[:, 0], x[:, 1], estimator=est, n_permutations=0)
            dt = time.perf_counter() - t0
            rows.append({"seed": s, "estimator": est, "te": fwd.value, "error": fwd.value - truth, "seconds": dt})
    nulls = []
    for s in seeds[:2]:
        x = var1(n, s)
        for est, nperm in (("gaussian", 199), ("ksg", 19)):
            t0 = time.perf_counter()
            rev = transfer_entropy(x[:, 1], x[:, 0], estimator=est, n_permutations=nperm, seed=s)
            nulls.append({"seed": s, "estimator": est, "reverse_te": rev.value, "p_value": rev.p_value,
                          "null_q95": rev.null_quantiles["q95"], "n_permutations": nperm,
                          "seconds": time.perf_counter() - t0})
    return truth, rows, nulls


def pr(est, truth):
    tp = np.sum(est & truth)
    return tp / max(est.sum(), 1), tp / max(truth.sum(), 1)


def bench_graphs(sizes=(8, 15), seeds=(0, 1, 2, 3, 4), fs=100.0, n=30_000):
    rows = []
    for d in sizes:
        for s in seeds:
            A = random_network(d, density=0.2 if d <= 8 else 0.12, seed=100 * d + s)
            truth = (A.T != 0) & ~np.eye(d, dtype=bool)
            x = simulate_linear_network(A, fs, n, seed=s)
            t0 = time.perf_counter()
            g = granger(x, max_order=5)
            tg = time.perf_counter() - t0
            t0 = time.perf_counter()
            m = RegressionDCM(fs=fs).fit(x)
            td = time.perf_counter() - t0
            est = m.A_.values.T
            r = np.corrcoef(est[A != 0], A[A != 0])[0, 1]
            for name, graph, sec in (("granger", g.graph, tg), ("rDCM (ARD)", m.graph_.values, td)):
                p, rc = pr(graph, truth)
                rows.append({"n_nodes": d, "seed": s, "method": name, "edges": int(truth.sum()), "precision": p,
                             "recall": rc, "seconds": sec, "weight_r": r if name != "granger" else None,
                             "var_order": g.order if name == "granger" else None})
    return rows


def main():
    truth, te_rows, nulls = bench_te()
    graphs = bench_graphs()
    md = ["### Transfer entropy vs closed form (Gaussian VAR(1), x0 -> x1, A = [[0.6, 0], [0.5, 0.4]], unit noise)",
          f"History 1, N = 50 000 samples, closed form {truth:.4f} nats. KSG: k = 4, max-norm, z-scored. "
          "5 seeds.", "", "| estimator | mean error (nats) | max abs error | mean time (s) |", "|---|---|---|---|"]
    for est in ("gaussian", "ksg"):
        r = [x for x in te_rows if x["estimator"] == est]
        err = np.array([x["error"] for x in r])
        md.append(f"| {est} | {err.mean():+.4f} | {np.abs(err).max():.4f} | {np.mean([x['seconds'] for x in r]):.2f} |")
    md += ["", "Reverse direction (x1 -> x0, true TE 0) against its permutation null (Gaussian: circular shifts "
           "of the source; KSG: Runge's local permutation, k_perm = 5, the default for KSG, because a shift null "
           "ignores KSG's small positive bias when the source depends on the conditioning past: with shifts, seed 0 "
           "gave reverse TE 0.0049 vs null q95 0.0011, p = 0.05 of 19):", "",
           "| seed | estimator | reverse TE | null q95 | p | permutations | time (s) |", "|---|---|---|---|---|---|---|"]
    for x in nulls:
        md.append(f"| {x['seed']} | {x['estimator']} | {x['reverse_te']:.4f} | {x['null_q95']:.4f} | "
                  f"{x['p_value']:.3f} | {x['n_permutations']} | {x['seconds']:.1f} |")
    md += ["", "### Coupling-graph recovery (simulated linear networks)",
           "dx = A x dt + dW sampled exactly at 100 Hz, 30 000 samples (5 min); random sparse A (density 0.2 for 8 "
           "nodes, 0.12 for 15; |weights| 2-4 /s, decay 10 /s); 5 networks per size. Granger: VAR order by BIC "
           "(max 5), F-tests, BH-FDR 0.05. rDCM: forward-difference regression with ARD priors, z-tests, BH-FDR 0.05.",
           "", "| nodes | method | precision | recall | mean time (s) |", "|---|---|---|---|---|"]
    for d in (8, 15):
        for meth in ("granger", "rDCM (ARD)"):
            r = [x for x in graphs if x["n_nodes"] == d and x["method"] == meth]
            md.append(f"| {d} | {meth} | {np.mean([x['precision'] for x in r]):.3f} | "
                      f"{np.mean([x['recall'] for x in r]):.3f} | {np.mean([x['seconds'] for x in r]):.2f} |")
    wr = [x["weight_r"] for x in graphs if x["weight_r"] is not None]
    md.append(f"\nrDCM weight correlation with true nonzero A entries: mean r = {np.mean(wr):.3f}.")
    record("evidence", "\n".join(md), {"te_closed_form": truth, "te": te_rows, "te_reverse": nulls, "graphs": graphs})


if __name__ == "__main__":
    main()
