"""Compression of many fragments onto shared axes, and re-expression of one fragment in another's terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from ..errors import InvalidInputError
from ..model.validation import check_positive_int
from ._common import as_2d

__all__ = ["compression", "CompressionResult", "reexpress", "ReexpressResult"]


def _named(fragments: Any) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(fragments, Mapping):
        names, items = [str(k) for k in fragments], list(fragments.values())
    elif isinstance(fragments, Sequence) and not isinstance(fragments, (str, np.ndarray)):
        items = list(fragments)
        names = [str(getattr(f, "name", None) or i) for i, f in enumerate(items)]
    else:
        raise InvalidInputError("fragments must be a list or a dict name -> (time, channels) array.")
    arrays = []
    for nm, f in zip(names, items):
        data = f.load() if hasattr(f, "load") and not isinstance(f, (np.ndarray, xr.DataArray)) else f
        arrays.append(as_2d(data, f"fragment {nm!r}", min_samples=3))
    if len(arrays) < 2:
        raise InvalidInputError(f"need at least 2 fragments; got {len(arrays)}.")
    return names, arrays


@dataclass
class CompressionResult:
    """Variance of every fragment explained by k shared axes.

    Attributes
    ----------
    explained : DataArray (fragment,)
        Fraction of each fragment's variance captured by the k shared axes.
    own_best : DataArray (fragment,)
        The ceiling: fraction captured by that fragment's own top-k principal axes.
    total : float
        Mean of ``explained`` (every fragment normalized to unit variance first, so each counts once).
    curve : DataArray (k,)
        ``total`` for k = 1..max.
    axes : ndarray
        ``"space"`` mode: (channels, k) shared loading vectors; ``"time"`` mode: (time, k) shared courses.
    """

    explained: xr.DataArray
    own_best: xr.DataArray
    total: float
    curve: xr.DataArray
    axes: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)


def compression(fragments: Any, k: int, mode: str = "auto") -> CompressionResult:
    """How much of all fragments' variance ``k`` shared axes explain.

    Parameters
    ----------
    fragments : list or dict of (time, channels) arrays / DataArrays
        ``mode="space"``: fragments already in a common coordinate frame (same channels, e.g. aligned
        latents from ``gw.align``) but not simultaneous; the shared axes are the top principal axes of
        the pooled, per-fragment-normalized covariance. ``mode="time"``: simultaneous fragments
        (same number of samples, any channels, e.g. regions recorded together); the shared axes are the
        top time courses of the concatenated, per-fragment-whitened data (a multi-set CCA, MAXVAR form),
        and a fragment's explained variance is its R² regressed on them. ``"auto"`` picks "space" when
        all channel counts agree, otherwise "time".
    k : int
        Number of shared axes.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((2000, 2))
    >>> frags = [z @ rng.standard_normal((2, 10)) + 0.1 * rng.standard_normal((2000, 10)) for _ in range(3)]
    >>> res = compression(frags, k=2, mode="time")
    >>> res.total > 0.95
    True
    """
    names, X = _named(fragments)
    k = check_positive_int(k, name="k")
    if mode == "auto":
        mode = "space" if len({x.shape[1] for x in X}) == 1 else "time"
    if mode not in ("space", "time"):
        raise InvalidInputError(f"mode={mode!r}; use 'space', 'time' or 'auto'.")
    X = [x - x.mean(axis=0) for x in X]
    X = [x / np.sqrt(np.sum(x.var(axis=0))) for x in X]  # unit total variance: every fragment counts once
    own = []
    for x in X:
        ev = np.linalg.eigvalsh(np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1]))[::-1]
        own.append(float(np.sum(ev[:k]) / np.sum(ev)))
    if mode == "space":
        d = X[0].shape[1]
        if any(x.shape[1] != d for x in X):
            raise InvalidInputError("mode='space' needs every fragment in the same channel frame (same channel count).")
        if k > d:
            raise InvalidInputError(f"k={k} exceeds the {d} channels.")
        covs = [np.cov(x, rowvar=False).reshape(d, d) for x in X]
        w, V = np.linalg.eigh(np.mean(covs, axis=0))
        V = V[:, ::-1]
        expl_k = lambda kk: [float(np.trace(V[:, :kk].T @ c @ V[:, :kk]) / np.trace(c)) for c in covs]  # noqa: E731
        kmax = d
        axes = V[:, :k]
    else:
        n = X[0].shape[0]
        if any(x.shape[0] != n for x in X):
            raise InvalidInputError("mode='time' needs simultaneous fragments with the same number of samples.")
        whitened = []
        for x in X:  # whiten each fragment on its principal subspace so no fragment dominates by size
            U, s, _ = np.linalg.svd(x, full_matrices=False)
            keep = s > s[0] * 1e-8
            whitened.append(U[:, keep])
        U, s, _ = np.linalg.svd(np.concatenate(whitened, axis=1), full_matrices=False)
        kmax = min(U.shape[1], 20)
        if k > U.shape[1]:
            raise InvalidInputError(f"k={k} exceeds the {U.shape[1]} available shared axes.")

        def expl_k(kk: int) -> list[float]:
            T = U[:, :kk]
            return [float(1 - np.sum((x - T @ (T.T @ x)) ** 2) / np.sum(x**2)) for x in X]

        axes = U[:, :k]
    explained = expl_k(k)
    curve = [float(np.mean(expl_k(kk))) for kk in range(1, kmax + 1)]
    return CompressionResult(
        explained=xr.DataArray(explained, dims="fragment", coords={"fragment": names}, name="explained"),
        own_best=xr.DataArray(own, dims="fragment", coords={"fragment": names}, name="own_best"),
        total=float(np.mean(explained)),
        curve=xr.DataArray(curve, dims="k", coords={"k": np.arange(1, kmax + 1)}, name="explained"),
        axes=axes,
        settings={"k": k, "mode": mode, "normalization": "unit total variance per fragment",
                  "estimate": "in-sample"},
    )


@dataclass
class ReexpressResult:
    """One fragment's representation written in another fragment's coordinates."""

    expressed: np.ndarray
    mapping: np.ndarray
    r2: float
    r2_per_channel: np.ndarray
    variance_captured: float
    settings: dict[str, Any] = field(default_factory=dict)


def reexpress(x_from: Any, x_to: Any, representation: Any = None, n_components: int = 3,
              alpha: float = 1.0, cv: int = 5, translator: Any = None) -> ReexpressResult:
    """Re-express ``x_from``'s internal representation in ``x_to``'s coordinates.

    A linear map ``W`` (channels_from -> channels_to) is learned from simultaneous (paired) samples,
    or from both fragments already in an aligned latent frame (same time base). The representation
    (by default ``x_from``'s top principal axes; or any (m, channels_from) set of axes such as decoder
    weights) is carried through ``W``: ``expressed = representation @ W``.

    Parameters
    ----------
    x_from, x_to : (time, channels) arrays on the same time base.
    representation : (m, channels_from) array, optional
    alpha : float
        Ridge penalty of the map (scikit-learn's ``Ridge``, absolute, on centred features).
    cv : int
        Contiguous-block folds for the held-out R² of the map.
    translator : estimator, optional
        Any scikit-learn-compatible linear, instantaneous fit/predict estimator (e.g.
        ``gw.translate.Translator("rrr")``, ``lags=0``) to use instead of ridge; cloned for every fold.

    Returns
    -------
    ReexpressResult
        ``expressed`` (m, channels_to), ``mapping`` W, held-out ``r2`` (variance-weighted over target
        channels), and ``variance_captured``: the fraction of ``x_to``'s variance lying along the
        re-expressed axes relative to what ``x_to``'s own top-m axes capture (1 = the representation
        exists in the other fragment as fully as its own).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((3000, 3))
    >>> a = z @ rng.standard_normal((3, 8)); b = z @ rng.standard_normal((3, 12))
    >>> res = reexpress(a + 0.1 * rng.standard_normal(a.shape), b)
    >>> res.r2 > 0.9 and res.variance_captured > 0.9
    True
    """
    from sklearn.base import clone
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold

    A = as_2d(x_from, "x_from", min_samples=10)
    B = as_2d(x_to, "x_to", min_samples=10)
    if A.shape[0] != B.shape[0]:
        raise InvalidInputError(f"x_from has {A.shape[0]} samples and x_to {B.shape[0]}; pass paired samples.")
    cv = check_positive_int(cv, name="cv")
    A = A - A.mean(0)
    B = B - B.mean(0)
    make = (lambda: Ridge(alpha=alpha, fit_intercept=False)) if translator is None else (lambda: clone(translator))
    pred = np.zeros_like(B)
    for tr, te in KFold(cv, shuffle=False).split(A):
        pred[te] = make().fit(A[tr], B[tr]).predict(A[te])
    ss = np.sum(B**2, axis=0)
    r2c = 1 - np.sum((B - pred) ** 2, axis=0) / np.where(ss > 0, ss, np.nan)
    r2 = float(1 - np.sum((B - pred) ** 2) / np.sum(ss))
    model = make().fit(A, B)
    # the map's linear part (ch_from, ch_to), read from predictions so any coefficient layout works
    # (scikit-learn's coef_ is (to, from); gw.translate's is (from, to))
    W = np.asarray(model.predict(np.eye(A.shape[1])), float) - np.asarray(model.predict(np.zeros((1, A.shape[1]))), float)
    if representation is None:
        _, _, Vt = np.linalg.svd(A, full_matrices=False)
        representation = Vt[: check_positive_int(n_components, name="n_components")]
    R = np.atleast_2d(np.asarray(representation, float))
    if R.shape[1] != A.shape[1]:
        raise InvalidInputError(f"representation has {R.shape[1]} columns; x_from has {A.shape[1]} channels.")
    E = R @ W
    m = E.shape[0]
    Q, _ = np.linalg.qr(E.T)
    cov = B.T @ B
    along = float(np.trace(Q.T @ cov @ Q))
    best = float(np.sum(np.linalg.eigvalsh(cov)[::-1][:m]))
    return ReexpressResult(expressed=E, mapping=W, r2=r2, r2_per_channel=r2c,
                           variance_captured=along / best if best > 0 else float("nan"),
                           settings={"alpha": alpha, "cv": f"{cv}-fold contiguous blocks",
                                     "n_axes": m, "translator": type(model).__name__})

