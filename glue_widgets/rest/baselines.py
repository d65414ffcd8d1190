"""Baseline-vs-baseline comparison (Spon.1 vs Spon.2) and baseline-corrected task effects (Δ1 vs Δ2).

A task difference measured against two different baselines means little until the baselines
themselves are compared. Each rest segment is cut into many equal blocks (8-20 per segment by
default); distances between blocks of different segments are set against distances between blocks
of the same segment, and the difference is tested by permuting block labels (2000 random
relabellings, so the smallest p is about 1/2000 and no single block swaps the verdict).

**One rule for "same state"** (used by :func:`compare_baselines` and :func:`baseline_corrected_effects`):
a test (covariance or spectral) calls the states different when its Holm-corrected p-value is below
``alpha`` AND its effect size, the between/within distance ratio, reaches ``min_ratio``. The
segments are "different" when any test does; otherwise they are the same state.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import InvalidInputError
from ..model import as_time_by_channel
from .baseline_input import read_segment, spectral_band

__all__ = ["compare_baselines", "baseline_corrected_effects", "same_state_rule", "DEFAULT_MIN_RATIO"]

DEFAULT_MIN_RATIO = 1.2  # effect-size floor (between/within distance ratio): the smallest with <= 3 % false alarms on the tuning half of benchmarks/bench_baselines.py


def same_state_rule(alpha: float, min_ratio: float) -> str:
    """The rule, in words, as every result states it."""
    return (f"different when, for the covariance or the spectral test, the Holm-corrected permutation p < {alpha:g} "
            f"AND the between/within distance ratio >= {min_ratio:g}; otherwise the same state")


def _shared(parts: list[dict[str, Any]], names: list[str]) -> tuple[list[np.ndarray], list[str] | None]:
    chans = [p["channels"] for p in parts]
    if all(c is not None for c in chans):
        common = [c for c in chans[0] if all(c in set(o) for o in chans[1:])]
        if len(common) < 1:
            raise InvalidInputError(
                f"{' and '.join(names)} share no channel ids ({chans[0][:3]}... vs {chans[1][:3]}...); pass "
                "a shared latent space with projection=... or relabel the channels.")
        arrs = [p["data"][:, [c.index(k) for k in common]] for p, c in zip(parts, chans)]
        return arrs, common
    arrs = [p["data"] for p in parts]
    if len({a.shape[1] for a in arrs}) != 1:
        raise InvalidInputError(
            f"{' and '.join(names)} have {[a.shape[1] for a in arrs]} channels; without channel ids they must "
            "match. Pass DataArrays with channel ids, or a shared projection.")
    return arrs, None


def _regress_out(xs: list[np.ndarray], cs: list[Any]) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Remove arousal covariates by one pooled OLS fit with a separate intercept per segment."""
    for x, c, i in zip(xs, cs, range(len(xs))):
        if c.shape[0] != x.shape[0]:
            raise InvalidInputError(
                f"covariates for segment {i} have {c.shape[0]} samples but the segment has {x.shape[0]}; "
                "resample them onto the segment's time axis first.")
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


def _perm_test(D: np.ndarray, n: int, n_perm: int, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """Between/within mean distances, their ratio and the permutation p-value of (between - within)."""
    obs_lab = np.r_[np.ones(n), np.zeros(n)]
    labs = np.vstack([obs_lab] + [rng.permutation(obs_lab) for _ in range(n_perm)])  # (1 + perm, 2n)
    a, b = labs, 1.0 - labs
    between = np.einsum("pi,ij,pj->p", a, D, b) / (n * n)
    within = (np.einsum("pi,ij,pj->p", a, D, a) + np.einsum("pi,ij,pj->p", b, D, b)) / (2 * n * (n - 1))
    stat = between - within
    p = float(np.mean(stat >= stat[0] - 1e-12))  # observed labelling counted in the null
    b0, w0 = float(between[0]), float(within[0])
    return b0, w0, (b0 / w0 if w0 > 0 else float("inf")), p


def _holm(ps: dict[str, float]) -> dict[str, float]:
    keys = sorted(ps, key=ps.get)
    out, run = {}, 0.0
    for i, k in enumerate(keys):
        run = max(run, min(1.0, (len(keys) - i) * ps[k]))
        out[k] = run
    return out


def compare_baselines(
    seg_a: Any,
    seg_b: Any,
    *,
    projection: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
    n_components: int | None = None,
    covariates_a: Any = None,
    covariates_b: Any = None,
    n_blocks: int | None = None,
    fs: float | None = None,
    spectral: bool = True,
    fmin: float | None = None,
    fmax: float | None = None,
    alpha: float = 0.05,
    min_ratio: float = DEFAULT_MIN_RATIO,
    n_perm: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """How far apart two rest states are, against the within-segment (split-block) null.

    Each segment is cut into ``n_blocks`` equal blocks (length set by the shorter segment). For every
    pair of blocks two distances are computed: the affine-invariant Riemannian distance between
    OAS-shrinkage covariances (pyriemann), and the RMS difference of log10 Welch spectra inside the
    band the recording carries. ``ratio`` = mean between-segment / mean within-segment distance
    (≈ 1 for one state); ``p_value`` from ``n_perm`` random relabellings of the blocks; the two p-values
    are Holm-corrected. Same-state rule: see :func:`same_state_rule` (stated in ``result["rule"]``).

    Parameters
    ----------
    seg_a, seg_b : DataArray, array, MNE Raw/Epochs, or a list of pieces
        Rest segments. DataArrays are read by their dims and matched on shared channel ids; MNE
        objects give data channels, ``fs`` and the filter band; a bare 2-D array with more rows than
        columns is (time, channel), with at least twice as many columns as rows (channel, time);
        near-square bare arrays are refused (wrap them in a DataArray). 1-D = one channel. A list
        of pieces (e.g. ten 23.6-s single-channel segments) is concatenated in time.
    projection : array (channels × k) or callable, optional
        Map both segments into a shared latent space first (e.g. an aligner's loading matrix).
    n_components : int, optional
        Compare in the top principal components of both segments pooled (channels z-scored).
    covariates_a, covariates_b : array (time × m), optional
        Arousal covariates on each segment's time axis; regressed out (pooled OLS).
    n_blocks : int, optional
        Blocks per segment; default: as many as give blocks of ≥ 2 s (≥ 64 samples without fs) and
        ≥ 10 samples per channel, between 8 and 20.
    fs : float, optional
        Sampling rate (default from attrs / MNE info). Without it spectra use normalized frequency.
    spectral : bool
        Also compare spectra.
    fmin, fmax : float, optional
        Spectral band (Hz). Default: the recording's highpass/lowpass metadata; else for EEG
        0.5 Hz to min(Nyquist, 45 Hz); other modalities up to Nyquist.
    alpha : float
        Significance level after Holm correction over the tests run.
    min_ratio : float
        Effect-size floor: a test calls "different" only when its between/within ratio reaches it.
    n_perm : int
        Random block relabellings for the null.
    seed : int
        Seed of the relabellings.

    Returns
    -------
    dict
        ``different`` (bool), ``same_state`` (its negation), ``rule`` (the rule in words),
        ``covariance`` and ``spectral`` (each: ``between``, ``within``, ``ratio``, ``p_value``,
        ``p_holm``, ``different``; covariance also ``distance`` between whole segments),
        ``n_channels``, ``channels``, ``settings`` (everything used), ``arousal_regression`` when given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = compare_baselines(rng.normal(size=(4000, 5)), rng.normal(size=(4000, 5)), fs=100.0)
    >>> 0.7 < r["covariance"]["ratio"] < 1.3 and r["same_state"]
    True
    """
    from pyriemann.geometry.distance import distance_riemann
    from .quality import shrinkage_cov

    if n_blocks is not None and (isinstance(n_blocks, bool) or not isinstance(n_blocks, (int, np.integer))
                                 or n_blocks < 2):
        raise InvalidInputError(f"n_blocks={n_blocks!r} must be None (automatic) or an integer ≥ 2 (the "
                                "within-segment null needs blocks).")
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 99:
        raise InvalidInputError(f"n_perm={n_perm!r} must be an integer ≥ 99 (p-value resolution 1/(n_perm+1)).")
    if not (isinstance(min_ratio, (int, float)) and min_ratio >= 1.0):
        raise InvalidInputError(f"min_ratio={min_ratio!r} must be a number ≥ 1 (between/within distance ratio).")
    pa, pb = read_segment(seg_a, "seg_a"), read_segment(seg_b, "seg_b")
    f, fb = (float(fs), float(fs)) if fs is not None else (pa["fs"], pb["fs"])
    if f is not None and fb is not None and abs(f - fb) > 1e-6 * f:
        raise InvalidInputError(f"seg_a is sampled at {f} Hz and seg_b at {fb} Hz; resample one so they match.")
    f = f if f is not None else fb
    (xa, xb), common = _shared([pa, pb], ["seg_a", "seg_b"])
    keep_rows = [np.isfinite(x).all(axis=1) for x in (xa, xb)]
    settings: dict[str, Any] = {
        "shrinkage": "OAS (sklearn)", "metric": "affine-invariant Riemannian",
        "null": f"within-segment block distances; {n_perm} random relabellings of the blocks (seed {seed})",
        "correction": "Holm over the tests run", "alpha": alpha, "min_ratio": min_ratio, "fs": f,
        "orientation": {"seg_a": pa["orientation"], "seg_b": pb["orientation"]},
        "projection": None if projection is None else "given"}
    regression = None
    if (covariates_a is None) != (covariates_b is None):
        raise InvalidInputError("pass covariates for both segments (covariates_a and covariates_b) or neither.")
    if covariates_a is not None:
        ca = as_time_by_channel(covariates_a, name="covariates_a")
        cb = as_time_by_channel(covariates_b, name="covariates_b")
        if ca.shape[0] == xa.shape[0] and cb.shape[0] == xb.shape[0]:
            ca, cb = ca[keep_rows[0]], cb[keep_rows[1]]
        xa, xb = xa[keep_rows[0]], xb[keep_rows[1]]
        (xa, xb), regression = _regress_out([xa, xb], [ca, cb])
    else:
        xa, xb = xa[keep_rows[0]], xb[keep_rows[1]]
    good = (xa.std(0) > 0) | (xb.std(0) > 0)  # channels flat in both segments carry nothing
    xa, xb = xa[:, good], xb[:, good]
    if projection is not None:
        if callable(projection):
            xa, xb = np.asarray(projection(xa), float), np.asarray(projection(xb), float)
        else:
            W = np.asarray(projection, float)
            W = W[good] if W.shape[0] == good.size else W
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
    T = min(xa.shape[0], xb.shape[0])
    min_len = max(int(2 * f) if f else 64, 10 * xa.shape[1])
    nb = int(n_blocks) if n_blocks is not None else int(np.clip(T // max(min_len, 1), 8, 20))
    length = T // nb
    if length < max(10, xa.shape[1] // 4):
        raise InvalidInputError(
            f"segments of {xa.shape[0]} and {xb.shape[0]} samples give blocks of {length} samples for "
            f"{xa.shape[1]} channels; use longer segments, fewer blocks (n_blocks) or fewer channels.")
    settings.update({"n_blocks": nb, "block_samples": int(length),
                     "block_rule": "given" if n_blocks is not None else
                     "automatic: blocks of >= 2 s and >= 10 samples per channel, 8 to 20 per segment"})
    if f:
        settings["block_s"] = length / f
    rng = np.random.default_rng(seed)
    blocks = _blocks(xa, nb, length) + _blocks(xb, nb, length)
    covs = [shrinkage_cov(b) for b in blocks]
    m = 2 * nb
    iu = np.triu_indices(m, 1)
    D = np.zeros((m, m))
    D[iu] = [distance_riemann(covs[i], covs[j]) for i, j in zip(*iu)]
    D = D + D.T
    b, w, ratio, p = _perm_test(D, nb, n_perm, rng)
    tests: dict[str, dict[str, Any]] = {
        "covariance": {"distance": float(distance_riemann(shrinkage_cov(xa), shrinkage_cov(xb))),
                       "between": b, "within": w, "ratio": ratio, "p_value": p}}
    if spectral:
        from scipy.signal import welch
        fs_ = f if f else 1.0
        lo, hi, how = spectral_band(f, [pa, pb], fmin, fmax)
        nper = int(min(length, max(16, 2 ** int(np.log2(max(16, 2 * f)))) if f else max(16, length // 8)))
        specs = []
        for blk in blocks:
            fr, p_ = welch(blk, fs=fs_, nperseg=nper, axis=0)
            sel = (fr > 0) & (fr >= lo) & (fr <= hi)
            specs.append(np.log10(p_[sel] + 1e-30))
        S3 = np.stack(specs)
        S = np.sqrt(np.mean((S3[:, None] - S3[None, :]) ** 2, axis=tuple(range(2, S3.ndim + 1))))
        sb, sw, sratio, sp = _perm_test(S, nb, n_perm, rng)
        tests["spectral"] = {"between": sb, "within": sw, "ratio": sratio, "p_value": sp,
                             "settings": {"welch_nperseg": nper, "fmin": lo, "fmax": hi, "band": how,
                                          "n_bins": int(S3.shape[1]),
                                          "distance": "RMS of log10 PSD difference over channels and in-band bins"}}
    holm = _holm({k: v["p_value"] for k, v in tests.items()})
    for k, v in tests.items():
        v["p_holm"] = holm[k]
        v["significant"] = bool(holm[k] < alpha)
        v["large"] = bool(v["ratio"] >= min_ratio)
        v["different"] = bool(v["significant"] and v["large"])
    different = any(v["different"] for v in tests.values())
    out: dict[str, Any] = dict(tests)
    out.update({"different": bool(different), "same_state": not different, "rule": same_state_rule(alpha, min_ratio),
                "n_channels": int(xa.shape[1]),
                "channels": None if common is None or projection is not None else [c for c, g in zip(common, good) if g],
                "settings": settings})
    if regression is not None:
        out["arousal_regression"] = regression
    return out


def _effect(task: np.ndarray, rest: np.ndarray) -> dict[str, np.ndarray]:
    sd = rest.std(0)
    sd[~(sd > 0)] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"mean": (task.mean(0) - rest.mean(0)) / sd,
                "logvar": np.log(task.var(0)) - np.log(rest.var(0))}


def baseline_corrected_effects(
    task_a: Any, rest_a: Any, task_b: Any, rest_b: Any, *, alpha: float = 0.05,
    min_ratio: float = DEFAULT_MIN_RATIO, **compare_kw: Any,
) -> dict[str, Any]:
    """Task effects Δ1 = task_a − rest_a and Δ2 = task_b − rest_b, and whether Δ1 vs Δ2 means anything.

    Each Δ is per channel: the change of the mean in units of the baseline SD, and the change of
    log-variance. Δ1 vs Δ2 is called interpretable when the two baselines are the same state by the
    rule of :func:`compare_baselines` (``same_state_rule``): ``compare_baselines(rest_a, rest_b)``.

    Returns
    -------
    dict
        ``delta1``, ``delta2``, ``difference`` (per channel arrays), ``summary`` (mean |Δ|),
        ``baselines`` (the compare_baselines result), ``interpretable`` (bool), ``reason`` and ``rule``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> r = baseline_corrected_effects(rng.normal(1, 1, (2000, 3)), rng.normal(size=(2000, 3)),
    ...                                rng.normal(1, 1, (2000, 3)), rng.normal(size=(2000, 3)))
    >>> bool(r["interpretable"])
    True
    """
    parts = [read_segment(x, n) for x, n in zip([task_a, rest_a, task_b, rest_b],
                                                ["task_a", "rest_a", "task_b", "rest_b"])]
    arrs, common = _shared(parts, ["task_a", "rest_a", "task_b", "rest_b"])
    ta, ra, tb, rb = [a[np.isfinite(a).all(1)] for a in arrs]
    d1, d2 = _effect(ta, ra), _effect(tb, rb)
    diff = {k: d1[k] - d2[k] for k in d1}
    base = compare_baselines(rest_a, rest_b, alpha=alpha, min_ratio=min_ratio, **compare_kw)
    ok = base["same_state"]
    desc = "; ".join(f"{k} ratio {base[k]['ratio']:.2f}, Holm p = {base[k]['p_holm']:.3g}"
                     for k in ("covariance", "spectral") if k in base)
    reason = (f"baselines indistinguishable ({desc})" if ok else
              f"baselines differ ({desc}): Δ1 and Δ2 are measured from different reference states, so their "
              "difference mixes task and baseline effects")
    summ = {f"mean_abs_{k}_{n}": float(np.nanmean(np.abs(v))) for n, d in (("delta1", d1), ("delta2", d2),
                                                                         ("difference", diff)) for k, v in d.items()}
    naive = _effect(ta, tb)
    summ["mean_abs_mean_naive_task_a_vs_task_b"] = float(np.nanmean(np.abs(naive["mean"])))
    return {"delta1": d1, "delta2": d2, "difference": diff, "channels": common, "summary": summ,
            "baselines": base, "interpretable": bool(ok), "reason": reason, "rule": base["rule"],
            "settings": {"effect": "mean change / baseline SD; log-variance change", "alpha": alpha,
                         "min_ratio": min_ratio}}
