"""Rebuild the shipped supervised spike model from the CASCADE ground truth.

    PYTHONPATH=/work/main .venv/bin/python scripts/train_spike_model.py [--gt DIR] [--out FILE] [--rate HZ]

Trains :class:`glue_widgets.translate.supervised.SpikeModel` on all six datasets of ``cascade_gt``
(equal windows per dataset, noise-level and kinetics augmentation) and writes a small ``.npz``.
Single-threaded BLAS: the machine is shared and the network is small.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glue_widgets.translate.groundtruth import load_cascade_gt  # noqa: E402
from glue_widgets.translate.supervised import DEFAULT_MODEL_PATH, SpikeModel  # noqa: E402

# the settings the benchmark's leave-one-dataset-out evaluation uses, scaled up for the shipped model
SHIPPED = dict(rate=30.0, pre=10, post=30, hidden=(96, 48), sigma=0.7, noise_levels=(1.0, 2.0, 4.0, 8.0),
               stretch=(0.7, 1.4), gain=(1.0, 1.0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--gt", default="/work/shared/data/cascade_gt")
    ap.add_argument("--out", default=str(DEFAULT_MODEL_PATH))
    ap.add_argument("--rate", type=float, default=SHIPPED["rate"])
    ap.add_argument("--n-train", type=int, default=40_000)
    ap.add_argument("--max-iter", type=int, default=40)
    a = ap.parse_args()
    segs = load_cascade_gt(a.gt)
    t0 = time.time()
    m = SpikeModel(**{**SHIPPED, "rate": a.rate}, n_train=a.n_train, max_iter=a.max_iter).fit(segs)
    path = m.save(a.out)
    print(f"trained on {m.n_samples_} windows from {m.datasets_} in {time.time() - t0:.0f} s -> {path} "
          f"({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
