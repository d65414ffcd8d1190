"""Quality of a rest window: stationarity, artifacts, missing data, arousal, and the state the data tell."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

__all__ = ["stationarity", "artifact_fraction", "missing_fraction", "arousal_summary", "infer_state",
           "occipital_alpha_ratio", "shrinkage_cov"]

_MAX_CH = 64            # quality statistics on at most this many channels (the most variable ones)
_MAX_T = 200_000        # and on at most this many samples (evenly strided)


def _subset(x: np.ndarray) -> np.ndarray:
    x = x[:, np.isfinite(x).any(axis=0)]
    if x.shape[1] > _MAX_CH:
        keep = np.argsort(np.nanvar(x, axis=0))[::-1][:_MAX_CH]
        x = x[:, np.sort(keep)]
    if x.shape[0] > _MAX_T:
        x = x[:: int(np.ceil(x.shape[0] / _MAX_T))]
    return x


def shrinkage_cov(x: np.ndarray) -> np.ndarray:
    """Oracle-approximating shrinkage covariance (sklearn OAS) of ``x`` (time × channels), NaN rows dropped."""
    from sklearn.covariance import OAS

    x = x[np.isfinite(x).all(axis=1)]
    c = OAS(assume_centered=False).fit(x).covariance_
    # a floor keeps silent channels (all-zero spike counts) from making the matrix singular
    c += np.eye(c.shape[0]) * max(1e-10, 1e-6 * float(np.trace(c)) / c.shape[0])
    return c


def stationarity(x: np.ndarray) -> dict[str, Any]:
    """Split-half drift: first vs second half of the window.

    ``mean_drift``: median over channels of |mean1 − mean2| / pooled SD; ``var_log_ratio``: median
    of |log(var1/var2)|; ``cov_riemann``: affine-invariant Riemannian distance between the halves'
    OAS covariances (pyriemann), and ``cov_riemann_per_channel`` the same divided by sqrt(channels).
    """
    from pyriemann.geometry.distance import distance_riemann

    x = _subset(np.asarray(x, float))
    n = x.shape[0] // 2
    if n < 2 or x.shape[1] == 0:
        return {"mean_drift": None, "var_log_ratio": None, "cov_riemann": None, "n_channels_used": 0}
    a, b = x[:n], x[n:2 * n]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((np.nanvar(a, 0) + np.nanvar(b, 0)) / 2)
        ok = sd > 0
        md = float(np.nanmedian(np.abs(np.nanmean(a, 0) - np.nanmean(b, 0))[ok] / sd[ok])) if ok.any() else None
        vr = np.abs(np.log(np.nanvar(a, 0)[ok] / np.nanvar(b, 0)[ok]))
        vlr = float(np.nanmedian(vr)) if vr.size else None
    try:
        d = float(distance_riemann(shrinkage_cov(a), shrinkage_cov(b)))
    except Exception:  # noqa: BLE001 - degenerate covariance: report it as unknown, not a crash
        d = None
    return {"mean_drift": md, "var_log_ratio": vlr, "cov_riemann": d,
            "cov_riemann_per_channel": d / np.sqrt(x.shape[1]) if d is not None else None,
            "n_channels_used": int(x.shape[1]), "method": "split-half, OAS covariance, affine-invariant distance"}


def missing_fraction(x: np.ndarray) -> float:
    """Fraction of samples that are NaN."""
    x = np.asarray(x, float)
    return float(np.isnan(x).mean()) if x.size else 0.0


def artifact_fraction(x: np.ndarray, modality: str, *, z: float = 8.0) -> float | None:
    """Fraction of time points where any channel deviates more than ``z`` robust SDs from its median.

    Robust SD = 1.4826 × MAD per channel. Spike counts are sparse and heavy-tailed by nature: for them
    the summed population count is tested instead of each unit.
    """
    x = np.asarray(x, float)
    if x.size == 0:
        return None
    if modality == "spikes":
        x = np.nansum(x, axis=1, keepdims=True)
    x = _subset(x) if x.shape[1] > 1 else x
    med = np.nanmedian(x, axis=0)
    mad = 1.4826 * np.nanmedian(np.abs(x - med), axis=0)
    mad[~(mad > 0)] = np.inf
    with np.errstate(invalid="ignore"):
        bad = (np.abs(x - med) / mad > z).any(axis=1)
    return float(bad.mean())


def arousal_summary(traces: list, start: float, stop: float, masks: dict[str, Any] | None = None) -> dict[str, Any]:
    """Summary of each behavioural covariate inside ``[start, stop)``: mean, median, SD, 10/90 %, still fraction."""
    out: dict[str, Any] = {"available": [f"{tr.role}:{tr.stream}" for tr in traces]}
    for tr in traces:
        sel = (tr.time >= start) & (tr.time < stop)
        v = tr.value[sel]
        v = v[np.isfinite(v)]
        if v.size == 0:
            out[tr.stream] = {"role": tr.role, "n": 0}
            continue
        s = {"role": tr.role, "units": tr.units, "n": int(v.size), "mean": float(v.mean()),
             "median": float(np.median(v)), "sd": float(v.std()),
             "p10": float(np.percentile(v, 10)), "p90": float(np.percentile(v, 90)), **tr.detail}
        if masks and tr.stream in masks:
            t, m, det = masks[tr.stream]
            msel = (t >= start) & (t < stop)
            if msel.any():
                s["still_fraction"] = float(np.mean(m[msel]))
            s["threshold"] = det.get("threshold")
        out[tr.stream] = s
    return out


_OCCIPITAL = re.compile(r"^(eeg\s*)?(o[12z]|po[z0-9]*|oz|iz|o\d+)$", re.I)


def occipital_alpha_ratio(x: np.ndarray, fs: float, channels: list[str]) -> tuple[float | None, list[str]]:
    """Alpha (8–12 Hz) power over the mean of flanking bands (4–7 and 14–20 Hz) on occipital channels.

    Welch PSD (2-s windows). Uses channels named O1/O2/Oz/POx; falls back to the posterior third
    of the montage order when names are not 10-20 ones. A ratio well above 1 is an alpha peak.
    """
    from scipy.signal import welch

    names = [re.sub(r"[\s\-_]*(ref|a\d-a\d|le|re)$", "", str(c).strip(), flags=re.I) for c in channels]
    idx = [i for i, n in enumerate(names) if _OCCIPITAL.match(n.replace("EEG ", "").replace("eeg ", ""))]
    if not idx:
        return None, []
    seg = x[:, idx]
    seg = seg[np.isfinite(seg).all(axis=1)]
    if fs < 45 or seg.shape[0] < int(4 * fs):
        return None, [channels[i] for i in idx]
    f, p = welch(seg, fs=fs, nperseg=int(2 * fs), axis=0)
    p = p.mean(axis=1)
    band = lambda lo, hi: float(p[(f >= lo) & (f <= hi)].mean())  # noqa: E731
    ratio = band(8, 12) / (0.5 * (band(4, 7) + band(14, 20)))
    return ratio, [channels[i] for i in idx]


def infer_state(x: np.ndarray, *, modality: str, fs: float | None, channels: list[str],
                arousal: dict[str, Any], alpha_threshold: float = 8.0, alpha_refs: list[dict] | None = None,
                relative_factor: float = 1.5,
                still_threshold: float = 0.8) -> tuple[str | None, dict[str, Any]]:
    """The state the data tell: eyes closed/open from occipital alpha (EEG/MEG), still/running from speed.

    Alpha ratios differ a lot between people and montages (eyes-open 3-8, eyes-closed 8-16 on the
    demo and EEGMAT), so when other rest windows of the same session are known (``alpha_refs``:
    dicts with ``label`` and ``alpha_ratio``) the window is compared with them: ≥ ``relative_factor``
    times the lowest → eyes closed; the highest ≥ ``relative_factor`` times this one → eyes open.
    Otherwise the absolute ``alpha_threshold`` decides (less reliable; ``alpha_basis`` says which).
    """
    detail: dict[str, Any] = {}
    if modality in ("eeg", "meg") and fs:
        ratio, used = occipital_alpha_ratio(x, fs, channels)
        if ratio is not None:
            detail.update(alpha_ratio=ratio, alpha_channels=used, alpha_threshold=alpha_threshold,
                          alpha_method="Welch 2 s; 8-12 Hz / mean(4-7, 14-20 Hz)")
            refs = [r for r in (alpha_refs or []) if r.get("alpha_ratio")]
            if refs:
                lo = min(r["alpha_ratio"] for r in refs)
                hi = max(r["alpha_ratio"] for r in refs)
                detail.update(alpha_refs=refs, relative_factor=relative_factor)
                if ratio >= relative_factor * lo:
                    detail["alpha_basis"] = "relative to other rest windows of the session"
                    return "eyes closed (occipital alpha)", detail
                if hi >= relative_factor * ratio:
                    detail["alpha_basis"] = "relative to other rest windows of the session"
                    return "eyes open (no occipital alpha peak)", detail
            detail["alpha_basis"] = "absolute threshold"
            state = "eyes closed (occipital alpha)" if ratio >= alpha_threshold else "eyes open (no occipital alpha peak)"
            return state, detail
    fracs = [v["still_fraction"] for v in arousal.values() if isinstance(v, dict) and "still_fraction" in v
             and v.get("role") in ("speed", "movement")]
    if fracs:
        f = float(min(fracs))
        detail.update(still_fraction=f, still_threshold=still_threshold)
        return ("still" if f >= still_threshold else "running/moving"), detail
    return None, detail
