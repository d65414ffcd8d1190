"""What units a calcium trace is in, and how to bring it to ΔF/F (fraction).

Kinds (the ``units`` argument of :func:`~glue_widgets.translate.infer_spikes`):

- ``"dff"``: ΔF/F as a fraction (0.1 = 10 %), baseline near 0.
- ``"percent"``: ΔF/F in % (10 = 10 %): divided by 100.
- ``"raw"``: raw fluorescence with its offset (all values well above 0, or F/F0 ratios around 1):
  ``(F - F0) / F0`` with F0 the trace's baseline (20th percentile of the lightly smoothed trace).
- ``"zscore"``: z-scored or otherwise normalized traces (mean 0 and SD 1, or rescaled to [0, 1]):
  the ΔF/F scale is lost; the trace is kept as it is. The supervised model works in units of each
  trace's own noise, so its output does not depend on the scale; noise-level (ν) checks are skipped.

Detection (``"auto"``) looks at the median, over traces, of: mean and SD (z-score), the 1st percentile
against the baseline (raw fluorescence keeps every value above about half its baseline, a ΔF/F trace
dips below 0 with its noise), and the noise level ν computed as if the trace were a fraction
(ν = median|Δx|·100/√fs; ν above 20, or transients above 10, mean %).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError
from .spike_features import robust_sigma

__all__ = ["UNIT_KINDS", "trace_unit_stats", "detect_units", "to_dff"]

UNIT_KINDS = ("auto", "dff", "percent", "raw", "zscore")


def trace_unit_stats(y: np.ndarray, fs: float) -> dict[str, float]:
    """Statistics of one finite trace that tell its units apart (see the module docstring)."""
    y = np.asarray(y, float)
    k = max(int(round(0.2 * fs)), 1)
    ys = np.convolve(y, np.ones(k) / k, mode="valid") if y.size > k else y
    f0 = float(np.percentile(ys, 20))
    sig = robust_sigma(y)
    return dict(mean=float(y.mean()), sd=float(y.std()), f0=f0, p1=float(np.percentile(y, 1)),
                p99=float(np.percentile(y, 99)), min=float(y.min()), max=float(y.max()), sigma=sig,
                nu_as_fraction=float(sig * 0.6745 * np.sqrt(2) * 100 / np.sqrt(fs)))


def detect_units(traces: np.ndarray, fs: float) -> tuple[str, dict[str, float]]:
    """Guess the units of finite traces ``(cells, time)``: one of ``dff, percent, raw, zscore``.

    Returns the kind and the median statistics it was decided on.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dff = 0.02 * rng.standard_normal((3, 3000))
    >>> detect_units(dff, 30.0)[0], detect_units(100 * dff, 30.0)[0], detect_units(500 * (1 + dff), 30.0)[0]
    ('dff', 'percent', 'raw')
    """
    traces = np.atleast_2d(np.asarray(traces, float))
    # units belong to the recording: up to 16 traces spread over the array, each up to 10 minutes, tell
    pick = np.unique(np.linspace(0, traces.shape[0] - 1, min(16, traces.shape[0])).astype(int))
    st = [trace_unit_stats(traces[i, : int(600 * fs) + 1], fs) for i in pick]
    med = {k: float(np.median([s[k] for s in st])) for k in st[0]}
    zs = np.mean([abs(s["mean"]) < 0.05 and abs(s["sd"] - 1) < 0.05 for s in st])
    unit01 = np.mean([abs(s["min"]) < 1e-9 and abs(s["max"] - 1) < 1e-9 for s in st])
    if zs > 0.5 or unit01 > 0.5:
        return "zscore", med
    if med["f0"] > 0 and med["p1"] > 0.5 * med["f0"] and med["f0"] > 5 * med["sigma"]:
        return "raw", med
    if med["nu_as_fraction"] > 20 or (med["p99"] - med["f0"]) > 10:
        return "percent", med
    return "dff", med


def to_dff(traces: np.ndarray, kind: str, fs: float) -> tuple[np.ndarray, dict]:
    """Convert finite traces ``(cells, time)`` of a known ``kind`` to ΔF/F; returns them and what was done."""
    traces = np.atleast_2d(np.asarray(traces, float))
    if kind == "dff":
        return traces, dict(conversion="none (ΔF/F fraction)")
    if kind == "percent":
        return traces / 100.0, dict(conversion="ΔF/F % divided by 100")
    if kind == "raw":
        f0 = np.array([trace_unit_stats(y, fs)["f0"] for y in traces])
        if (f0 <= 0).any():
            bad = int(np.flatnonzero(f0 <= 0)[0])
            raise InvalidInputError(
                f"units='raw' but trace {bad} has a baseline F0={f0[bad]:.3g} <= 0; raw fluorescence must "
                "be positive (subtract no background beyond the offset), or pass units='dff'/'zscore'.")
        return (traces - f0[:, None]) / f0[:, None], dict(
            conversion="(F - F0) / F0, F0 = 20th percentile of each trace (0.2-s smoothed)",
            f0_median=float(np.median(f0)))
    if kind == "zscore":
        return traces, dict(conversion="none: normalized trace, ΔF/F scale unknown (model works in noise units)")
    raise InvalidInputError(f"units={kind!r} is not known; use one of {UNIT_KINDS}.")
