"""Guards on RestAligner's defaults: one small scenario of every family of the alignment suite.

Each scenario (``glue_widgets.simulate.alignment_scenarios``, seed 300: neither the tuning nor the
reporting half of ``benchmarks/bench_align_suite.py``) has 3 days with up to 60 % turnover, 5-min rest
and 8 anchor trials. The default must not fall below the better naive anchor baseline by more than
a small-sample margin, must stay positive where that baseline is, and must give the same frame for
both anchor shapes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from glue_widgets.align import RestAligner, within_session_r2
from glue_widgets.align.baselines import AnchorMapBaseline
from glue_widgets.align.base import SessionReducer
from glue_widgets.simulate.alignment_scenarios import SCENARIO_FAMILIES, alignment_scenario

MARGIN = 0.05  # small scenarios (5-min rest, 32 trials): the benchmark's margin is 0.02 on full-size ones


def _retained(est, days, k):
    zs = [est.transform(d.task, session=i) for i, d in enumerate(days)]
    dec = Ridge(alpha=1.0).fit(zs[0], days[0].behavior)
    out = []
    for z, d in zip(zs[1:], days[1:]):
        within = within_session_r2(SessionReducer(k, method="fa").fit(d.rest).transform(d.task), d.behavior)
        y = d.behavior
        r2 = 1 - np.sum((y - dec.predict(z)) ** 2) / np.sum((y - y.mean(0)) ** 2)
        out.append(r2 / within)
    return np.array(out)


# rotational and calcium were expected failures with a factor-analysis frame (0.87 vs 0.93; 0.07 vs 0.40);
# both pass since the frame is PCA with anchors and both reductions' maps are candidates (2026-12-06).
@pytest.mark.parametrize("family", SCENARIO_FAMILIES)
def test_default_keeps_up_with_naive_baselines(family):
    days = alignment_scenario(family, seed=300, n_days=3, rest_min=5.0, turnover_step=0.3, n_task_trials=32)
    k = days[0].info["k"]
    rest, anc = [d.rest for d in days], [d.anchors for d in days]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        al = RestAligner(k).fit(rest, anchors=anc)
        ours = _retained(al, days, k)
        base = {m: _retained(AnchorMapBaseline(k, reduction=r, anchor_map=m).fit(rest, anc), days, k)
                for r, m in (("pca", "orthogonal"), ("fa", "affine"))}
    best = max(base.values(), key=lambda v: v.min())
    assert ours.min() >= best.min() - MARGIN, (family, ours, base, al.map_)
    if best.min() > 0:
        assert ours.min() > 0, (family, ours, base)
    assert np.isfinite(al.forecast_).all() or "anchor" in al.summary()
