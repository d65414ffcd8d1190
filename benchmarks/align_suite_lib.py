"""Shared pieces of the alignment suite: methods, the identity-known oracle, and the transfer score.

Every method gets the same inputs: one rest segment per day and the anchor trials as the generator
returns them, ``(events, time, channels)``; none sees unit ids, latents or behaviour. The score of a
day is the frozen day-0 decoder's R² on that day's task (ridge, alpha = 1, trained on day 0's aligned
task latents) divided by the within-day R² (ridge retrained on that day's own factor-analysis latents
of its rest, 5 contiguous folds): one denominator shared by every method.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
from sklearn.linear_model import Ridge

from glue_widgets.align import RestAligner, within_session_r2
from glue_widgets.align.base import SessionReducer
from glue_widgets.align.baselines import AnchorMapBaseline

BASELINES = {
    "rest PCA + anchor Procrustes": dict(reduction="pca", anchor_map="orthogonal"),
    "rest FA + anchor Procrustes": dict(reduction="fa", anchor_map="orthogonal"),
    "rest PCA + affine anchor map": dict(reduction="pca", anchor_map="affine"),
    "rest FA + affine anchor map": dict(reduction="fa", anchor_map="affine"),
    "CCA on anchors (rest PCA)": dict(reduction="pca", anchor_map="cca"),
}
MAIN = "RestAligner (default)"


def _r2(y: np.ndarray, yhat: np.ndarray) -> float:
    return float(1 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean(0)) ** 2))


def transfer(z_list: list[np.ndarray], ys: list[np.ndarray], within: np.ndarray) -> np.ndarray:
    """Frozen day-0 decoder R² on every later day / within-day R²."""
    dec = Ridge(alpha=1.0).fit(z_list[0], ys[0])
    return np.array([_r2(y, dec.predict(z)) / w for z, y, w in zip(z_list[1:], ys[1:], within[1:])])


def within_day(rest: list[np.ndarray], task: list[np.ndarray], ys: list[np.ndarray], k: int) -> np.ndarray:
    out = []
    for r, t, y in zip(rest, task, ys):
        red = SessionReducer(k, method="fa").fit(r)
        out.append(within_session_r2(red.transform(t), y))
    return np.array(out)


def oracle(rest: list[np.ndarray], task: list[np.ndarray], ys: list[np.ndarray], ids: list[np.ndarray], k: int,
           within: np.ndarray) -> np.ndarray:
    """Identity known: day 0's factor analysis on the neurons recorded on both days, applied to day d."""
    out = []
    for d in range(1, len(rest)):
        shared = np.intersect1d(ids[0], ids[d])
        if len(shared) <= k + 2:
            out.append(np.nan)
            continue
        c0 = np.searchsorted(ids[0], shared, sorter=np.argsort(ids[0]))
        c0 = np.argsort(ids[0])[c0]
        cd = np.argsort(ids[d])[np.searchsorted(ids[d], shared, sorter=np.argsort(ids[d]))]

        def std(x, r):
            return (x - r.mean(0)) / np.maximum(r.std(0), 1e-9)
        r0, rd = rest[0][:, c0], rest[d][:, cd]
        red = SessionReducer(k, method="fa").fit(std(r0, r0))
        z0 = red.transform(std(task[0][:, c0], r0))
        zd = red.transform(std(task[d][:, cd], rd))
        dec = Ridge(alpha=1.0).fit(z0, ys[0])
        out.append(_r2(ys[d], dec.predict(zd)) / within[d])
    return np.array(out)


def run_methods(rest: list[np.ndarray], anchors: list[np.ndarray] | None, task: list[np.ndarray],
                ys: list[np.ndarray], ids: list[np.ndarray], k: int, *, with_baselines: bool = True,
                with_2d: bool = True) -> dict[str, Any]:
    """Every method on one scenario: retained fraction per later day, plus the aligner's forecast."""
    within = within_day(rest, task, ys, k)
    res: dict[str, Any] = {"within": within}

    def score(est: Any) -> np.ndarray:
        return transfer([est.transform(t, session=i) for i, t in enumerate(task)], ys, within)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        al = RestAligner(k).fit(rest, anchors=anchors)
        res[MAIN] = score(al)
        res["forecast"] = al.forecast_[1:]
        res["map"] = al.map_[1:]
        if anchors is not None and len(anchors[0]):
            if with_2d:
                flat = [a.reshape(-1, a.shape[-1]) for a in anchors]
                al2 = RestAligner(k).fit(rest, anchors=flat)
                res["RestAligner, anchors as (time, channels)"] = score(al2)
                pa = [np.zeros(1) if p is None else p for p in getattr(al, "secondary_transforms_", [])]
                pb = [np.zeros(1) if p is None else p for p in getattr(al2, "secondary_transforms_", [])]
                res["same frame (2-D vs 3-D anchors)"] = bool(all(np.allclose(a, b) for a, b in
                                                                 zip(al.transforms_ + pa, al2.transforms_ + pb)))
            if with_baselines:
                for name, kw in BASELINES.items():
                    try:
                        res[name] = score(AnchorMapBaseline(k, **kw).fit(rest, anchors))
                    except Exception:  # noqa: BLE001 - a failing baseline scores nan, it does not stop the suite
                        res[name] = np.full(len(rest) - 1, np.nan)
        res["RestAligner, rest only"] = score(RestAligner(k).fit(rest))
        res["identity known (oracle)"] = oracle(rest, task, ys, ids, k, within)
    return res


def summarize(rows: list[dict[str, Any]], methods: list[str]) -> list[dict[str, Any]]:
    """Per method: worst day and median day over every scenario's later days, and the worst scenario's median."""
    out = []
    for m in methods:
        vals = [np.asarray(r[m], float) for r in rows if m in r]
        if not vals:
            continue
        allv = np.concatenate(vals)
        out.append({"method": m, "worst day": float(np.nanmin(allv)), "median day": float(np.nanmedian(allv)),
                    "worst scenario (its worst day), median over scenarios": float(np.nanmedian([np.nanmin(v) for v in vals]))})
    return out


def md_table(rows: list[dict[str, Any]], cols: list[str], fmt: Callable[[Any], str] | None = None) -> str:
    fmt = fmt or (lambda v: f"{v:.2f}" if isinstance(v, float) else str(v))
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |")
    return "\n".join(out)
