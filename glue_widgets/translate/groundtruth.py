"""Load the CASCADE ground-truth database (calcium with simultaneous electrophysiological spikes).

The files are MATLAB v5 ``CAttached_*_mini.mat`` (one per neuron, one struct per recording segment)
as in ``github:HelmchenLabSoftware/Cascade``. Local files only: this module never touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, NotFoundError

__all__ = ["GTSegment", "load_cascade_gt", "noise_level", "binned_counts", "binned_rate", "neuron_correlation"]


@dataclass
class GTSegment:
    """One recording segment: ΔF/F at ``fs`` and the spike times (s) on the same clock."""

    dataset: str
    neuron: str
    t: np.ndarray
    dff: np.ndarray
    spikes: np.ndarray
    fs: float


def noise_level(dff: np.ndarray, fs: float) -> float:
    """CASCADE's standardized noise level ν = median|Δ(ΔF/F)|·100/√fs (≈1 very good, >5 poor).

    ``dff`` is ΔF/F as a fraction (0.1 = 10 %), NaNs are ignored.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(noise_level(0.01 * rng.standard_normal(30_000), 30.0), 1)  # white noise σ=1 %
    0.2
    """
    d = np.diff(np.asarray(dff, dtype=float))
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan")
    return float(np.median(np.abs(d)) * 100.0 / np.sqrt(fs))


def load_cascade_gt(root: str | Path, datasets: list[str] | None = None) -> list[GTSegment]:
    """Read every ``DS*/CAttached_*.mat`` under ``root`` into :class:`GTSegment` objects.

    Parameters
    ----------
    root : path
        The ``cascade_gt`` folder (holds ``DS06-...``, ``DS08-...`` subfolders).
    datasets : list of str, optional
        Keep only datasets whose folder name starts with one of these prefixes (e.g. ``["DS09"]``).

    Examples
    --------
    >>> segs = load_cascade_gt("/work/shared/data/cascade_gt", ["DS09"])  # doctest: +SKIP
    """
    import scipy.io as sio

    root = Path(root)
    dirs = sorted(p for p in root.glob("DS*") if p.is_dir())
    if not dirs:
        raise NotFoundError(f"no DS* dataset folders under {str(root)!r}; pass the cascade_gt folder.")
    out: list[GTSegment] = []
    for d in dirs:
        if datasets and not any(d.name.startswith(p) for p in datasets):
            continue
        for f in sorted(d.glob("*.mat")):
            try:
                m = sio.loadmat(f, squeeze_me=True, struct_as_record=False)
                segs = np.atleast_1d(m["CAttached"])
            except Exception as exc:  # scipy raises several types for a bad file
                raise CorruptFileError(f"cannot read ground-truth file {str(f)!r}: {exc}") from exc
            for s in segs:
                # ephys-only segments (DS03 cell5) have no fluorescence: skip them as Cascade does
                if not all(hasattr(s, k) for k in ("fluo_time", "fluo_mean", "events_AP")):
                    continue
                t = np.asarray(s.fluo_time, dtype=float).ravel()
                x = np.asarray(s.fluo_mean, dtype=float).ravel()
                ap = np.atleast_1d(np.asarray(s.events_AP, dtype=float)).ravel() / 1e4
                n = min(t.size, x.size)  # a few files hold a fluo_time shorter than fluo_mean
                t, x = t[:n], x[:n]
                okt = np.isfinite(t)
                if n < 10 or okt.sum() < 2:
                    continue
                if not okt.all():  # NaN frame times: interpolate the clock
                    i = np.arange(n)
                    t = np.interp(i, i[okt], t[okt])
                fs = 1.0 / float(np.nanmedian(np.diff(t)))
                ap = ap[np.isfinite(ap)]
                # spikes outside the imaging window (DS40/DS41) have no calcium to explain them
                ap = ap[(ap >= t[0] - 0.5 / fs) & (ap <= t[-1] + 0.5 / fs)]
                out.append(GTSegment(d.name, f.stem, t, x, np.sort(ap), fs))
    return out


def binned_counts(values: np.ndarray, t: np.ndarray, bin_s: float, t0: float, n_bins: int) -> np.ndarray:
    """Sum per-frame ``values`` (at frame times ``t``) into ``n_bins`` bins of ``bin_s`` from ``t0``."""
    idx = np.floor((t - t0) / bin_s).astype(int)
    ok = (idx >= 0) & (idx < n_bins) & np.isfinite(values)
    return np.bincount(idx[ok], weights=values[ok], minlength=n_bins)[:n_bins]


def binned_rate(values: np.ndarray, t: np.ndarray, fs: float, bin_s: float, t0: float, n_bins: int,
                fine_hz: float = 100.0) -> np.ndarray:
    """Integrate per-frame ``values`` (e.g. spikes per frame) into ``n_bins`` bins of ``bin_s`` from ``t0``.

    Frames slower than ``fine_hz`` are first turned into a rate (``values * fs``), linearly interpolated
    on a ``fine_hz`` grid and summed: a frame that spans several bins spreads over them instead of
    landing in one and leaving the others empty (the spikefinder protocol resamples to a common rate
    for the same reason). Faster frames are summed into their bins directly. NaN counts as 0.
    """
    v = np.where(np.isfinite(values), values, 0.0)
    if fs >= fine_hz:
        return binned_counts(v, t, bin_s, t0, n_bins)
    tf = t0 + (np.arange(int(np.ceil(n_bins * bin_s * fine_hz))) + 0.5) / fine_hz
    dens = np.interp(tf, t, v * fs)
    return binned_counts(dens / fine_hz, tf, bin_s, t0, n_bins)


def neuron_correlation(segments: list[GTSegment], predictions: list[np.ndarray], bin_s: float = 0.04,
                       integrate: bool = True) -> float:
    """Pearson r between predicted and true spikes summed in ``bin_s`` bins, segments of one neuron concatenated.

    Bins that overlap a NaN gap of the calcium trace are dropped (spikefinder protocol). With
    ``integrate`` (default), predictions are integrated as rates (:func:`binned_rate`); otherwise each
    frame's value is added to the bin holding its time stamp.
    """
    P, T = [], []
    for s, p in zip(segments, predictions):
        t0 = s.t[0] - 0.5 / s.fs
        n = int(np.floor((s.t[-1] + 0.5 / s.fs - t0) / bin_s))
        if n < 2:
            continue
        pb = binned_rate(p, s.t, s.fs, bin_s, t0, n) if integrate else binned_counts(p, s.t, bin_s, t0, n)
        gap = binned_counts((~np.isfinite(s.dff) | ~np.isfinite(p)).astype(float), s.t, bin_s, t0, n) > 0
        tb = np.histogram(s.spikes, bins=t0 + bin_s * np.arange(n + 1))[0].astype(float)
        P.append(pb[~gap])
        T.append(tb[~gap])
    if not P:
        return float("nan")
    p, t = np.concatenate(P), np.concatenate(T)
    if p.std() == 0 or t.std() == 0:
        return float("nan")
    return float(np.corrcoef(p, t)[0, 1])
