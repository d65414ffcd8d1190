"""Trace preparation shared by the supervised spike model, the input-units check and the domain check.

A trace is brought to *noise units* at one common rate: resampled to ``rate`` (block-averaged down,
linearly interpolated up), a slow baseline (low percentile in blocks) subtracted, and divided by the
white-noise σ measured on the native frames (scaled to what σ becomes at ``rate``). In those units a
trace does not depend on its input units (ΔF/F fraction or %, raw fluorescence with offset, z-score):
any positive affine change of the input gives the same features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

__all__ = ["resample_trace", "fill_gaps", "robust_sigma", "baseline", "PreparedTrace", "prepare_trace",
           "decay_time", "multires_features", "N_FEATURES"]

_MAD = 0.6745 * np.sqrt(2.0)  # median|Δx| of white noise with σ = 1


def resample_trace(y: np.ndarray, fs: float, rate: float) -> np.ndarray:
    """Resample a finite 1-D trace from ``fs`` to ``rate`` on the grid ``k / rate`` (same start).

    Downsampling first averages over one target frame (anti-aliasing), then interpolates linearly.

    Examples
    --------
    >>> resample_trace(np.arange(10.0), 10.0, 5.0).size
    5
    """
    n = y.size
    if abs(fs - rate) <= 1e-9 * rate:
        return np.array(y, dtype=float)
    t = np.arange(n) / fs
    m = int(np.floor((n - 1) / fs * rate)) + 1
    tn = np.arange(m) / rate
    if fs > rate * 1.05:
        w = max(int(round(fs / rate)), 1)
        y = uniform_filter1d(y, size=w, mode="nearest")
    return np.interp(tn, t, y)


def fill_gaps(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate NaN/inf samples; returns the filled trace and the finite mask."""
    ok = np.isfinite(y)
    if ok.all():
        return y, ok
    idx = np.arange(y.size)
    return np.interp(idx, idx[ok], y[ok]), ok


def robust_sigma(y: np.ndarray) -> float:
    """White-noise σ from the median absolute frame-to-frame difference (robust to transients)."""
    d = np.abs(np.diff(y))
    d = d[np.isfinite(d)]
    return float(np.median(d) / _MAD) if d.size else float("nan")


def baseline(y: np.ndarray, rate: float, block_s: float = 60.0, q: float = 20.0) -> np.ndarray:
    """Slow baseline: the ``q``-th percentile of the lightly smoothed trace in blocks, interpolated."""
    ys = uniform_filter1d(y, size=max(int(round(0.2 * rate)), 1), mode="nearest")
    b = max(int(block_s * rate), 10)
    nb = max(y.size // b, 1)
    size = y.size // nb  # equal blocks (the last few frames, fewer than nb, join no block)
    step = max(int(rate // 8), 1)  # the smoothed trace varies slowly: every few frames is enough
    vals = np.percentile(ys[: nb * size].reshape(nb, size)[:, ::step], q, axis=1)
    if nb == 1:
        return np.full(y.size, vals[0])
    centers = (np.arange(nb) + 0.5) * size
    return np.interp(np.arange(y.size), centers, vals)


@dataclass
class PreparedTrace:
    """A trace at the common rate in noise units, with what was measured on the way."""

    z: np.ndarray          # (n_rate,) baseline-subtracted, in units of the native noise σ (scaled to rate)
    sigma: float           # native white-noise σ (input units)
    sigma_rate: float      # σ after resampling to ``rate`` (input units)
    fs: float              # native frame rate
    rate: float


def prepare_trace(y: np.ndarray, fs: float, rate: float) -> PreparedTrace:
    """Resample a finite trace to ``rate``, subtract its slow baseline, divide by its noise σ."""
    sig = robust_sigma(y)
    yr = resample_trace(y, fs, rate)
    # block averaging of w native frames divides white noise by √w; interpolation up keeps it
    sig_r = sig * np.sqrt(min(1.0, rate / fs))
    if not np.isfinite(sig_r) or sig_r <= 0:
        sig_r = float(np.std(yr)) or 1.0
    z = (yr - baseline(yr, rate)) / sig_r
    return PreparedTrace(z, sig, sig_r, float(fs), float(rate))


def decay_time(z: np.ndarray, rate: float, max_lag_s: float = 1.5) -> float:
    """Decay time constant (s) of the trace's slow component, from its autocovariance at lags ≥ 2 frames.

    White noise only touches lag 0, so a log-linear fit of the autocovariance over lags 2 … where it
    falls to 1/4 of its lag-2 value estimates the indicator's decay (plus the cell's firing correlations).
    Returns NaN when the trace holds no slow component.
    """
    x = z - z.mean()
    n = x.size
    kmax = min(int(max_lag_s * rate), n // 4)
    if kmax < 4:
        return float("nan")
    ac = np.array([x[: n - k] @ x[k:] for k in range(2, kmax + 1)]) / n
    if ac[0] <= 0:
        return float("nan")
    rel = ac / ac[0]
    stop = np.flatnonzero(rel < 0.25)
    m = int(stop[0]) if stop.size else rel.size
    if m < 2:
        return float(0.5 / rate)
    k = np.arange(2, 2 + m)
    slope = np.polyfit(k, np.log(np.clip(rel[:m], 1e-6, None)), 1)[0]
    if slope >= 0:
        return float(max_lag_s * 4)
    return float(-1.0 / (slope * rate))


# multi-resolution window around frame i (at the common rate): single frames near i, block means further out
_SINGLE = np.arange(-6, 9)                                # 15 single taps
_BLOCKS = [(-14, -7), (9, 12), (13, 16), (17, 21), (22, 27), (28, 35), (36, 50)]  # inclusive offsets
N_FEATURES = _SINGLE.size + len(_BLOCKS) + 2               # + log frame rate + log decay time
PAD = 50


def multires_features(z: np.ndarray, fs: float, tau: float, compress: float = 4.0) -> np.ndarray:
    """Feature rows ``(n, N_FEATURES)`` (float32): compressed noise-unit window + frame rate + decay time.

    ``asinh(z / compress)`` keeps small transients linear and large bursts on a log scale.
    """
    n = z.size
    zc = np.arcsinh(np.pad(np.asarray(z, np.float32), (PAD, PAD), mode="edge") / np.float32(compress))
    cs = np.concatenate([[0.0], np.cumsum(zc, dtype=np.float64)])
    out = np.empty((N_FEATURES, n), np.float32)  # feature-major: contiguous writes, and the MLP multiplies W.T @ out
    for j, o in enumerate(_SINGLE):
        out[j] = zc[PAD + o: PAD + o + n]
    for j, (a, b) in enumerate(_BLOCKS):
        out[_SINGLE.size + j] = (cs[PAD + b + 1: PAD + b + 1 + n] - cs[PAD + a: PAD + a + n]) / (b - a + 1)
    out[-2] = np.log(fs)
    out[-1] = np.log(np.clip(tau if np.isfinite(tau) else 1.0, 0.05, 5.0))
    out = out.T  # (n, N_FEATURES) view
    return out
