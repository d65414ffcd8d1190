"""Rebuild the shipped supervised spike model from all the CASCADE ground truth (20 datasets).

    python scripts/train_spike_model.py [--gt DIR ...] [--out FILE] [--rule FILE]

Trains :class:`glue_widgets.translate.supervised.SpikeModel` with the settings of the leave-one-dataset-out
benchmark (``benchmarks/bench_spikes.py: LODO``) on every dataset of ``../shared/data/cascade_gt`` and
``../shared/data/cascade_gt_more`` (equal rows per dataset; noise, kinetics and frame-rate augmentation),
and stores beside the weights: the training range (frame rate, noise level ν, decay time: the domain
check) and the choice rule the benchmark tuned on its tuning half (``benchmarks/results/spikes_rule.json``).
Deterministic (fixed seeds); single-threaded BLAS; about a minute of CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from bench_spikes import LODO  # noqa: E402

from glue_widgets.translate.groundtruth import load_cascade_gt, noise_level  # noqa: E402
from glue_widgets.translate.spike_domain import ChoiceRule, training_domain  # noqa: E402
from glue_widgets.translate.spike_features import fill_gaps  # noqa: E402
from glue_widgets.translate.supervised import DEFAULT_MODEL_PATH, SpikeModel  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gt", nargs="+", default=[str(SHARED / "cascade_gt"), str(SHARED / "cascade_gt_more")])
    ap.add_argument("--out", default=str(DEFAULT_MODEL_PATH))
    ap.add_argument("--rule", default=str(ROOT / "benchmarks" / "results" / "spikes_rule.json"))
    a = ap.parse_args()
    segs = [s for root in a.gt for s in load_cascade_gt(root)]
    t0 = time.process_time()
    m = SpikeModel(**LODO).fit(segs)
    stats = []
    for s in segs:
        y, _ = fill_gaps(s.dff.astype(float))
        stats.append((s.fs, noise_level(s.dff, s.fs), m.features(y, s.fs)[1]["decay_s"]))
    st = np.array(stats)
    dom = training_domain(st[:, 0], st[:, 1], st[:, 2])
    rule = ChoiceRule.from_array(json.loads(Path(a.rule).read_text())["rule"]) if Path(a.rule).exists() \
        else ChoiceRule()
    path = m.save(a.out, domain=dom.to_array(), rule=rule.to_array())
    print(f"trained on {m.n_samples_} rows from {len(m.datasets_)} datasets in {time.process_time() - t0:.0f} "
          f"CPU s -> {path} ({path.stat().st_size / 1e3:.0f} kB); domain {dom}; rule {rule.to_array()}")


if __name__ == "__main__":
    main()
