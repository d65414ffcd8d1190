"""The demo corpus's multi-day mice: RestAligner vs no alignment, frozen day-0 velocity decoder.

Sessions ``demo://arbor/m01/day0..3`` ("timescales" latents; neuron turnover 25/50/75 % vs day 0 and
gain drift) and ``demo://arbor/m02/day0..2`` ("rotational"; turnover 50/75 %), read through
``gw.open`` (the NWB files). Spikes of all units (V1 + V2) binned at 40 ms (the reader's default).
Rest = the epoch labelled "spontaneous gray screen" (the first rest state); task = the "task"
epoch; behaviour = the 2-D ``velocity`` stream (a linear readout of the latents) in the task epoch,
resampled to the spike bins; anchors = 8 "anchor" epochs (the 2nd-9th of 12; same stimulus every day),
each read from 1 s before onset to its end and passed as (events, time, channels) with
``anchor_baseline`` = the 25 pre-onset bins (per-event baseline subtraction: the anchor block is given at a
different arousal level than rest, and that offset, not the evoked response, used to set the signs).
Counts are square-root transformed (``input_transform="sqrt"``) before factor analysis. The row "rest +
8 anchors, raw snippets" is the previous method (no sqrt, no baseline, first 8 anchors) for contrast. Nothing reads ``gw.demo.truth`` to fit (truth only supplies the
reports). Decoder: ridge (alpha=1) on k = 4 aligned latents, trained on day 0
and frozen; within-day: retrained, 5 contiguous folds.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _record import record  # noqa: E402

import glue_widgets as gw  # noqa: E402
from glue_widgets.align import RestAligner, frozen_decoder_transfer  # noqa: E402
from glue_widgets.align.base import SessionReducer  # noqa: E402

K, N_ANCHOR = int(__import__("os").environ.get("ALIGN_DEMO_K", 6)), 8
PRE_S, NB = 1.0, 25  # 1 s pre-onset baseline = 25 bins of 40 ms


def load(uri: str) -> dict:
    s = gw.open(uri)
    ep = s.epochs
    lab = ep["label"].astype(str)
    rest = ep[lab.str.contains("gray screen")].iloc[0]
    task = ep[lab.str.startswith("task")].iloc[0]
    anc_all = ep[lab == "anchor"]
    anc = anc_all.iloc[1:N_ANCHOR + 1]  # the first follows rest directly: no anchor-state baseline
    raw = [s.read("units", a.start, a.stop).values for a in anc_all.iloc[:N_ANCHOR].itertuples()]
    x_rest = s.read("units", rest.start, rest.stop)
    x_task = s.read("units", task.start, task.stop)
    vel = s.read("velocity", task.start, task.stop)
    t = x_task["time"].values
    beh = np.column_stack([np.interp(t, vel["time"].values, vel.values[:, j]) for j in range(vel.shape[1])])
    snips = [s.read("units", a.start - PRE_S, a.stop).values for a in anc.itertuples()]
    L = min(len(v) for v in snips)
    Lr = min(len(v) for v in raw)
    return {"rest": x_rest, "task": x_task.values, "beh": beh, "anchors": np.stack([v[:L] for v in snips]),
            "anchors_raw": np.stack([v[:Lr] for v in raw]),
            "turnover": s.metadata.get("turnover") if hasattr(s, "metadata") else None}


def main() -> None:
    uris = gw.demo.list(include_real=False)
    lines, data = [], {}
    for subj in ("m01", "m02"):
        su = sorted(u for u in uris if f"/arbor/{subj}/" in u)
        days = [load(u) for u in su]
        for key in ("anchors", "anchors_raw"):
            L = min(d[key].shape[1] for d in days)
            for d in days:
                d[key] = d[key][:, :L]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = {}
            reds = [SessionReducer(K, method="fa").fit(np.sqrt(d["rest"].values), index=i) for i, d in enumerate(days)]
            zs = [r.transform(np.sqrt(d["task"])) for r, d in zip(reds, days)]
            res["no alignment"] = frozen_decoder_transfer(zs[0], days[0]["beh"], zs, [d["beh"] for d in days])
            old = RestAligner(K).fit([d["rest"] for d in days], anchors=[d["anchors_raw"] for d in days])
            zs = [old.transform(d["task"], session=i) for i, d in enumerate(days)]
            res[f"RestAligner, rest + {N_ANCHOR} anchors, raw snippets (previous)"] = frozen_decoder_transfer(
                zs[0], days[0]["beh"], zs, [d["beh"] for d in days])
            kw = {"input_transform": "sqrt", "anchor_baseline": NB}
            al = RestAligner(K, **kw).fit([d["rest"] for d in days])
            zs = [al.transform(d["task"], session=i) for i, d in enumerate(days)]
            res["RestAligner, rest only"] = frozen_decoder_transfer(zs[0], days[0]["beh"], zs, [d["beh"] for d in days])
            ala = RestAligner(K, **kw).fit([d["rest"] for d in days], anchors=[d["anchors"] for d in days])
            zs = [ala.transform(d["task"], session=i) for i, d in enumerate(days)]
            res[f"RestAligner, rest + {N_ANCHOR} anchors"] = frozen_decoder_transfer(
                zs[0], days[0]["beh"], zs, [d["beh"] for d in days])
        truth = [gw.demo.truth(u) for u in su]
        fam = truth[0]["family"]
        turn = [t.get("turnover") for t in truth]
        lines += [f"**{subj}** ({fam}; sessions {', '.join(u.split('/')[-1] for u in su)}; turnover vs day 0 "
                  f"{turn}; k_true = {truth[0]['k']}):", "",
                  "| method | " + " | ".join(u.split("/")[-1] for u in su[1:]) + " |", "|---|" + "---|" * (len(su) - 1)]
        for name, df in res.items():
            lines.append(f"| {name} (retained R²) | " + " | ".join(f"{v:.3f}" for v in df["retained"].values[1:]) + " |")
        lines.append("| within-day R² | " + " | ".join(f"{v:.3f}" for v in res["no alignment"]["r2_within"].values[1:]) + " |")
        lines += ["", "```", str(ala.identifiability_), "```", ""]
        data[subj] = {k: v.to_dict("records") for k, v in res.items()}
    record("align_demo", __doc__.split("\n\n", 1)[1].strip() + "\n\n" + "\n".join(lines), data)


if __name__ == "__main__":
    main()
