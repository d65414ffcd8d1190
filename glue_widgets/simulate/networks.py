"""Networks with known coupling (continuous-time linear systems, VARs), to validate directed-dependence
and effective-connectivity estimators (``gw.evidence``: Granger, transfer entropy, regression DCM).

Examples
--------
>>> x = simulate_linear_network(random_network(4, seed=0), fs=100.0, n_samples=500)
>>> x.shape
(500, 4)
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm, solve_continuous_lyapunov

from ..errors import InvalidInputError

__all__ = ["random_network", "simulate_linear_network", "simulate_var"]


def random_network(n: int, density: float = 0.2, strength: float = 4.0, decay: float = 10.0,
                   seed: int | None = 0) -> np.ndarray:
    """A sparse stable continuous-time coupling matrix ``A`` (per second).

    Off-diagonal edges (probability ``density``) get weights ``±U(0.5, 1) * strength``; the diagonal is
    ``-decay`` and is pushed down further if needed so every eigenvalue has real part <= -decay / 2.

    Examples
    --------
    >>> A = random_network(6, seed=1)
    >>> bool(np.all(np.linalg.eigvals(A).real < 0))
    True
    """
    rng = np.random.default_rng(seed)
    mask = (rng.random((n, n)) < density) & ~np.eye(n, dtype=bool)
    w = rng.uniform(0.5, 1.0, (n, n)) * rng.choice([-1.0, 1.0], (n, n)) * strength
    A = np.where(mask, w, 0.0) - decay * np.eye(n)
    worst = np.max(np.linalg.eigvals(A).real)
    if worst > -decay / 2:
        A -= (worst + decay / 2) * np.eye(n)
    return A


def simulate_linear_network(A: np.ndarray, fs: float, n_samples: int, noise: float = 1.0,
                            C: np.ndarray | None = None, u: np.ndarray | None = None,
                            seed: int | None = 0) -> np.ndarray:
    """Sample ``dx = (A x + C u) dt + noise dW`` exactly at rate ``fs`` (u held constant per sample).

    Returns an array (n_samples, n) started from the stationary distribution.
    """
    A = np.asarray(A, float)
    n = A.shape[0]
    if np.max(np.linalg.eigvals(A).real) >= 0:
        raise InvalidInputError("A is not stable (an eigenvalue has real part >= 0).")
    dt = 1.0 / fs
    B = expm(A * dt)
    S = solve_continuous_lyapunov(A, -noise**2 * np.eye(n))
    Qd = S - B @ S @ B.T
    L = np.linalg.cholesky((Qd + Qd.T) / 2)
    rng = np.random.default_rng(seed)
    x = np.empty((n_samples, n))
    x[0] = np.linalg.cholesky(S) @ rng.standard_normal(n)
    drive = None
    if u is not None:
        u = np.asarray(u, float).reshape(n_samples, -1)
        C = np.eye(n)[:, : u.shape[1]] if C is None else np.asarray(C, float)
        drive = u @ (np.linalg.solve(A, (B - np.eye(n))) @ C).T
    e = rng.standard_normal((n_samples, n)) @ L.T
    for t in range(1, n_samples):
        x[t] = B @ x[t - 1] + e[t] + (drive[t - 1] if drive is not None else 0.0)
    return x


def simulate_var(coefs: np.ndarray, n_samples: int, noise: float = 1.0, burn: int = 500,
                 seed: int | None = 0) -> np.ndarray:
    """Simulate a VAR(p) ``x_t = sum_l coefs[l] x_{t-l-1} + e_t`` (coefs shape (p, n, n))."""
    coefs = np.asarray(coefs, float)
    if coefs.ndim == 2:
        coefs = coefs[None]
    p, n, _ = coefs.shape
    rng = np.random.default_rng(seed)
    x = np.zeros((n_samples + burn, n))
    e = noise * rng.standard_normal((n_samples + burn, n))
    for t in range(p, n_samples + burn):
        x[t] = e[t] + sum(coefs[l] @ x[t - l - 1] for l in range(p))
    return x[burn:]
