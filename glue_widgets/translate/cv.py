"""Cross-validation helpers for time series: contiguous blocks, never shuffled (autocorrelation leaks)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InvalidInputError
from .ridge import relative_penalty, solve_ridge

__all__ = ["blocked_folds", "r2_per_target", "block_bootstrap_r2", "mean_r2", "best_penalty"]


def blocked_folds(n: int, n_splits: int, gap: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Contiguous K-fold splits of ``n`` samples; ``gap`` samples either side of the test block are dropped
    from training so autocorrelated neighbours do not leak into it."""
    if n_splits < 2 or n < 2 * n_splits:
        raise InvalidInputError(f"cannot make {n_splits} blocked folds from {n} samples; use fewer folds.")
    edges = np.linspace(0, n, n_splits + 1).astype(int)
    idx = np.arange(n)
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        test = idx[a:b]
        train = idx[(idx < a - gap) | (idx >= b + gap)]
        out.append((train, test))
    return out


def r2_per_target(y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    """Coefficient of determination of each column (1 − SSE/SST around the column's own mean)."""
    sse = ((y - yhat) ** 2).sum(0)
    sst = ((y - y.mean(0)) ** 2).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sst > 0, 1.0 - sse / sst, np.nan)


def mean_r2(y: np.ndarray, yhat: np.ndarray) -> float:
    """Mean R² over the targets that vary (NaN when none does), without a warning."""
    r2 = r2_per_target(y, yhat)
    return float(np.mean(r2[np.isfinite(r2)])) if np.isfinite(r2).any() else float("nan")


def best_penalty(scores: Sequence[float], penalties: Sequence[float]) -> int:
    """Index of the best CV score; the largest penalty when no score is finite (constant targets)."""
    scores = np.asarray(scores, float)
    if np.isfinite(scores).any():
        return int(np.nanargmax(scores))
    return int(np.argmax(np.asarray(penalties, float)))


def block_bootstrap_r2(y: np.ndarray, preds: dict, n_blocks: int = 24, n_boot: int = 2000,
                       seed: int = 0) -> dict:
    """Bootstrap over contiguous time blocks of the mean-over-channels R² of several predictions of ``y``.

    The test recording is cut into ``n_blocks`` contiguous blocks; each replicate draws blocks with
    replacement (the same draw for every prediction, so differences between methods are paired) and
    recomputes R² per channel (SST around the replicate's own mean), averaged over channels.
    Autocorrelation within a block is kept, so the spread is honest for time series.

    Returns ``{name: (n_boot,) replicates}``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal((2400, 3))
    >>> reps = block_bootstrap_r2(y, {"good": y + 0.5 * rng.standard_normal(y.shape), "zero": 0 * y})
    >>> bool(np.percentile(reps["good"] - reps["zero"], 2.5) > 0)
    True
    """
    y = np.asarray(y, float)
    if y.ndim != 2 or len(y) < 2 * n_blocks:
        raise InvalidInputError(f"y {y.shape} must be (time, channel) with at least {2 * n_blocks} samples.")
    edges = np.linspace(0, len(y), n_blocks + 1).astype(int)
    cut = lambda a: np.stack([a[i:j].sum(0) for i, j in zip(edges[:-1], edges[1:])])  # noqa: E731
    nb = np.diff(edges).astype(float)
    sy, syy = cut(y), cut(y**2)
    W = np.random.default_rng(seed).multinomial(n_blocks, np.full(n_blocks, 1.0 / n_blocks), size=n_boot).astype(float)
    N = W @ nb
    sst = W @ syy - (W @ sy) ** 2 / N[:, None]
    out = {}
    for name, p in preds.items():
        p = np.asarray(p, float)
        if p.shape != y.shape:
            raise InvalidInputError(f"prediction {name!r} has shape {p.shape}, y {y.shape}.")
        sse = W @ cut((y - p) ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.nanmean(np.where(sst > 0, 1 - sse / sst, np.nan), axis=1)
    return out


class BlockStats:
    """Sufficient statistics (n, Σx, Σy, XᵀX, XᵀY) of contiguous blocks, so that ridge fits on any
    union of blocks cost O(p²q) instead of a pass over the data (fast blocked CV on long recordings)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, n_splits: int):
        self.edges = np.linspace(0, X.shape[0], n_splits + 1).astype(int)
        self.blocks = []
        for a, b in zip(self.edges[:-1], self.edges[1:]):
            x, y = X[a:b], Y[a:b]
            self.blocks.append((b - a, x.sum(0), y.sum(0), x.T @ x, x.T @ y))

    def fold(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(train_idx, test_idx) of fold ``i``."""
        a, b = self.edges[i], self.edges[i + 1]
        n = self.edges[-1]
        idx = np.arange(n)
        return np.r_[idx[:a], idx[b:]], idx[a:b]

    def ridge(self, exclude: int | None, alpha_rel: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ridge (B, intercept, centred XᵀX) on every block but ``exclude``; α relative to tr(XᵀX_c)."""
        keep = [s for j, s in enumerate(self.blocks) if j != exclude]
        n = sum(s[0] for s in keep)
        sx = sum(s[1] for s in keep)
        sy = sum(s[2] for s in keep)
        mx, my = sx / n, sy / n
        xx = sum(s[3] for s in keep) - n * np.outer(mx, mx)
        xy = sum(s[4] for s in keep) - n * np.outer(mx, my)
        B = solve_ridge(xx, xy, relative_penalty(alpha_rel, np.trace(xx)))
        return B, my - mx @ B, xx
