"""Baseline-vs-baseline comparison (Spon.1 vs Spon.2) and baseline-corrected task effects (Δ1 vs Δ2).

A task difference measured against two different baselines means little until the baselines
themselves are compared. Two rest segments are cut into equal blocks; distances between blocks of
different segments are set against distances between blocks of the same segment (the split-half
null). A ratio near 1 (and a permutation p-value that is not small) means "same state".
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Callable

import numpy as np

from ..errors import InvalidInputError
from ..model import as_time_by_channel

__all__ = ["compare_baselines", "baseline_corrected_effects"]


def _channels(x: Any) -> list[str] | None:
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover
        return None
    if isinstance(x, xr.DataArray) and "channel" in x.dims:
        return [str(c) for c in x.channel.values]
    return None


def _shared(segs: list[Any], names: list[str]) -> tuple[list[np.ndarray], list[str] | None]:
    chans = [_channels(s) for s in segs]
    if all(c is not None for c in chans):
        common = [c for c in chans[0] if all(c in set(o) for o in chans[1:])]
        if len(common) < 1:
            raise InvalidInputError(
                f"{' and '.join(names)} share no channel ids ({chans[0][:3]}... vs {chans[1][:3]}...); pass "
                "a shared latent space with projection=... or relabel the channels."
            )
        arrs = [as_time_by_channel(s.sel(channel=common), name=n, allow_nan=True) for s, n in zip(segs, names)]
        return arrs, common
    arrs = [as_time_by_channel(s, name=n, allow_nan=True) for s, n in zip(segs, names)]
    if len({a.shape[1] for a in arrs}) != 1:
        raise InvalidInputError(
            f"{' and '.join(names)} have {[a.shape[1] for a in arrs]} channels; without channel ids they must "
            "match. Pass DataArrays with channel ids, or a shared projection."
        )
    return arrs, None


def _fs(x: Any, fs: float | None) -> float | None:
    if fs is not None:
        return float(fs)
    return float(x.attrs["fs"]) if hasattr(x, "attrs") and x.attrs.get("fs") else None


def _regress_out(xs: list[np.ndarray], cs: list[Any]) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Remove arousal covariates by one pooled OLS fit with a separate intercept per segment."""
    cs = [as_time_by_channel(c, name=f"covariates_{i}") for i, c in enumerate(cs)]
    for x, c, i in zip(xs, cs, range(len(xs))):
        if c.shape[0] != x.shape[0]:
            raise InvalidInputError(
                f"covariates for segment {i} have {c.shape[0]} samples but the segment has {x.shape[0]}; "
                "resample them onto the segment's time axis first."
            )
    if len({c.shape[1] for c in cs}) != 1:
        raise InvalidInputError("covariates of both segments must have the same columns.")
    k = len(xs)
    design = np.vstack([np.hstack([c, np.tile(np.eye(k)[i], (c.shape[0], 1))]) for i, c in enumerate(cs)])
    y = np.vstack(xs)
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    res = y - design @ beta
    ss = ((y - y.mean(0)) ** 2).sum(0)
    r2 = 1 - ((res - res.mean(0)) ** 2).sum(0) / np.where(ss > 0, ss, 1)
    out, i0 = [], 0
    for x in xs:
        out.append(res[i0:i0 + x.shape[0]])
        i0 += x.shape[0]
    return out, {"n_covariates": int(cs[0].shape[1]), "median_r2_removed": float(np.median(r2)),
                 "method": "pooled OLS, one intercept per segment"}


def _blocks(x: np.ndarray, n_blocks: int, length: int) -> list[np.ndarray]:
    starts = np.linspace(0, x.shape[0] - length, n_blocks).astype(int)
    return [x[s:s + length] for s in starts]


def _perm_test(D: np.ndarray, n: int) -> tuple[float, float, float, float]:
    """Between/within means, their ratio and the exact permutation p-value over block labellings."""
    idx = np.arange(2 * n)

    def stat(ga: tuple[int, ...]) -> tuple[float, float]:
        a = np.zeros(2 * n, bool)
        a[list(ga)] = True
        between = D[np.ix_(a, ~a)].mean()
        wa = D[np.ix_(a, a)][np.triu_indices(n, 1)]
        wb = D[np.ix_(~a, ~a)][np.triu_indices(n, 1)]
        return float(between), float(np.concatenate([wa, wb]).mean())

    b0, w0 = stat(tuple(range(n)))
    obs = b0 - w0
    null = [np.subtract(*stat(g)) for g in combinations(idx, n) if 0 in g]  # each split once
    p = float(np.mean(np.asarray(null) >= obs - 1e-12))
    return b0, w0, b0 / w0 if w0 > 0 else float("inf"), p


def compare_baselines(
    seg_a: Any,
    seg_b: Any,
    *,
    projection: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
    n_components: int | None = None,
    covariates_a: Any = None,
    covariates_b: Any = None,
    n_blocks: int = 4,
    fs: float | None = None,
    spectral: bool = True,
    fmax: float | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """How far apart two rest states are, against the split-half (within-segment) null.

    Each segment is cut into ``n_blocks`` equal blocks (length set by the shorter segment). For
    every pair of blocks two distances are computed: the affine-invariant Riemannian distance
    between OAS-shrinkage covariances (pyriemann), and the RMS difference of log10 Welch spectra.
    ``ratio`` = mean between-segment distance / mean within-segment distance (≈ 1 for one state);
    ``p_value`` is the exact permutation test over block labellings (smallest p = 1/C(2n-1, n-1)).

    Parameters
    ----------
    seg_a, seg_b : DataArray or array (time × channels)
        Rest segments. DataArrays are matched on shared channel ids.
    projection : array (channels × k) or callable, optional
        Map both segments into a shared latent space first (e.g. an aligner's loading matrix).
    n_components : int, optional
        Compare in a shared latent space of this many principal components, fitted on both segments
        pooled (each channel z-scored with pooled statistics). For spike counts this keeps the
        population's shared fluctuations and drops most of the private Poisson noise that otherwise
        dominates the channel covariance. Ignored when ``projection`` is given.
    covariates_a, covariates_b : array (time × m), optional
        Arousal covariates (pupil, speed) on each segment's time axis; regressed out (pooled OLS).
    n_blocks : int
        Blocks per segment (4 gives 35 labellings; p ≥ 1/35).
    fs : float, optional
        Sampling rate for the spectra (default ``attrs["fs"]``); without it spectra are skipped.
    spectral : bool
        Also compare spectra.
    alpha : float
        Level for ``different`` (p < alpha).

    Returns
    -------
    dict
        ``covariance`` and ``spectral`` (each: ``distance`` between whole segments where defined,
        ``between``, ``within``, ``ratio``, ``p_value``, ``different``), ``n_channels``,
        ``channels``, ``settings`` (everything used) and ``arousal_regression`` when covariates were given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = compare_baselines(rng.normal(size=(4000, 5)), rng.normal(size=(4000, 5)), fs=100.0)
    >>> 0.7 < r["covariance"]["ratio"] < 1.3
    True
    """
    from pyriemann.geometry.distance import distance_riemann
    from .quality import shrinkage_cov

    if isinstance(n_blocks, bool) or not isinstance(n_blocks, (int, np.integer)) or n_blocks < 2:
        raise InvalidInputError(f"n_blocks={n_blocks!r} must be an integer ≥ 2 (the split-half null needs blocks).")
    f = _fs(seg_a, fs)
    fb = _fs(seg_b, fs)
    if f is not None and fb is not None and abs(f - fb) > 1e-6 * f:
        raise InvalidInputError(f"seg_a is sampled at {f} Hz and seg_b at {fb} Hz; resample one so they match.")
    (xa, xb), common = _shared([seg_a, seg_b], ["seg_a", "seg_b"])
    keep_rows = [np.isfinite(x).all(axis=1) for x in (xa, xb)]
    settings: dict[str, Any] = {"n_blocks": n_blocks, "shrinkage": "OAS (sklearn)", "metric": "affine-invariant Riemannian",
                                "null": "split-half: within-segment block distances; exact permutation over block labels",
                                "fs": f, "projection": None if projection is None else "given"}
    regression = None
    if (covariates_a is None) != (covariates_b is None):
        raise InvalidInputError("pass covariates for both segments (covariates_a and covariates_b) or neither.")
    if covariates_a is not None:
        ca = as_time_by_channel(covariates_a, name="covariates_a")[keep_rows[0]]
        cb = as_time_by_channel(covariates_b, name="covariates_b")[keep_rows[1]]
        xa, xb = xa[keep_rows[0]], xb[keep_rows[1]]
        (xa, xb), regression = _regress_out([xa, xb], [ca, cb])
    else:
        xa, xb = xa[keep_rows[0]], xb[keep_rows[1]]
    # channels constant in both segments carry no covariance information
    good = (xa.std(0) > 0) | (xb.std(0) > 0)
    xa, xb = xa[:, good], xb[:, good]
    if projection is not None:
        if callable(projection):
            xa, xb = np.asarray(projection(xa), float), np.asarray(projection(xb), float)
        else:
            W = np.asarray(projection, float)[good] if np.asarray(projection).shape[0] == good.size else np.asarray(projection, float)
            if W.shape[0] != xa.shape[1]:
                raise InvalidInputError(f"projection has {W.shape[0]} rows but the segments have {xa.shape[1]} channels.")
            xa, xb = xa @ W, xb @ W
    elif n_components is not None:
        k = int(n_components)
        if k < 1 or k > xa.shape[1]:
            raise InvalidInputError(f"n_components={n_components!r} must be between 1 and the {xa.shape[1]} shared channels.")
        pooled = np.vstack([xa, xb])
        mu, sd = pooled.mean(0), pooled.std(0)
        sd[sd == 0] = 1.0
        _, _, vt = np.linalg.svd((pooled - mu) / sd, full_matrices=False)
        W = vt[:k].T
        xa, xb = ((xa - mu) / sd) @ W, ((xb - mu) / sd) @ W
        settings["projection"] = f"top {k} principal components of both segments pooled (z-scored)"
    length = min(xa.shape[0], xb.shape[0]) // n_blocks
    if length < max(10, xa.shape[1] // 4):
        raise InvalidInputError(
            f"segments of {xa.shape[0]} and {xb.shape[0]} samples give blocks of {length} samples for "
            f"{xa.shape[1]} channels; use longer segments, fewer blocks (n_blocks) or fewer channels."
        )
    settings["block_samples"] = int(length)
    if f:
        settings["block_s"] = length / f
    blocks = _blocks(xa, n_blocks, length) + _blocks(xb, n_blocks, length)
    covs = [shrinkage_cov(b) for b in blocks]
    m = 2 * n_blocks
    D = np.zeros((m, m))
    for i, j in combinations(range(m), 2):
        D[i, j] = D[j, i] = distance_riemann(covs[i], covs[j])
    b, w, ratio, p = _perm_test(D, n_blocks)
    out: dict[str, Any] = {
        "covariance": {"distance": float(distance_riemann(shrinkage_cov(xa), shrinkage_cov(xb))),
                       "between": b, "within": w, "ratio": ratio, "p_value": p, "different": p < alpha},
        "n_channels": int(xa.shape[1]),
        "channels": None if common is None or projection is not None else [c for c, g in zip(common, good) if g],
        "settings": settings,
    }
    if spectral and f:
        from scipy.signal import welch
        nper = int(min(length, max(16, 2 ** int(np.log2(max(16, 2 * f))))))
        fmax_ = float(fmax) if fmax else f / 2
        specs = []
        for blk in blocks:
            fr, p_ = welch(blk, fs=f, nperseg=nper, axis=0)
            sel = (fr > 0) & (fr <= fmax_)
            specs.append(np.log10(p_[sel] + 1e-20))
        S = np.zeros((m, m))
        for i, j in combinations(range(m), 2):
            S[i, j] = S[j, i] = float(np.sqrt(np.mean((specs[i] - specs[j]) ** 2)))
        sb, sw, sratio, sp = _perm_test(S, n_blocks)
        out["spectral"] = {"between": sb, "within": sw, "ratio": sratio, "p_value": sp, "different": sp < alpha,
                           "settings": {"welch_nperseg": nper, "fmax": fmax_, "distance": "RMS of log10 PSD difference"}}
    if regression is not None:
        out["arousal_regression"] = regression
    out["different"] = bool(out["covariance"]["different"] or out.get("spectral", {}).get("different", False))
    return out


def _effect(task: np.ndarray, rest: np.ndarray) -> dict[str, np.ndarray]:
    sd = rest.std(0)
    sd[~(sd > 0)] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"mean": (task.mean(0) - rest.mean(0)) / sd,
                "logvar": np.log(task.var(0)) - np.log(rest.var(0))}


def baseline_corrected_effects(
    task_a: Any, rest_a: Any, task_b: Any, rest_b: Any, *, alpha: float = 0.05, max_ratio: float = 1.5,
    **compare_kw: Any,
) -> dict[str, Any]:
    """Task effects Δ1 = task_a − rest_a and Δ2 = task_b − rest_b, and whether Δ1 vs Δ2 means anything.

    Each Δ is per channel: the change of the mean in units of the baseline SD, and the change of
    log-variance. Δ1 vs Δ2 is called interpretable when the two baselines are not distinguishable:
    ``compare_baselines(rest_a, rest_b)`` has covariance ratio ≤ ``max_ratio`` and p ≥ ``alpha``.

    Returns
    -------
    dict
        ``delta1``, ``delta2``, ``difference`` (per channel arrays), ``summary`` (mean |Δ|),
        ``baselines`` (the compare_baselines result), ``interpretable`` (bool) and ``reason``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> r = baseline_corrected_effects(rng.normal(1, 1, (2000, 3)), rng.normal(size=(2000, 3)),
    ...                                rng.normal(1, 1, (2000, 3)), rng.normal(size=(2000, 3)))
    >>> bool(r["interpretable"])
    True
    """
    arrs, common = _shared([task_a, rest_a, task_b, rest_b], ["task_a", "rest_a", "task_b", "rest_b"])
    ta, ra, tb, rb = [a[np.isfinite(a).all(1)] for a in arrs]
    d1, d2 = _effect(ta, ra), _effect(tb, rb)
    diff = {k: d1[k] - d2[k] for k in d1}
    base = compare_baselines(rest_a, rest_b, alpha=alpha, **compare_kw)
    c = base["covariance"]
    ok = c["ratio"] <= max_ratio and c["p_value"] >= alpha
    reason = (f"baselines indistinguishable (covariance ratio {c['ratio']:.2f} ≤ {max_ratio}, p = {c['p_value']:.3f} ≥ {alpha})"
              if ok else
              f"baselines differ (covariance ratio {c['ratio']:.2f}, p = {c['p_value']:.3f}): Δ1 and Δ2 are measured "
              "from different reference states, so their difference mixes task and baseline effects")
    summ = {f"mean_abs_{k}_{n}": float(np.nanmean(np.abs(v))) for n, d in (("delta1", d1), ("delta2", d2),
                                                                         ("difference", diff)) for k, v in d.items()}
    naive = _effect(ta, tb)
    summ["mean_abs_mean_naive_task_a_vs_task_b"] = float(np.nanmean(np.abs(naive["mean"])))
    return {"delta1": d1, "delta2": d2, "difference": diff, "channels": common, "summary": summ,
            "baselines": base, "interpretable": bool(ok), "reason": reason,
            "settings": {"effect": "mean change / baseline SD; log-variance change", "alpha": alpha,
                         "max_ratio": max_ratio}}
