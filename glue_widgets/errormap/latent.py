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
    mu = X[ti[ok]].mean(0)
    B = iv_fit(X, ti, to, ridge)
    return lambda Z: (Z - mu) @ B + mu


def iv_fit(X: np.ndarray, ti: np.ndarray, to: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """The h-step dynamics matrix B (``y(t+h) ≈ y(t) B`` on centred latents) by instrumental variables."""
    ok = np.isin(ti - 1, ti)
    ti, to = ti[ok], to[ok]
    mu = X[ti].mean(0)
    Zi, Zt, Zo = X[ti - 1] - mu, X[ti] - mu, X[to] - mu
    G = Zi.T @ Zt
    G = G + ridge * np.trace(np.abs(G)) / G.shape[0] * np.eye(G.shape[0])
    return np.linalg.solve(G, Zi.T @ Zo)


def _offdiag_norm2(a: np.ndarray, r: np.ndarray, gap: int) -> float:
    """``||mean_t a_tᵀ r_t||²`` without the products of terms closer than ``gap`` samples.

    The squared norm of a sample moment is biased upwards by its own sampling noise (the terms of a
    sample paired with itself and its near neighbours), which grows with the residual's size and
    would favour sources with small dynamics on noisy targets. Dropping the near-diagonal products
    leaves an estimate whose expectation is the squared population moment (residuals more than
    ``gap`` samples apart are independent at the true dynamics).
    """
    n = a.shape[0]
    K = (a @ a.T) * (r @ r.T)  # (m_t · m_t') with m_t = a_t ⊗ r_t
    i = np.arange(n)
    far = np.abs(i[:, None] - i[None, :]) >= gap
    return float(K[far].sum() / n ** 2)


def moment_row(s: int, data: Sequence[np.ndarray], cv: int, horizon: int, units_per_fold: int,
               debias: bool = False, ustat: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Held-out lagged-moment error of every target under source ``s``'s dynamics: (ssr, sst), (targets, units).

    For each CV fold the source's dynamics ``B`` are fitted by :func:`iv_fit` on its other folds; on each
    held-out sub-block of a target, with the target's past ``y(t-1)`` as instrument,
    ``G = E[y(t-1)ᵀ y(t)]`` and ``H = E[y(t-1)ᵀ y(t+h)]``; ``SS_res = ||H - G B||²`` and ``SS_tot = ||H||²``
    (standardized target). White observation noise on the target enters neither. Options (off by
    default: on the spiking scenarios of tests/test_loop.py they cost cluster recovery): ``debias``
    subtracts the source's own estimation noise (jackknife over its CV folds,
    ``(cv-1)/cv Σ_f ||G (B_f - B̄)||²``); ``ustat`` drops the near-diagonal products of the moments
    (:func:`_offdiag_norm2`), removing their sampling-noise bias.
    """
    from .predict import folds, lagged_pairs

    X = data[s]
    fx = folds(X.shape[0], cv)
    Bs = []
    for f in range(cv):
        train = np.setdiff1d(np.arange(X.shape[0]), fx[f])
        Bs.append(iv_fit(X, *lagged_pairs(X.shape[0], horizon, train)))
    Bbar = np.mean(Bs, axis=0)
    nt = len(data)
    ssr = np.zeros((nt, cv * units_per_fold))
    sst = np.zeros_like(ssr)
    for j, Z in enumerate(data):
        fz = folds(Z.shape[0], cv)
        sd = Z.std(0)
        sd[sd == 0] = 1.0
        Zs = (Z - Z.mean(0)) / sd
        scale = np.outer(sd, 1.0 / sd)  # B acts on raw latents; scores on standardized ones
        for f in range(cv):
            for u, blk in enumerate(np.array_split(fz[f], units_per_fold)):
                ti, to = lagged_pairs(Z.shape[0], horizon, blk)
                keep = np.isin(ti - 1, blk)
                ti, to = ti[keep], to[keep]
                if ti.size == 0:
                    continue
                inst = Zs[ti - 1]
                G = inst.T @ Zs[ti] / ti.size
                H = inst.T @ Zs[to] / ti.size
                k = f * units_per_fold + u
                if ustat:
                    ssr[j, k] = _offdiag_norm2(inst, Zs[to] - Zs[ti] @ (Bs[f] * scale), horizon + 1)
                    sst[j, k] = _offdiag_norm2(inst, Zs[to], horizon + 1)
                else:
                    ssr[j, k] = np.sum((H - G @ (Bs[f] * scale)) ** 2)
                    sst[j, k] = np.sum(H ** 2)
                if debias:
                    ssr[j, k] -= (cv - 1) / cv * sum(np.sum((G @ ((B - Bbar) * scale)) ** 2) for B in Bs)
    return ssr, sst
