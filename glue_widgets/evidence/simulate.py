"""Simulated networks with known coupling, to validate the effective-connectivity estimators."""

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


# ---------------------------------------------------------------- a small multi-session corpus

GENERATORS = {
    # name: (kind, parameters); dt-independent descriptions of k=4 latent dynamics
    "slow": ("timescales", (3.0, 1.5, 0.8, 0.4)),
    "fast": ("timescales", (0.4, 0.25, 0.12, 0.06)),
    "rotation": ("rotational", (2.0, 0.6, 1.5, 0.5)),  # f (Hz), damping tau (s), two slow taus
}


def _latent_matrix(kind: str, params: tuple, dt: float) -> np.ndarray:
    if kind == "timescales":
        return np.diag(np.exp(-dt / np.asarray(params, float)))
    f, tau, s1, s2 = params
    th = 2 * np.pi * f * dt
    r = np.exp(-dt / tau)
    A = np.zeros((4, 4))
    A[:2, :2] = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    A[2, 2], A[3, 3] = np.exp(-dt / s1), np.exp(-dt / s2)
    return A


def simulate_sessions(generators: tuple[str, ...] = ("slow", "fast", "rotation"), subjects: int = 2,
                      days: int = 3, n_neurons: int = 50, duration_s: float = 240.0, fs: float = 20.0,
                      arousal_coupling: float = 0.2, turnover: float = 0.3, seed: int | None = 0):
    """Sessions from a few latent generators, with days, subjects, labs and an arousal confound.

    Each generator is a 4-d linear latent system (see ``GENERATORS``); a session's activity is
    ``softplus(C z + b) * exp(arousal_coupling * a(t)) + noise`` where ``a(t)`` is a slow arousal
    covariate whose amplitude differs from session to session (the planted confound: the more arousal
    fluctuates, the more it distorts the population dynamics). Days of one subject keep most of the
    readout ``C`` (a ``turnover`` fraction of neurons is redrawn each day) and change gains.

    Returns
    -------
    data : dict name -> DataArray (time, channel) with attrs lab, species, subject, session, day,
        apparatus and ``card`` {"arousal": {"pupil_sd": ...}}
    truth : dict name -> {"generator": str, "arousal_sd": float}   (for evaluation only)
    """
    import xarray as xr

    rng = np.random.default_rng(seed)
    dt = 1.0 / fs
    n = int(duration_s * fs)
    labs = ["arbor", "birch", "cedar"]
    data, truth = {}, {}
    for gi, g in enumerate(generators):
        kind, params = GENERATORS[g]
        A = _latent_matrix(kind, params, dt)
        Q = np.eye(4) - A @ A.T  # unit stationary variance in every latent
        Lq = np.linalg.cholesky(Q + 1e-12 * np.eye(4))
        for s in range(subjects):
            C = rng.standard_normal((n_neurons, 4)) * 0.8
            b = rng.normal(0.5, 0.3, n_neurons)
            species = "Mus musculus" if (gi + s) % 3 else "Rattus norvegicus"
            lab = labs[(gi + s) % len(labs)]
            apparatus = ["2p-resonant", "neuropixels"][(gi + 2 * s) % 2]
            for d in range(days):
                if d:
                    redraw = rng.random(n_neurons) < turnover
                    C[redraw] = rng.standard_normal((redraw.sum(), 4)) * 0.8
                gains = np.exp(rng.normal(0, 0.2, n_neurons))
                e = rng.standard_normal((n, 4)) @ Lq.T
                z = np.zeros((n, 4))
                z[0] = rng.standard_normal(4)
                for t in range(1, n):
                    z[t] = A @ z[t - 1] + e[t]
                arousal_sd = float(rng.uniform(0.05, 1.0))
                a = np.zeros(n)
                ra = np.exp(-dt / 8.0)
                ea = rng.standard_normal(n) * np.sqrt(1 - ra**2)
                for t in range(1, n):
                    a[t] = ra * a[t - 1] + ea[t]
                a *= arousal_sd
                drive = z @ C.T + b
                rate = np.log1p(np.exp(drive)) * gains * np.exp(arousal_coupling * a)[:, None]
                x = rate + 0.5 * rng.standard_normal(rate.shape)
                name = f"{g}/s{s}/d{d}"
                pupil = 1.0 + a + 0.05 * rng.standard_normal(n)  # the observed arousal covariate
                data[name] = xr.DataArray(
                    x, dims=("time", "channel"),
                    coords={"time": np.arange(n) / fs, "channel": [f"n{i}" for i in range(n_neurons)]},
                    attrs={"modality": "spikes", "fs": fs, "lab": lab, "species": species,
                           "subject": f"{g}-s{s}", "session": name, "day": d, "apparatus": apparatus,
                           "card": {"arousal": {"available": ["pupil"], "pupil_sd": float(pupil.std())}}})
                truth[name] = {"generator": g, "arousal_sd": arousal_sd}
    return data, truth
