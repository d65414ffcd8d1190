"""Conditional Granger causality of a vector autoregression (numpy least squares, F-tests, BIC order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import xarray as xr
from scipy import stats

from ..errors import InvalidInputError
from ..model.validation import check_positive_int
from ._common import as_2d, node_names, source_target

__all__ = ["granger", "GrangerResult", "select_var_order", "fdr_bh"]


def fdr_bh(p: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Benjamini-Hochberg: boolean mask of rejected hypotheses (NaNs are never rejected)."""
    p = np.asarray(p, float)
    flat = p.ravel()
    ok = np.flatnonzero(np.isfinite(flat))
    out = np.zeros(flat.shape, bool)
    if ok.size:
        order = ok[np.argsort(flat[ok])]
        m = ok.size
        below = flat[order] <= alpha * np.arange(1, m + 1) / m
        if below.any():
            out[order[: np.max(np.flatnonzero(below)) + 1]] = True
    return out.reshape(p.shape)


def _design(x: np.ndarray, p: int, start: int) -> np.ndarray:
    """Rows t = start..N-1: [1, x[t-1], ..., x[t-p]]."""
    n = x.shape[0]
    cols = [np.ones((n - start, 1))] + [x[start - l: n - l] for l in range(1, p + 1)]
    return np.concatenate(cols, axis=1)


def _rss_from_gram(G: np.ndarray, Xy: np.ndarray, yy: np.ndarray, cols: list[int] | np.ndarray) -> np.ndarray:
    """Residual sum of squares of each output regressed on the columns ``cols`` (normal equations)."""
    cols = np.asarray(cols)
    g = G[np.ix_(cols, cols)]
    b = np.linalg.solve(g, Xy[cols])
    return yy - np.sum(b * Xy[cols], axis=0)


def select_var_order(x: Any, max_order: int = 10, criterion: str = "bic") -> tuple[int, dict[int, float]]:
    """VAR order minimizing BIC (or AIC) on a common sample; returns (order, {order: criterion})."""
    x = as_2d(x, "x", min_samples=max_order + 10)
    max_order = check_positive_int(max_order, name="max_order")
    if criterion not in ("bic", "aic"):
        raise InvalidInputError(f"criterion={criterion!r}; use 'bic' or 'aic'.")
    n, d = x.shape
    T = n - max_order
    y = x[max_order:]
    X = _design(x, max_order, max_order)
    G, Xy = X.T @ X, X.T @ y
    scores = {}
    for p in range(1, max_order + 1):
        cols = np.arange(1 + p * d)
        b = np.linalg.solve(G[np.ix_(cols, cols)], Xy[cols])
        R = y.T @ y - b.T @ Xy[cols]  # residual cross-product matrix
        _, ld = np.linalg.slogdet(R / T)
        k = d * (d * p + 1)
        pen = np.log(T) if criterion == "bic" else 2.0
        scores[p] = float(ld + pen * k / T)
    return min(scores, key=scores.get), scores


@dataclass
class GrangerResult:
    """Conditional Granger causality between every pair of channels.

    Attributes
    ----------
    gc : DataArray (source, target)
        ``log(RSS_reduced / RSS_full)`` (nats x 2; Gaussian TE is half of it). Diagonal NaN.
    p_value : DataArray (source, target)
        F-test p-values.
    significant : DataArray (source, target) of bool
        After Benjamini-Hochberg FDR at ``alpha`` (or Bonferroni, see settings).
    order : int
        VAR order used.
    """

    gc: xr.DataArray
    p_value: xr.DataArray
    significant: xr.DataArray
    order: int
    criterion_scores: dict[int, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def graph(self) -> np.ndarray:
        """Boolean adjacency (source, target)."""
        return self.significant.values


def granger(
    x: Any,
    order: int | None = None,
    max_order: int = 10,
    criterion: str = "bic",
    alpha: float = 0.05,
    correction: str = "fdr",
    names: Sequence[str] | None = None,
) -> GrangerResult:
    """Conditional Granger causality of every channel on every other, given all the rest.

    For each target the full VAR(p) regression on the past of all channels is compared with the
    regression without one source's past: ``F = ((RSS_r - RSS_f) / p) / (RSS_f / (T - d p - 1))``.

    Parameters
    ----------
    x : array (time, channels) or DataArray
    order : int, optional
        VAR order; chosen by ``criterion`` up to ``max_order`` when None.
    alpha : float
        Level of the edge test.
    correction : {"fdr", "bonferroni", "none"}
        Multiple-comparison correction over the d(d-1) edges.
    names : sequence of str, optional
        Channel names (default: the DataArray's channel coordinate or "0", "1", ...).

    Examples
    --------
    >>> from glue_widgets.simulate import simulate_var
    >>> A = np.array([[0.5, 0, 0], [0.4, 0.5, 0], [0, 0, 0.5]])
    >>> g = granger(simulate_var(A, 5000, seed=0))
    >>> g.graph.astype(int)      # (source, target): only 0 -> 1
    array([[0, 1, 0],
           [0, 0, 0],
           [0, 0, 0]])
    """
    x_in, x = x, as_2d(x, "x", min_samples=max(max_order, order or 1) + 10)
    n, d = x.shape
    names = node_names(x_in, names, d)
    if d < 2:
        raise InvalidInputError("granger needs at least 2 channels.")
    if correction not in ("fdr", "bonferroni", "none"):
        raise InvalidInputError(f"correction={correction!r}; use 'fdr', 'bonferroni' or 'none'.")
    scores: dict[int, float] = {}
    if order is None:
        order, scores = select_var_order(x, max_order=max_order, criterion=criterion)
    p = check_positive_int(order, name="order")
    X = _design(x, p, p)
    y = x[p:]
    T = y.shape[0]
    G, Xy, yy = X.T @ X, X.T @ y, np.sum(y * y, axis=0)
    rss_f = _rss_from_gram(G, Xy, yy, np.arange(X.shape[1]))
    df2 = T - d * p - 1
    gc = np.full((d, d), np.nan)
    pv = np.full((d, d), np.nan)
    for j in range(d):  # reduced design without source j serves every target at once
        keep = [0] + [1 + l * d + c for l in range(p) for c in range(d) if c != j]
        rss_r = _rss_from_gram(G, Xy, yy, keep)
        for i in range(d):
            if i == j:
                continue
            gc[j, i] = np.log(rss_r[i] / rss_f[i])
            F = ((rss_r[i] - rss_f[i]) / p) / (rss_f[i] / df2)
            pv[j, i] = stats.f.sf(F, p, df2)
    if correction == "fdr":
        sig = fdr_bh(pv, alpha)
    elif correction == "bonferroni":
        sig = np.nan_to_num(pv, nan=1.0) < alpha / (d * (d - 1))
    else:
        sig = np.nan_to_num(pv, nan=1.0) < alpha
    mk = lambda v, nm: source_target(v, names, nm)  # noqa: E731
    settings = {"order": p, "criterion": criterion if scores else "given", "max_order": max_order,
                "alpha": alpha, "correction": correction, "n_samples": n, "test": "F (nested OLS)"}
    return GrangerResult(gc=mk(gc, "granger"), p_value=mk(pv, "p_value"), significant=mk(sig, "significant"),
                         order=p, criterion_scores=scores, settings=settings)
