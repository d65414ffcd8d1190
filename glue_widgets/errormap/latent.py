"""Noise-robust latents and dynamics for the unpaired error map.

White observation noise (independent across channels and time, of any per-channel size) adds to the
lag-0 covariance only: every lagged covariance ``C(l) = E[x(t+l) x(t)ᵀ]``, ``l ≥ 1``, is the signal's
alone. So the reduction and the dynamics are estimated from lagged covariances:

- :func:`reduce_lagcov`: the fragment's signal subspace is the top eigenvectors of the summed,
  symmetrized lagged covariances (lags 1-4) of its z-scored channels; the projected latents are
  whitened by their symmetrized lag-1 covariance (not the noisy lag-0 one), so same-generator
  fragments land in frames that differ by a rotation only, whatever their noise;
- :func:`iv_predictor`: the h-step-ahead dynamics ``y(t+h) ≈ y(t) B`` fitted with ``y(t-1)`` as the
  instrument, ``B = (y(t-1)ᵀ y(t))⁻¹ y(t-1)ᵀ y(t+h)``: ordinary least squares shrinks a noisy
  source's dynamics towards zero (errors in variables), so a noisy source looks far from everything;
  the instrumental estimate is unbiased under white noise.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel

__all__ = ["reduce_lagcov", "reduce_pca", "iv_predictor", "LAGS"]

LAGS = (1, 2, 3, 4)


def _lagcov(X: np.ndarray, lag: int) -> np.ndarray:
    T = X.shape[0]
    C = X[lag:].T @ X[: T - lag] / (T - lag)
    return (C + C.T) / 2


def _inv_sqrt(S: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    w, V = np.linalg.eigh((S + S.T) / 2)
    w = np.clip(w, floor * max(float(w.max()), 1e-12), None)
    return V @ np.diag(w ** -0.5) @ V.T


def _clean(x: Any, n_components: int, name: str) -> np.ndarray:
    X = as_time_by_channel(x, name=name, min_samples=10)
    sd = X.std(axis=0)
    X = X[:, sd > 0]
    if X.shape[1] < n_components:
        raise InvalidInputError(
            f"fragment {name!r} has {X.shape[1]} varying channels; n_components={n_components} needs more.")
    return (X - X.mean(axis=0)) / X.std(axis=0)


def reduce_pca(x: Any, n_components: int, name: str = "fragment") -> np.ndarray:
    """z-score channels, keep the top ``n_components`` principal components, whiten them (the old reduction:
    per-channel observation noise enters the components and the whitening)."""
    X = _clean(x, n_components, name)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    return U[:, :n_components] * np.sqrt(X.shape[0])


def reduce_lagcov(x: Any, n_components: int, name: str = "fragment", lags: Sequence[int] = LAGS) -> np.ndarray:
    """Signal subspace from lagged covariances; latents whitened by their lag-1 covariance (see module doc).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = np.cumsum(rng.normal(size=(3000, 2)), 0) * 0.05
    >>> y = reduce_lagcov(z @ rng.normal(size=(2, 10)) + rng.normal(size=(3000, 10)), 2)
    >>> y.shape
    (3000, 2)
    """
    X = _clean(x, n_components, name)
    M = sum(_lagcov(X, l) for l in lags if l < X.shape[0])
    w, V = np.linalg.eigh(M)
    W = V[:, np.argsort(w)[::-1][:n_components]]
    y = X @ W
    y = y @ _inv_sqrt(_lagcov(y, 1))
    return y - y.mean(axis=0)


def iv_predictor(X: np.ndarray, ti: np.ndarray, to: np.ndarray, ridge: float = 1e-3):
    """Instrumental-variable h-step dynamics on training index pairs (ti -> to); instrument ti - 1.

    Pairs whose ``ti - 1`` is not a training sample (the pair ``(ti-1, ti)`` must be consecutive in
    the given set) are dropped. Returns ``predict(Z) -> Z @ B`` on centred inputs.
    """
    ok = np.isin(ti - 1, ti)
    ti, to = ti[ok], to[ok]
    mu = X[ti].mean(0)
    Zi, Zt, Zo = X[ti - 1] - mu, X[ti] - mu, X[to] - mu
    G = Zi.T @ Zt
    G = G + ridge * np.trace(np.abs(G)) / G.shape[0] * np.eye(G.shape[0])
    B = np.linalg.solve(G, Zi.T @ Zo)
    return lambda Z: (Z - mu) @ B + mu
