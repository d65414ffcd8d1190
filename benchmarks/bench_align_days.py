"""Across-days alignment with neuron turnover: frozen day-0 decoder after each aligner.

Data: the demo corpus's generative model (``glue_widgets.simulate``: latent LDS of the
"timescales" or "rotational" family, Poisson spiking ``gain * exp(b + C z)``), one subject over 4 days
with 0/25/50/75 % neuron turnover relative to day 0 and per-neuron gain drift. Per day: 10 min of
rest, 5 min of task (behaviour = fixed linear readout of the latents + noise), 8 anchor events
(the demo's anchor response, 1 s each; passed as (events, time, channels), averaged over repeats), and 60 s of a condition-matched task trajectory (the same
latent path every day, as condition averages are in Gallego et al. 2020) for PairedCCA/SRM.
Bins 20 ms (50 Hz). Decoder: ridge (alpha=1) on k=4 aligned latents, trained on day 0 and frozen;
within-day reference: ridge retrained on that day's own latents, 5 contiguous CV folds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _record import record  # noqa: E402

from glue_widgets.align import (GroupAligner, PairedCCA, RestAligner, frame_error,  # noqa: E402
                                frozen_decoder_transfer)
from glue_widgets.align.base import SessionReducer  # noqa: E402
import glue_widgets.simulate as sim  # noqa: E402

FS, K, N = 50.0, 4, 200
REST_S, TASK_S, COND_S = 600.0, 300.0, 60.0
TURNOVER = (0.0, 0.25, 0.5, 0.75)
N_ANCHOR, ANCHOR_S = 8, 1.0
N_ANCHOR_MORE = 20  # the demo spec allows 8-20 repeats


def make_days(family: str, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    params = sim.latent_params(family, K, rng)
    readout = rng.standard_normal((K, 2)) / np.sqrt(K)
    anchor = sim.anchor_response(params, FS, ANCHOR_S, rng)
    z_cond = sim.simulate_latents(params, int(COND_S * FS), FS, rng=rng)  # shared "condition average"
    C0 = rng.normal(0, 0.4, (N, K))
    b0 = np.log(rng.uniform(2, 10, N))
    ids0, next_id = np.arange(N), N
    days = []
    for d, frac in enumerate(TURNOVER):
        n_new = int(round(frac * N))
        keep = np.sort(rng.choice(N, N - n_new, replace=False))
        C = np.vstack([C0[keep], rng.normal(0, 0.4, (n_new, K))])
        b = np.concatenate([b0[keep], np.log(rng.uniform(2, 10, n_new))])
        ids = np.concatenate([ids0[keep], np.arange(next_id, next_id + n_new)])
        next_id += n_new
        gains = np.exp(rng.normal(0, 0.25, N)) if d else np.ones(N)
        perm = rng.permutation(N)  # channel order carries nothing
        C, b, ids, gains = C[perm], b[perm], ids[perm], gains[perm]

        def spikes(z):
            return sim.spikes_from_latents(z, C, b, FS, rng, gains=gains).astype(float)

        z_rest = sim.simulate_latents(params, int(REST_S * FS), FS, rng=rng)
        z_task = sim.simulate_latents(params, int(TASK_S * FS), FS, rng=rng)
        beh = z_task @ readout + 0.1 * rng.standard_normal((len(z_task), 2))
        n_a = len(anchor)
        z_anc = np.vstack([sim.simulate_latents(params, n_a, FS, rng=rng) * 0.5 + anchor for _ in range(N_ANCHOR_MORE)])
        anc = spikes(z_anc).reshape(N_ANCHOR_MORE, n_a, N)
        days.append({"rest": spikes(z_rest), "task": spikes(z_task), "beh": beh, "anchors": anc[:N_ANCHOR],
                     "anchors_more": anc,
                     "cond": spikes(z_cond + 0.3 * rng.standard_normal(z_cond.shape)), "z_task": z_task,
                     "ids": ids, "turnover": frac})
    return days


def md_table(df, fmt: str = "{:.3f}") -> str:
    """A pandas frame as a markdown table (no tabulate dependency)."""
    idx_names = [n or "" for n in (df.index.names if df.index.nlevels > 1 else [df.index.name])]
    head = "| " + " | ".join([*idx_names, *map(str, df.columns)]) + " |"
    sep = "|" + "---|" * (len(idx_names) + len(df.columns))
    lines = [head, sep]
    for idx, row in df.iterrows():
        idx = idx if isinstance(idx, tuple) else (idx,)
        cells = [fmt.format(v) if isinstance(v, (float, np.floating)) else str(v) for v in row.values]
        lines.append("| " + " | ".join([*map(str, idx), *cells]) + " |")
    return "\n".join(lines)


def own_latents(days):
    reds = [SessionReducer(K).fit(d["rest"], index=i) for i, d in enumerate(days)]
    return [r.transform(d["task"]) for r, d in zip(reds, days)]


def evaluate(zs, days):
    return frozen_decoder_transfer(zs[0], days[0]["beh"], zs, [d["beh"] for d in days])


def main() -> None:
    rows, data = [], {}
    ident_text = {}
    timing = {}
    for fam, seed in (("timescales", 1), ("rotational", 2)):
        days = make_days(fam, seed)
        res = {}
        res["no alignment (own PCA per day)"] = evaluate(own_latents(days), days)
        t0 = time.perf_counter()
        al = RestAligner(K).fit([d["rest"] for d in days])
        timing[f"{fam} rest-only fit (4 sessions)"] = time.perf_counter() - t0
        zs = [al.transform(d["task"], session=i) for i, d in enumerate(days)]
        res["RestAligner, rest only"] = evaluate(zs, days)
        # diagnostic (uses the test day's behaviour, not a method): best sign per sign-free latent
        best = []
        for i, (z, d) in enumerate(zip(zs, days)):
            signs = [np.array(s) for s in np.ndindex(*(2,) * K)]
            from sklearn.linear_model import Ridge
            dec = Ridge(1.0).fit(zs[0], days[0]["beh"])
            sc = [dec.score(z * (1 - 2 * s), d["beh"]) for s in signs]
            best.append(max(sc))
        res["RestAligner, rest only, best signs (oracle diagnostic)"] = res["RestAligner, rest only"].assign(
            r2_frozen=best, retained=np.array(best) / res["RestAligner, rest only"]["r2_within"].values)
        t0 = time.perf_counter()
        ala = RestAligner(K).fit([d["rest"] for d in days], anchors=[d["anchors"] for d in days])
        timing[f"{fam} rest+anchors fit"] = time.perf_counter() - t0
        zsa = [ala.transform(d["task"], session=i) for i, d in enumerate(days)]
        res[f"RestAligner, rest + {N_ANCHOR} anchor events"] = evaluate(zsa, days)
        alp = RestAligner(K).fit([d["rest"] for d in days], anchors=[d["anchors"] for d in days])
        res[f"RestAligner, rest + {N_ANCHOR} anchor events, default (blend kept on held-out anchors)"] = evaluate(
            [alp.transform(d["task"], session=i) for i, d in enumerate(days)], days)
        al20 = RestAligner(K).fit([d["rest"] for d in days], anchors=[d["anchors_more"] for d in days])
        res[f"RestAligner, rest + {N_ANCHOR_MORE} anchor events"] = evaluate(
            [al20.transform(d["task"], session=i) for i, d in enumerate(days)], days)
        ident_text[fam] = str(ala.identifiability_)
        data[f"{fam}_anchor_agreement"] = [r.get("anchor_agreement", {}) for r in ala.identifiability_.sessions]
        data[f"{fam}_identifiability"] = ala.identifiability_.to_frame().to_dict("records")
        data[f"{fam}_frame_error_vs_truth"] = frame_error(zsa, [d["z_task"] for d in days]).to_dict("records")
        cca = PairedCCA(K).fit([d["cond"] for d in days])
        res["PairedCCA (Gallego 2020; 60 s condition-matched task data)"] = evaluate(
            [cca.transform(d["task"], session=i) for i, d in enumerate(days)], days)
        srm = GroupAligner(K).fit([d["cond"] for d in days])
        res["GroupAligner (SRM; same condition-matched data)"] = evaluate(
            [srm.transform(d["task"], session=i) for i, d in enumerate(days)], days)
        for name, df in res.items():
            for _, r in df.iterrows():
                if r["session"] == 0:
                    continue
                rows.append({"family": fam, "method": name, "turnover": TURNOVER[int(r["session"])],
                             "r2_frozen": r["r2_frozen"], "r2_within": r["r2_within"], "retained": r["retained"]})
    import pandas as pd

    df = pd.DataFrame(rows)
    table = df.pivot_table(index=["family", "method"], columns="turnover", values="retained", sort=False)
    table.columns = [f"{int(c * 100)} % turnover" for c in table.columns]
    within = df.groupby(["family", "turnover"])["r2_within"].first().unstack()
    md = [__doc__.split("\n\n", 1)[1].strip(), "",
          "**Retained R² = frozen day-0 decoder R² / within-day retrained R²** (≥ 0.90 is the bar).", "",
          md_table(table), "",
          "Within-day decoder R² (5-fold contiguous CV):", "", md_table(within), "",
          "Identifiability reports (rest + anchors fits):", ""]
    for fam, txt in ident_text.items():
        md += [f"*{fam}*:", "", "```", txt, "```", ""]
    md += ["Why anchors in the timescales case too: second-order rest statistics fix every axis there but never "
           "a latent's sign (z → −z leaves all lagged covariances unchanged); with Gaussian latents and "
           "sign-symmetric loadings no rest statistic of a new population can fix it, so the "
           "'rest only' row fails where the sign differs, and the oracle-sign row shows that everything else "
           "was fixed by rest alone. Anchors fix the signs and the rotational plane's in-plane angle (report: "
           "'rotation free'), but only as well as the anchor stimulus drives each latent. Up to CORPUS_VERSION 5 "
           "the demo's anchor response had one random direction (plus the plane's rotation), latents it barely "
           "drove got a guessed sign, and 8 events fell short in some sessions (timescales 0.340 at 75 %, "
           "rotational 0.454 at 25 %); since version 6 it drives every latent direction (full rank; "
           "``simulate.anchor_response``). The default (blend kept on held-out anchors) row returns each session's posterior means "
           "(its own factor-analysis noise model) instead of Bartlett scores. The oracle-sign row is a diagnostic only "
           "(it picks signs with the test day's behaviour).", "",
           "Fit times (s, this machine, shared): " + ", ".join(f"{k}: {v:.1f}" for k, v in timing.items())]
    data.update({"rows": rows, "timing_s": timing,
                 "settings": {"fs": FS, "k": K, "n_neurons": N, "rest_s": REST_S, "task_s": TASK_S,
                              "cond_s": COND_S, "n_anchor": N_ANCHOR, "anchor_s": ANCHOR_S,
                              "decoder": "ridge alpha=1", "cv": "5 contiguous folds"}})
    record("align_days", "\n".join(md), data)


if __name__ == "__main__":
    main()
