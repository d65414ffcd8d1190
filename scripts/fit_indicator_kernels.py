"""Fit a linear per-spike calcium kernel to every ground-truth dataset (checks the indicator table).

    python scripts/fit_indicator_kernels.py [--gt DIR ...]

ΔF/F (resampled to 30 Hz, 10th percentile subtracted) is regressed on the spike counts at lags
-0.1 … 3 s (ridge); prints the kernel's peak ΔF/F per spike, time to peak and half decay after the
peak, to compare with :data:`glue_widgets.model.indicators.INDICATORS`. Bursts and saturation make the
fitted peak an average contribution per spike, not the isolated-spike amplitude.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glue_widgets.translate.groundtruth import load_cascade_gt  # noqa: E402
from glue_widgets.translate.supervised import _fill_gaps, resample_trace  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
DEFAULT_GT = [str(HERE.parent / "shared" / "data" / d) for d in ("cascade_gt", "cascade_gt_more")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gt", nargs="+", default=DEFAULT_GT)
    a = ap.parse_args()
    segs = [s for root in a.gt for s in load_cascade_gt(root)]
    rate, n_lag, n_lead = 30.0, 90, 3
    by: dict[str, list] = {}
    for s in segs:
        by.setdefault(s.dataset, []).append(s)
    for ds, ss in sorted(by.items()):
        k = n_lag + n_lead
        xtx, xty, n_sp = np.zeros((k, k)), np.zeros(k), 0
        for s in ss:
            y, _ = _fill_gaps(s.dff.astype(float))
            if not np.isfinite(y).all():
                continue
            yr = resample_trace(y, s.fs, rate)
            yr = yr - np.percentile(yr, 10)
            c = np.histogram(s.spikes, bins=(np.arange(yr.size + 1) - 0.5) / rate + s.t[0])[0].astype(float)
            n_sp += int(c.sum())
            X = np.stack([np.roll(c, j) for j in range(-n_lead, n_lag)], 1)
            xtx += X.T @ X
            xty += X.T @ yr
        h = np.linalg.solve(xtx + 0.1 * np.eye(k), xty)
        t = np.arange(-n_lead, n_lag) / rate
        ip = int(np.argmax(h))
        after = np.flatnonzero((t > t[ip]) & (h < h[ip] / 2))
        half = t[after[0]] - t[ip] if after.size else float("nan")
        print(f"{ds:40s} spikes={n_sp:6d} peak={h[ip]:.3f} t_peak={t[ip] * 1e3:4.0f} ms "
              f"half_decay={half * 1e3:5.0f} ms")


if __name__ == "__main__":
    main()
