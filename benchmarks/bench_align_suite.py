"""Alignment suite: scenario families the aligner was not built on, real recordings, baselines, oracle.

**Scenario families** (``glue_widgets.simulate.alignment_scenarios``, a generator separate from the
demo corpus): independent timescales, rotational plane + slow mode, nonlinear (sigmoid) readouts,
over-dispersed (gamma-Poisson) counts, calcium (GCaMP6f-like dF/F), a 5-D latent, and a slow drift
correlated with behaviour. 100 neurons, 6 days, 15 % cumulative turnover per day up to 75 %, channel
order shuffled every day, gains changing, 10-min rest at 100-ms bins, 8 anchor trials (one per reach
condition) passed as ``(events, time, channels)``, 48 task trials per day with a 2-D velocity.

**Tuning / reporting split, fixed before tuning**: seeds 0-2 of every family are the tuning half
(the default of ``RestAligner`` — which maps to trust, the keep ratio 2 of the held-out anchor
error, the PCA frame with anchors and both reductions' anchor maps as candidates — was chosen on them,
``benchmarks/tune_align_candidates.py``); seeds 100-101 (``--full``: 100-104) are the reporting half, the only
ones in these tables. The sweeps (turnover to 90 %, rest 1-30 min, 0-16 anchors) use reporting seeds.

**Score**: the frozen day-0 decoder's R² on day d divided by day d's within-day R² (ridge retrained
on its own factor-analysis latents, 5 contiguous folds); worst day and median day over the family's
scenarios. **Baselines** (``gw.align.baselines.AnchorMapBaseline``): rest PCA or FA per session +
orthogonal Procrustes or affine least squares on the anchor responses, CCA on the anchors. **Oracle**:
identities known — day 0's factor analysis on the neurons recorded on both days applied to day d
(with 75 % turnover only 25 neurons remain, so the oracle is not a ceiling).

**Real recordings**: Aplysia pedal ganglion (``../shared/data/aplysia_vsd_spikes``, Bruno et al.
2017, MIT): per preparation, da01 is the reference and da02/da03 are aligned from 0-30 s of
spontaneous activity with the nerve stimulus window (30-35 s) as the single anchor, passed as
``(time, channels)``; neuron order shuffled per session; score = frozen da01 decoder R² of the evoked
trajectory (60-122 s, on da01's top-3 evoked axes) against the identity-known oracle. No parameter was
set per preparation (leave-one-preparation-out is implied: nothing is fitted across preparations).

Usage: ``python benchmarks/bench_align_suite.py [--full] [--no-real]``; while tuning,
``--seeds tuning [--families calcium,drift] [--no-sweeps]`` prints the tuning half and records nothing. Default sizes run in a few
minutes on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _record import record  # noqa: E402
from align_suite_lib import BASELINES, MAIN, md_table, run_methods, summarize  # noqa: E402

from glue_widgets.simulate.alignment_scenarios import SCENARIO_FAMILIES, alignment_scenario  # noqa: E402

TUNING_SEEDS = (0, 1, 2)
REPORT_SEEDS = (100, 101)
REPORT_SEEDS_FULL = (100, 101, 102, 103, 104)
METHODS = [MAIN, "RestAligner, anchors as (time, channels)", *BASELINES, "RestAligner, rest only",
           "identity known (oracle)"]


def scenario(family: str, seed: int, **kw) -> dict:
    days = alignment_scenario(family, seed=seed, **kw)
    k = days[0].info["k"]
    anchors = [d.anchors for d in days] if days[0].anchors.shape[0] else None
    res = run_methods([d.rest for d in days], anchors, [d.task for d in days], [d.behavior for d in days],
                      [d.unit_ids for d in days], k)
    res.update(family=family, seed=seed, **{key: v for key, v in kw.items()})
    return res


def families_table(rows: list[dict]) -> tuple[str, list[dict]]:
    parts, verdicts = [], []
    for fam in SCENARIO_FAMILIES:
        fr = [r for r in rows if r["family"] == fam]
        if not fr:
            continue
        summ = summarize(fr, METHODS)
        parts.append(f"**{fam}** ({len(fr)} scenarios x {len(fr[0][MAIN])} later days)\n\n"
                     + md_table(summ, ["method", "worst day", "median day"]))
        s = {r["method"]: r for r in summ}
        best_bl = max(BASELINES, key=lambda m: s[m]["worst day"])
        verdicts.append({"family": fam, "RestAligner worst": s[MAIN]["worst day"],
                         "best baseline (worst day)": f"{best_bl}: {s[best_bl]['worst day']:.2f}",
                         "RestAligner median": s[MAIN]["median day"],
                         "best baseline median": max(s[m]["median day"] for m in BASELINES),
                         "within 0.02 of best baseline (worst)": s[MAIN]["worst day"] >= s[best_bl]["worst day"] - 0.02,
                         "same frame 2-D/3-D": all(r.get("same frame (2-D vs 3-D anchors)", True) for r in fr)})
    return "\n\n".join(parts), verdicts


def sweep(rows_fn, values, label) -> list[dict]:
    out = []
    for v in values:
        rs = rows_fn(v)
        rec = {label: v}
        for m in (MAIN, "rest FA + affine anchor map", "rest PCA + anchor Procrustes", "RestAligner, rest only",
                  "identity known (oracle)"):
            vals = np.concatenate([np.asarray(r[m], float) for r in rs if m in r]) if any(m in r for r in rs) else []
            rec[m + " (worst / median)"] = (f"{np.nanmin(vals):.2f} / {np.nanmedian(vals):.2f}" if len(vals) else "-")
        out.append(rec)
    return out


def aplysia() -> tuple[str, list[dict]]:
    import bench_align_aplysia as ap
    from sklearn.linear_model import Ridge

    from glue_widgets.align import RestAligner
    from glue_widgets.align.base import SessionReducer
    from glue_widgets.align.baselines import AnchorMapBaseline

    def r2(y, yh):
        return float(1 - np.sum((y - yh) ** 2) / np.sum((y - y.mean(0)) ** 2))

    preps = sorted({p.name[: -len("da01.mat")] for p in (ap.DATA / "Spikes").glob("*da01.mat")})
    rng = np.random.default_rng(0)
    rows = []
    for prep in preps:
        xs = [ap.load(prep, s) for s in (1, 2, 3)]
        n = min(x.shape[1] for x in xs)
        xs = [x[:, :n] for x in xs]
        perms = [rng.permutation(n) for _ in xs]
        sh = [x[:, p] for x, p in zip(xs, perms)]
        rest = [ap.window(x, 0, 30) for x in sh]
        anc = [ap.window(x, 30, 35) for x in sh]
        ref_ev = ap.window(xs[0], 32.5, ap.T_END)
        mu = ref_ev.mean(0)
        axes = np.linalg.svd(ref_ev - mu, full_matrices=False)[2][:3].T
        targets = [(ap.window(x, 60, ap.T_END) - mu) @ axes for x in xs]
        ev = [ap.window(x, 60, ap.T_END) for x in sh]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ests = {MAIN: RestAligner(ap.K).fit(rest, anchors=anc)}
            for name, kw in BASELINES.items():
                ests[name] = AnchorMapBaseline(ap.K, **kw).fit(rest, anc)
            red0 = SessionReducer(ap.K).fit(ap.window(xs[0], 0, 30))
        zs = {m: [e.transform(x, session=i) for i, x in enumerate(ev)] for m, e in ests.items()}
        zs["identity known (oracle)"] = [red0.transform(ap.window(x, 60, ap.T_END)) for x in xs]
        for m, z in zs.items():
            dec = Ridge(1.0).fit(z[0], targets[0])
            for i in (1, 2):
                rows.append({"prep": prep, "session": i, "method": m, "r2": r2(targets[i], dec.predict(z[i])),
                             "forecast": float(ests[MAIN].forecast_[i]) if m == MAIN else np.nan,
                             "map": ests[MAIN].map_[i] if m == MAIN else ""})
    import pandas as pd

    df = pd.DataFrame(rows)
    orc = df[df.method == "identity known (oracle)"].set_index(["prep", "session"])["r2"]
    summ = []
    for m, g in df.groupby("method", sort=False):
        r = g.set_index(["prep", "session"])["r2"]
        summ.append({"method": m, "median R²": float(r.median()), "worst R²": float(r.min()),
                     "median R² / oracle median": float(r.median() / orc.median()),
                     "mean R² / oracle mean": float(r.mean() / orc.mean())})
    main = df[df.method == MAIN]
    text = (f"Preparations {', '.join(preps)}; da01 -> da02, da03; k = {ap.K}; bins {ap.BIN * 1000:.0f} ms.\n\n"
            + md_table(summ, ["method", "median R²", "worst R²", "median R² / oracle median", "mean R² / oracle mean"])
            + "\n\nMaps RestAligner kept: " + ", ".join(f"{p}/da0{s + 1}: {mp}" for p, s, mp in
                                                          zip(main["prep"], main["session"], main["map"])))
    return text, summ


def main() -> None:
    ap_ = argparse.ArgumentParser()
    ap_.add_argument("--full", action="store_true")
    ap_.add_argument("--no-real", action="store_true")
    ap_.add_argument("--seeds", default=None,
                     help="'tuning' (seeds 0-2: printed, never recorded) or comma-separated seeds")
    ap_.add_argument("--families", default=None, help="comma-separated families (default: all)")
    ap_.add_argument("--no-sweeps", action="store_true")
    args = ap_.parse_args()
    if args.seeds == "tuning":
        seeds = TUNING_SEEDS
    else:
        seeds = tuple(int(s) for s in args.seeds.split(",")) if args.seeds else \
            (REPORT_SEEDS_FULL if args.full else REPORT_SEEDS)
    families = args.families.split(",") if args.families else list(SCENARIO_FAMILIES)
    t0 = time.time()
    rows = []
    for fam in families:
        for s in seeds:
            rows.append(scenario(fam, s))
            print(f"{fam} seed {s}: {np.round(rows[-1][MAIN], 2)} ({time.time() - t0:.0f} s)", flush=True)
    fam_text, verdicts = families_table(rows)
    if set(seeds) & set(TUNING_SEEDS) or args.no_sweeps or args.families:
        print(md_table(verdicts, list(verdicts[0])) + "\n\n" + fam_text)
        print("(tuning seeds, a subset of families or no sweeps: printed only, not recorded)")
        return
    # forecast vs realised transfer, every later day of every scenario
    fc = np.concatenate([r["forecast"] for r in rows])
    real = np.concatenate([r[MAIN] for r in rows])
    ok = np.isfinite(fc) & np.isfinite(real)
    corr = float(np.corrcoef(fc[ok], real[ok])[0, 1])
    mae = float(np.median(np.abs(fc[ok] - real[ok])))
    try:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4, 4))
        ax.scatter(fc[ok], real[ok], s=10)
        ax.plot([0, 1.1], [0, 1.1], "k--", lw=0.8)
        ax.set_xlabel("forecast (from held-out anchors)")
        ax.set_ylabel("realised fraction of within-day R²")
        ax.set_title(f"r = {corr:.2f}")
        (HERE / "results").mkdir(exist_ok=True)
        fig.savefig(HERE / "results" / "align_suite_forecast.png", dpi=100, bbox_inches="tight")
    except Exception:  # noqa: BLE001 - the figure is optional
        pass
    sw_seed = seeds[:1] if not args.full else seeds[:2]
    turn = sweep(lambda v: [scenario(f, s, n_days=7, max_turnover=v) for f in ("timescales", "rotational")
                            for s in sw_seed], (0.3, 0.6, 0.9), "max turnover")
    restlen = sweep(lambda v: [scenario(f, s, n_days=4, rest_min=v) for f in ("timescales", "rotational")
                               for s in sw_seed], (1, 2, 5, 10, 20, 30), "rest (min)")
    nanc = sweep(lambda v: [scenario(f, s, n_days=4, n_anchor=v) for f in ("timescales", "rotational")
                            for s in sw_seed], (0, 2, 4, 8, 16), "anchor trials")
    real_text = ""
    real_summ: list[dict] = []
    if not args.no_real:
        try:
            real_text, real_summ = aplysia()
        except FileNotFoundError as e:
            real_text = f"(Aplysia data not found: {e})"
    elapsed = time.time() - t0
    md = [__doc__.split("\n\n", 1)[1].strip(), "",
          f"Reporting seeds {list(seeds)}; {len(rows)} scenarios; run time {elapsed:.0f} s (1 core, shared machine: "
          f"noisy).", "", "### Verdict per family (reporting half)", "",
          md_table(verdicts, list(verdicts[0])), "",
          "### Per family: fraction of within-day R² a frozen day-0 decoder keeps", "", fam_text, "",
          f"### Forecast vs realised transfer\n\nRestAligner's `forecast_` (from held-out anchor events, no "
          f"behaviour) against the realised fraction, over {int(ok.sum())} later days of every scenario: Pearson "
          f"r = {corr:.2f}, median |forecast - realised| = {mae:.2f} (`results/align_suite_forecast.png`).", "",
          "### Turnover sweep (timescales + rotational, 7 days, 15 %/day up to the cap)", "",
          md_table(turn, list(turn[0])), "",
          "### Rest length (timescales + rotational, 4 days; no broadening: the rest window is exactly this long)",
          "", md_table(restlen, list(restlen[0])), "",
          "### Number of anchor trials (timescales + rotational, 4 days; 0 = rest only)", "",
          md_table(nanc, list(nanc[0])), "", "### Real: Aplysia, identities hidden", "", real_text]
    record("align_suite", "\n".join(md), {"rows": [{k: (v.tolist() if isinstance(v, np.ndarray) else v)
                                                    for k, v in r.items()} for r in rows],
                                          "verdicts": verdicts, "forecast_corr": corr, "forecast_mae": mae,
                                          "turnover": turn, "rest_length": restlen, "anchors": nanc,
                                          "aplysia": real_summ, "seeds": list(seeds)})


if __name__ == "__main__":
    main()
