"""Orthogonal matching of rest statistics: find ``R`` in O(k) with ``R^T L_i(tau) R ~ M(tau)`` for all lags.

One idea: sessions reduced to whitened latents differ (for the signal) by an orthogonal map, and their
whitened lagged covariances differ by the same map. :func:`match_statistics` finds it from eigen-basis
starts refined by Riemannian gradient descent on O(k) (Cayley retraction, backtracking).
"""

from __future__ import annotations

import numpy as np

__all__ = ["match_statistics", "statistics_cost", "refine_rotation"]


def _cayley(S: np.ndarray) -> np.ndarray:
    k = S.shape[0]
    return np.linalg.solve(np.eye(k) - S / 2, np.eye(k) + S / 2)


def statistics_cost(R: np.ndarray, Ls: np.ndarray, Ms: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """``f(R) = sum_t w_t ||R^T L_t R - M_t||^2`` and its gradient in the Lie algebra at ``R``."""
    A = np.einsum("ia,tij,jb->tab", R, Ls, R)
    E = A - Ms
    f = float(np.sum(w[:, None, None] * E**2))
    X = np.einsum("t,tij->ij", 2 * w, np.einsum("tji,tjk->tik", E, A) - np.einsum("tij,tkj->tik", A, E))
    G = X.T
    return f, 0.5 * (G - G.T)


def refine_rotation(R: np.ndarray, Ls: np.ndarray, Ms: np.ndarray, w: np.ndarray,
                    iters: int = 100) -> tuple[np.ndarray, float]:
    """Riemannian gradient descent of :func:`statistics_cost` on O(k) from ``R``; returns ``(R, cost)``."""
    f, G = statistics_cost(R, Ls, Ms, w)
    t = 1.0 / max(np.linalg.norm(G), 1e-12) * 0.1
    for _ in range(iters):
        gn = np.linalg.norm(G)
        if gn < 1e-9 * max(f, 1.0):
            break
        for _ in range(30):
            Rn = R @ _cayley(-t * G)
            fn, Gn = statistics_cost(Rn, Ls, Ms, w)
            if fn <= f - 1e-4 * t * gn**2:
                break
            t *= 0.5
        else:
            break
        done = f - fn < 1e-7 * max(f, 1.0)
        R, f, G = Rn, fn, Gn
        if done:
            break
        t *= 1.5
    return R, f


def match_statistics(Ls: np.ndarray, Ms: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Orthogonal ``R`` with ``R^T L R ~ M`` (lag-weighted by ``w``): eigen-basis starts, then refinement.

    Examples
    --------
    >>> import numpy as np
    >>> M = np.stack([np.diag([0.9, 0.5, 0.2]) ** t for t in (1, 2, 4)])
    >>> Q = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]
    >>> L = np.einsum("ai,tij,bj->tab", Q, M, Q)
    >>> R = match_statistics(L, M, np.ones(3))
    >>> bool(np.allclose(np.abs(R.T @ Q), np.eye(3), atol=1e-4))
    True
    """
    k = Ls.shape[1]

    def basis(L: np.ndarray) -> np.ndarray:
        S = np.einsum("t,tij->ij", w, 0.5 * (L + np.transpose(L, (0, 2, 1))))
        return np.linalg.eigh(S)[1][:, ::-1]

    Vi, Vr = basis(Ls), basis(Ms)
    cands = []
    for j in range(-1, k):
        for sw in range(-1, k - 1):
            P = np.eye(k)
            if sw >= 0:
                P[:, [sw, sw + 1]] = P[:, [sw + 1, sw]]
            if j >= 0:
                P[:, j] *= -1
            cands.append(Vi @ P @ Vr.T)
    best, fbest = None, np.inf
    scores = [(statistics_cost(R0, Ls, Ms, w)[0], ix) for ix, R0 in enumerate(cands)]
    for _, ix in sorted(scores)[:3]:
        R, f = refine_rotation(cands[ix], Ls, Ms, w)
        if f < fbest:
            best, fbest = R, f
    return best
