"""Behavioural covariates: find them among a session's streams and turn them into a stillness mask.

Behaviour streams are small (a few Hz to ~100 Hz, a few channels), so they are read whole; neural
streams never are. Thresholds are robust and come from each session's own distribution (Otsu's
split of log speed), because units differ (cm/s, pixels per frame, arbitrary wheel units).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["BehaviorTrace", "behavior_traces", "otsu_threshold", "stillness", "intervals_from_mask",
           "merge_gaps", "subtract_intervals"]

_ROLE_PATTERNS = (
    ("pupil", r"pupil"),
    ("speed", r"speed|running|locomot|wheel|treadmill"),
    ("velocity", r"veloc"),
    ("position", r"position|\bpos\b|trajector|tracking|location|\bxy\b|led"),
    ("movement", r"movement|motion|whisk|face|accel|move|energy"),
)


@dataclass
class BehaviorTrace:
    """One behavioural covariate on its own time base: ``role`` is speed, pupil or movement."""

    stream: str
    role: str
    time: np.ndarray
    value: np.ndarray
    units: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def _role(name: str, info: Any) -> str | None:
    text = f"{name} {getattr(info, 'description', '')}".lower().replace("_", " ")
    for role, pat in _ROLE_PATTERNS:
        if re.search(pat, text):
            return role
    return None


def behavior_traces(session: Any) -> list[BehaviorTrace]:
    """Speed / pupil / movement traces from every behaviour stream of ``session``.

    Position and velocity are converted to speed (norm of the velocity; position is differentiated
    after a 0.25-s moving median that removes tracker jitter). Samples that are NaN are kept as NaN.
    """
    out: list[BehaviorTrace] = []
    for name, info in session.streams.items():
        if info.modality != "behavior" or info.kind == "events":
            continue
        role = _role(name, info)
        if role is None:
            continue
        x = session.read(name)
        t = np.asarray(x.time.values, float)
        v = np.asarray(x.values, float)
        if v.ndim == 1:
            v = v[:, None]
        detail: dict[str, Any] = {"source_role": role}
        if role == "position":
            fs = info.fs or (1.0 / float(np.median(np.diff(t))) if t.size > 1 else 1.0)
            k = max(1, int(round(0.25 * fs)))
            if k > 1 and v.shape[0] > k:
                from scipy.ndimage import median_filter
                v = median_filter(v, size=(k, 1), mode="nearest")
            d = np.gradient(v, t, axis=0) if t.size > 1 else np.zeros_like(v)
            value = np.sqrt(np.nansum(d ** 2, axis=1))
            role = "speed"
            detail["derived"] = "speed from position"
        elif role in ("velocity", "speed", "movement"):
            value = np.sqrt(np.nansum(v ** 2, axis=1)) if v.shape[1] > 1 else np.abs(v[:, 0])
            if role == "velocity":
                detail["derived"] = "speed from velocity"
                role = "speed"
        else:  # pupil: a diameter or area, averaged across channels
            value = np.nanmean(v, axis=1) if v.shape[1] > 1 else v[:, 0]
        value = np.where(np.isnan(v).all(axis=1), np.nan, value)
        out.append(BehaviorTrace(name, role, t, value, info.units, detail))
    return out


def otsu_threshold(values: np.ndarray, *, log: bool = True) -> tuple[float, float]:
    """Otsu's threshold of ``values`` and its separability (between-class / total variance, 0..1).

    With ``log`` the split is made on ``log10(values + floor)``, where the floor is 1 % of the 95th
    percentile, so exact zeros (a frozen tracker) and tiny jitter form one low mode.
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size < 4:
        return float("nan"), 0.0
    floor = 0.0
    if log:
        v = np.clip(v, 0.0, None)
        floor = 0.01 * float(np.percentile(v, 95)) or 1e-12
        v = np.log10(v + floor)
    hist, edges = np.histogram(v, bins=256)
    if hist.sum() == 0 or np.ptp(v) == 0:
        return float("nan"), 0.0
    p = hist / hist.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    mu = np.cumsum(p * centres)
    mu_t = mu[-1]
    w1 = 1 - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        sb = (mu_t * w0 - mu) ** 2 / (w0 * w1)
    sb[~np.isfinite(sb)] = 0
    i = int(np.argmax(sb))
    eta = float(sb[i] / v.var()) if v.var() > 0 else 0.0
    thr = float(edges[i + 1])
    if log:
        thr = 10 ** thr - floor
    return thr, eta


def stillness(trace: BehaviorTrace, threshold: float | None = None, *, smooth_s: float = 1.0,
              min_separability: float = 0.6) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Boolean "low" mask of a speed/movement/pupil trace on its own time base.

    The trace is smoothed with a ``smooth_s`` moving average, then thresholded at ``threshold``
    or, when None, at Otsu's split of the log values. If the two modes are poorly separated
    (separability < ``min_separability``) the session shows one behavioural state only and every
    sample counts as low (``detail["unimodal"]`` says so).
    """
    t, v = trace.time, trace.value.astype(float)
    fs = 1.0 / float(np.median(np.diff(t))) if t.size > 1 else 1.0
    k = max(1, int(round(smooth_s * fs)))
    if k > 1 and v.size >= k:
        good = np.isfinite(v)
        num = np.convolve(np.where(good, v, 0.0), np.ones(k), mode="same")
        den = np.convolve(good.astype(float), np.ones(k), mode="same")
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(den > 0, num / den, np.nan)
    detail: dict[str, Any] = {"stream": trace.stream, "role": trace.role, "smooth_s": smooth_s}
    if threshold is None:
        thr, eta = otsu_threshold(v)
        detail.update(threshold_method="otsu(log10)", separability=round(eta, 3))
        if not np.isfinite(thr) or eta < min_separability:
            detail.update(unimodal=True, threshold=None)
            return t, np.isfinite(v), detail
    else:
        thr = float(threshold)
        detail["threshold_method"] = "given"
    detail["threshold"] = float(thr)
    with np.errstate(invalid="ignore"):
        mask = v <= thr
    return t, mask, detail


def intervals_from_mask(t: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous True runs of ``mask`` as (start, stop) seconds; stop is one sample past the run."""
    if t.size == 0:
        return []
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(int))
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return [(float(t[a]), float(t[b - 1] + dt)) for a, b in zip(starts, stops)]


def merge_gaps(iv: list[tuple[float, float]], max_gap: float) -> list[tuple[float, float]]:
    """Merge intervals separated by at most ``max_gap`` seconds."""
    out: list[list[float]] = []
    for a, b in sorted(iv):
        if out and a - out[-1][1] <= max_gap:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def subtract_intervals(iv: list[tuple[float, float]], cut: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Remove the ``cut`` intervals from ``iv``."""
    out = list(iv)
    for c0, c1 in sorted(cut):
        nxt = []
        for a, b in out:
            if c1 <= a or c0 >= b:
                nxt.append((a, b))
                continue
            if a < c0:
                nxt.append((a, c0))
            if c1 < b:
                nxt.append((c1, b))
        out = nxt
    return out
