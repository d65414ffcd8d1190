"""Speed: RestAligner.fit on 20 sessions x 300 channels x 10 minutes of rest at 50 Hz.

Data: per session a 4-dim latent process (demo "timescales" generator) read out by 300 channels with
session-specific random loadings and Gaussian private noise, float32 (20 x 30 000 x 300 values,
0.7 GB). Wall-clock time of ``fit`` (data generation excluded), default settings
(factor analysis, lags 1-64 samples), then with ``reduction="pca"`` and with ``reference="group"``.
The machine is shared with other jobs; the load average at start is recorded.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _record import record  # noqa: E402

from glue_widgets.align import RestAligner  # noqa: E402
import glue_widgets.simulate as sim  # noqa: E402

N_SESS, N_CH, FS, DUR, K = 20, 300, 50.0, 600.0, 4


def main() -> None:
    rng = np.random.default_rng(0)
    params = sim.latent_params("timescales", K, rng)
    n = int(FS * DUR)
    xs = []
    for _ in range(N_SESS):
        z = sim.simulate_latents(params, n, FS, rng=rng).astype(np.float32)
        C = rng.standard_normal((K, N_CH)).astype(np.float32)
        x = z @ C
        x += rng.standard_normal((n, N_CH), dtype=np.float32) * 2.0
        xs.append(x)
    load = os.getloadavg()[0]
    out, cpu = {}, {}
    for name, kw in (("default (FA, reference=0)", {}), ("reduction='pca'", {"reduction": "pca"}),
                     ("reference='group'", {"reference": "group"})):
        t0, c0 = time.perf_counter(), time.process_time()
        al = RestAligner(K, **kw).fit(xs)
        out[name] = time.perf_counter() - t0
        cpu[name] = time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    for i, x in enumerate(xs):
        al.transform(x, session=i)
    out["transform all 20 sessions"] = time.perf_counter() - t0
    cpu["transform all 20 sessions"] = time.process_time() - c0
    md = [__doc__.split("\n\n", 1)[1].strip(), "",
          f"{N_SESS} sessions x {N_CH} channels x {DUR / 60:.0f} min at {FS:.0f} Hz ({n} samples each), k = {K}; "
          f"{os.cpu_count()} cores; load average at start {load:.1f}.", "",
          "| what | wall time (s) | CPU time, all threads (s) |", "|---|---|---|"]
    md += [f"| {k} | {v:.1f} | {cpu[k]:.1f} |" for k, v in out.items()]
    md += ["", "Wall time on a machine this loaded overstates the cost; CPU time is what the fit needs "
           "(on 2 free cores the wall time is about CPU time / 2 or less)."]
    record("align_speed", "\n".join(md), {"timings_s": out, "cpu_s": cpu, "load_average": load,
                                           "settings": {"sessions": N_SESS, "channels": N_CH, "fs": FS,
                                                        "duration_s": DUR, "k": K, "dtype": "float32"}})


if __name__ == "__main__":
    main()
