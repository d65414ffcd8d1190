"""Rest extraction and baseline comparison on the demo corpus.

1. Every synthetic session: the window ``gw.extract_rest`` returns vs the true spontaneous epochs
   (``gw.demo.truth(uri)["rest_epochs"]``, read for evaluation only): IoU with the best-matching
   true epoch, and for every true epoch the best IoU among all candidates.
2. ``gw.compare_baselines``: different-state pairs (arbor gray screen vs dark; delta eyes open vs eyes
   closed) against same-state pairs (two non-overlapping windows of one rest epoch), ROC AUC of the
   covariance ratio and of the spectral ratio; arbor also after regressing out running speed + pupil.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_rest.py`` (corpus size from GLUE_DEMO_SIZE, default "default").
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import record  # noqa: E402

import glue_widgets as gw  # noqa: E402
from glue_widgets.errors import NotFoundError  # noqa: E402

BIN = 0.1  # s, spike binning for the baseline comparison
K = 5      # shared latent space: top-K principal components of both segments pooled
warnings.simplefilter("ignore")


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def rest_table():
    rows = []
    for uri in gw.demo.list(include_real=False):
        s = gw.open(uri)
        truth = [tuple(r) for r in gw.demo.truth(uri).get("rest_epochs") or []]
        t0 = time.perf_counter()
        try:
            cands = gw.find_rest_candidates(s)
            seg = gw.extract_rest(s)
        except NotFoundError:
            rows.append({"uri": uri, "evidence": "none (NotFoundError)", "window": "-", "truth": str(truth) or "none",
                         "iou": None, "all_epochs_iou": None, "state": "-", "inferred": "-",
                         "seconds": time.perf_counter() - t0, "correct": not truth})
            continue
        dt = time.perf_counter() - t0
        c = seg.attrs["card"]
        win = (c["start"], c["stop"])
        best = max(iou(win, (a, b)) for a, b, *_ in truth) if truth else 0.0
        per_epoch = min(max(iou((r.start, r.stop), (a, b)) for r in cands.itertuples()) for a, b, *_ in truth) if truth else None
        rows.append({"uri": uri, "evidence": c["state"]["evidence"], "window": f"[{win[0]:.1f}, {win[1]:.1f})",
                     "truth": "; ".join(f"[{a:.0f}, {b:.0f}) {st}" for a, b, st, *_ in truth),
                     "iou": best, "all_epochs_iou": per_epoch, "state": c["state"]["definition"],
                     "inferred": c["state"].get("inferred"), "seconds": dt, "correct": best >= 0.9})
    return rows


# real recordings bundled as demo://real/...: expected rest from their MANIFEST.md (evaluation only)
REAL = [("demo://real/nelpy/linear-track", [(5387.0, 6380.0)], "MANIFEST: REST after the run, tracker stillness"),
        ("demo://real/aplysia/Jun0214/da01", [(0.0, 30.0)], "MANIFEST: 0-30 s spontaneous"),
        ("demo://real/aplysia/Nov0514/da02", [(0.0, 30.0)], "MANIFEST: 0-30 s spontaneous"),
        ("demo://real/eegmat/sub-00/rest", None, "MANIFEST: whole _1 file is rest"),
        ("demo://real/eegmat/sub-00/arithmetic", [], "MANIFEST: _2 file is mental arithmetic (no rest)")]


def real_table():
    rows = []
    listed = set(gw.demo.list(include_real=True))
    for uri, truth, why in REAL:
        if uri not in listed:
            continue
        try:
            s = gw.open(uri)
        except Exception as exc:  # noqa: BLE001 - a reader of another issue may be missing here
            rows.append(f"| {uri} | not opened ({type(exc).__name__}) | - | {why} | - |")
            continue
        if truth is None:
            info = s.stream_info(gw.rest.choose_stream(s))
            truth = [(info.start_s, info.stop_s)]
        try:
            c = gw.extract_rest(s).attrs["card"]
        except NotFoundError:
            rows.append(f"| {uri} | NotFoundError | - | {why} | {'correct' if not truth else 'MISSED'} |")
            continue
        best = max((iou((c["start"], c["stop"]), t) for t in truth), default=0.0)
        rows.append(f"| {uri} | {c['state']['evidence']} | [{c['start']:.1f}, {c['stop']:.1f}) | {why} | {best:.3f} |")
    return rows


def _segment(s, stream, a, b):
    kw = {"bin_width": BIN} if s.streams[stream].kind == "events" else {}
    return s.read(stream, a, b, **kw)


def _covariates(s, seg):
    cols = []
    for name in ("running_speed", "pupil_diameter"):
        if name in s.streams:
            x = s.read(name)
            cols.append(np.interp(seg.time.values, x.time.values, x.values[:, 0]))
    return np.column_stack(cols) if cols else None


def baseline_pairs():
    pairs = []  # (kind, uri, stream, result, result_regressed)
    for uri in gw.demo.list(include_real=False):
        truth = gw.demo.truth(uri).get("rest_epochs") or []
        if len(truth) < 2:
            continue
        s = gw.open(uri)
        stream = gw.rest.choose_stream(s)
        (a0, a1, sa, *_), (b0, b1, sb, *_) = truth[:2]
        L = min(a1 - a0, b1 - b0)
        if a1 - a0 >= 2 * L:          # same state: two windows of the longer epoch
            same = ((a0, a0 + L), (a1 - L, a1))
        else:                          # epochs of equal length: halves of each
            L = L / 2
            same = ((a0, a0 + L), (a0 + L, a0 + 2 * L))
        diff = ((a0, a0 + L), (b0, b0 + L))
        for kind, (w1, w2) in (("same", same), ("different", diff)):
            x1, x2 = _segment(s, stream, *w1), _segment(s, stream, *w2)
            r = gw.compare_baselines(x1, x2)
            rp = gw.compare_baselines(x1, x2, n_components=K)
            c1, c2 = _covariates(s, x1), _covariates(s, x2)
            rr = gw.compare_baselines(x1, x2, covariates_a=c1, covariates_b=c2) if c1 is not None else None
            pairs.append({"kind": kind, "uri": uri, "stream": stream, "windows": (w1, w2), "states":
                          (sa, sa) if kind == "same" else (sa, sb), "cov_ratio": r["covariance"]["ratio"],
                          "cov_p": r["covariance"]["p_value"], "spec_ratio": r.get("spectral", {}).get("ratio"),
                          "cov_ratio_regressed": rr["covariance"]["ratio"] if rr else None,
                          "cov_ratio_pca": rp["covariance"]["ratio"], "cov_p_pca": rp["covariance"]["p_value"],
                          "block_s": r["settings"].get("block_s")})
    return pairs


def auc(pairs, key):
    from sklearn.metrics import roc_auc_score
    p = [q for q in pairs if q[key] is not None]
    if len({q["kind"] for q in p}) < 2:
        return None
    return float(roc_auc_score([q["kind"] == "different" for q in p], [q[key] for q in p]))


def main():
    size = os.environ.get("GLUE_DEMO_SIZE", "default")
    os.environ["GLUE_DEMO_SIZE"] = size
    t0 = time.perf_counter()
    gw.demo.build(size=size)
    build_s = time.perf_counter() - t0
    rows = rest_table()
    pairs = baseline_pairs()
    n_rest = [r for r in rows if r["iou"] is not None]
    md = [f"Demo corpus size **{size}** (built/cached in {build_s:.0f} s). Truth is read for evaluation only.\n",
          "### Rest windows vs true spontaneous epochs\n",
          "`gw.extract_rest(session)` with defaults (min_duration 600 s; behaviour: Otsu split of log running speed "
          "smoothed 1 s, still bouts ≥ 10 s merged across gaps ≤ 5 s, outside task/stimulus epochs, edges trimmed "
          "where the 5-s-smoothed pupil is above its Otsu split). IoU = best window vs best-matching true epoch; "
          "'all epochs' = min over true epochs of the best candidate IoU.\n",
          "| session | evidence | window (s) | true rest epochs | IoU | all epochs IoU | state (card) | inferred | s |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        md.append(f"| {r['uri']} | {r['evidence']} | {r['window']} | {r['truth'] or 'none'} | {f(r['iou'])} | "
                  f"{f(r['all_epochs_iou'])} | {r['state']} | {r['inferred']} | {r['seconds']:.1f} |")
    ious = [r["iou"] for r in n_rest]
    beh = [r["iou"] for r in n_rest if r["evidence"] == "behavior"]
    md.append(f"\nSessions with rest: {len(n_rest)}; min IoU {min(ious):.3f}, median {np.median(ious):.3f}; "
              f"behaviour-only sessions: {len(beh)}, min IoU {min(beh) if beh else float('nan'):.3f}. "
              f"Sessions without rest (task runs) correctly raise NotFoundError: "
              f"{sum(r['correct'] for r in rows if r['iou'] is None)}/{sum(r['iou'] is None for r in rows)}.\n")
    md += ["### Real recordings (bundled, through the package's own readers)\n",
           "| session | evidence | window (s) | expected | IoU |", "|---|---|---|---|---|", *real_table(), ""]
    md += ["### compare_baselines: different-state vs same-state pairs\n",
           f"Spikes binned at {BIN} s; LFP/EEG/ECoG raw samples. 4 blocks per segment (split-half null: within-segment "
           "block distances; exact permutation p over 35 labellings); OAS covariance, affine-invariant Riemannian "
           "distance; spectral = RMS log10 Welch PSD difference. Same-state pair = two non-overlapping windows of one "
           "rest epoch, same length as the different-state pair.\n",
           f"| pair | session | stream | states | covariance ratio | p | spectral ratio | ratio after arousal regression | ratio in top-{K} PCs | p (PCs) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for q in pairs:
        f = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        md.append(f"| {q['kind']} | {q['uri']} | {q['stream']} | {q['states'][0]} / {q['states'][1]} | "
                  f"{q['cov_ratio']:.2f} | {q['cov_p']:.3f} | {f(q['spec_ratio'])} | {f(q['cov_ratio_regressed'])} | "
                  f"{q['cov_ratio_pca']:.2f} | {q['cov_p_pca']:.3f} |")
    a_cov, a_spec, a_reg = auc(pairs, "cov_ratio"), auc(pairs, "spec_ratio"), auc(pairs, "cov_ratio_regressed")
    a_pca = auc(pairs, "cov_ratio_pca")
    same_pca = [q["cov_ratio_pca"] for q in pairs if q["kind"] == "same"]
    same = [q["cov_ratio"] for q in pairs if q["kind"] == "same"]
    md.append(f"\nROC AUC (different vs same): covariance ratio **{a_cov:.3f}**, spectral ratio "
              f"{'-' if a_spec is None else f'{a_spec:.3f}'}, covariance ratio after arousal regression "
              f"{'-' if a_reg is None else f'{a_reg:.3f}'} ({sum(q['kind'] == 'different' for q in pairs)} different, "
              f"{len(same)} same pairs). Same-state covariance ratio median {np.median(same):.2f} "
              f"(range {min(same):.2f}-{max(same):.2f}). In the shared top-{K}-PC space: ROC AUC **{a_pca:.3f}**, "
              f"same-state ratio median {np.median(same_pca):.2f} (range {min(same_pca):.2f}-{max(same_pca):.2f}).\n")
    record("rest", "\n".join(md), {"size": size, "rest": rows, "pairs": pairs, "auc_cov": a_cov, "auc_spec": a_spec,
                                   "auc_cov_regressed": a_reg, "same_ratio_median": float(np.median(same)),
                                   "auc_cov_pca": a_pca, "n_components": K})


if __name__ == "__main__":
    main()
