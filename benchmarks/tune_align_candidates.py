"""Tuning-half sweep of RestAligner's candidate rule (seeds 0-2 only; never the reporting seeds 100-104).

For every scenario the naive baselines and the within-day R² are computed once; RestAligner is then
refitted under each rule (PCA candidates on/off, keep ratio of the held-out anchor error). Prints,
per family and rule, the worst and median day and the margin to the best baseline's worst day.

Usage: ``python benchmarks/tune_align_candidates.py [--families calcium,latent5] [--seeds 0,1,2]``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from align_suite_lib import BASELINES, transfer, within_day  # noqa: E402

import glue_widgets.align.anchors as anc_mod  # noqa: E402
import glue_widgets.align.rest as rest_mod  # noqa: E402
from glue_widgets.align import RestAligner  # noqa: E402
from glue_widgets.align.baselines import AnchorMapBaseline  # noqa: E402
from glue_widgets.simulate.alignment_scenarios import SCENARIO_FAMILIES, alignment_scenario  # noqa: E402

TUNING_SEEDS = (0, 1, 2)
BLEND = (1.0, 1.2, 1.5, 2.0, 3.0)
RULES = {"fa-only-ratio2": (False, 2.0, "fa"), "all-ratio2": (True, 2.0, "fa"), "all-ratio1.5": (True, 1.5, "fa"),
         "all-ratio1.2": (True, 1.2, "fa"), "all-best-only": (True, 1.0, "fa"),
         "all-bestblend": (True, BLEND, "fa"), "fa-bestblend": (False, BLEND, "fa"),
         "pcaframe-ratio2": (True, 2.0, "pca"), "pcaframe-bestblend": (True, BLEND, "pca"),
         "auto-ratio2": (True, 2.0, "auto")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", default=",".join(SCENARIO_FAMILIES))
    ap.add_argument("--seeds", default=",".join(map(str, TUNING_SEEDS)))
    ap.add_argument("--rules", default=",".join(RULES))
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if any(s >= 100 for s in seeds):
        raise SystemExit("seeds >= 100 are the reporting half: do not tune on them")
    rules = args.rules.split(",")
    for fam in args.families.split(","):
        res: dict[str, list] = {}
        for s in seeds:
            days = alignment_scenario(fam, seed=s)
            k = days[0].info["k"]
            rest, anc, task, ys = ([d.rest for d in days], [d.anchors for d in days], [d.task for d in days],
                                   [d.behavior for d in days])
            within = within_day(rest, task, ys, k)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name, kw in BASELINES.items():
                    est = AnchorMapBaseline(k, **kw).fit(rest, anc)
                    res.setdefault(name, []).append(transfer([est.transform(t, session=i) for i, t in enumerate(task)], ys, within))
                for r in rules:
                    rest_mod.PCA_CANDIDATES, anc_mod.KEEP_RATIO, red = RULES[r]
                    al = RestAligner(k, reduction=red).fit(rest, anchors=anc)
                    res.setdefault(r, []).append(transfer([al.transform(t, session=i) for i, t in enumerate(task)], ys, within))
        v = {m: np.concatenate(x) for m, x in res.items()}
        best = max(BASELINES, key=lambda m: np.nanmin(v[m]))
        print(f"{fam}: best baseline {best} worst {np.nanmin(v[best]):.2f} median {np.nanmedian(v[best]):.2f}")
        for r in rules:
            print(f"   {r:20s} worst {np.nanmin(v[r]):.2f} median {np.nanmedian(v[r]):.2f} "
                  f"margin {np.nanmin(v[r]) - np.nanmin(v[best]):+.2f}", flush=True)


if __name__ == "__main__":
    main()
