"""Latent dynamics: linear dynamical systems of two families, simulated fast (lfilter) or exactly (VAR(1)).

``"timescales"``: independent Ornstein-Uhlenbeck latents with distinct time constants (the frame is
identifiable from lagged covariances). ``"rotational"``: a damped rotation plane driven by isotropic
noise plus slower OU latents (the in-plane rotation angle is *not* fixed by any second-order
statistic of spontaneous activity).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from scipy.signal import lfilter

from ._rng import as_generator as _rng

__all__ = ["FAMILIES", "latent_params", "discrete_dynamics", "simulate_latents", "run_lds", "anchor_response"]

FAMILIES = ("timescales", "rotational")


def latent_params(family: str, k: int, rng: np.random.Generator | int | None = None) -> dict[str, Any]:
    """Draw the parameters of a latent-dynamics generator.

    Parameters
    ----------
    family : {"timescales", "rotational"}
        ``"timescales"``: ``k`` independent OU processes with log-spaced, jittered time constants
        (0.08 s to 3 s). ``"rotational"``: latents 0 and 1 form a damped rotation plane (0.8-1.6 Hz,
        damping 0.4-0.8 s, isotropic noise); the other ``k - 2`` are slow OU latents (1-4 s).
    k : int
        Latent dimension (>= 2 for "rotational").
    rng : Generator or int

    Returns
    -------
    dict
        ``family``, ``k``, ``taus`` (k,) decay time constants in s, ``rotation_hz`` (0 for OU latents;
        latents 0 and 1 share it in the rotational family), ``plane`` (indices of the rotation plane or
        ``None``).

    Examples
    --------
    >>> p = latent_params("rotational", 4, 1)
    >>> p["plane"], bool(p["rotation_hz"][0] > 0)
    ((0, 1), True)
    """
    rng = _rng(rng)
    if family not in FAMILIES:
        raise ValueError(f"family={family!r} is not one of {FAMILIES}.")
    k = int(k)
    if family == "timescales":
        if k < 1:
            raise ValueError(f"k={k} must be >= 1.")
        base = np.geomspace(0.08, 3.0, k)
        taus = base * np.exp(rng.uniform(-0.15, 0.15, k))
        taus = taus[rng.permutation(k)]
        return {"family": family, "k": k, "taus": taus, "rotation_hz": np.zeros(k), "plane": None}
    if k < 2:
        raise ValueError(f"k={k} must be >= 2 for the rotational family.")
    f_rot = rng.uniform(0.8, 1.6)
    tau_rot = rng.uniform(0.4, 0.8)
    slow = np.geomspace(1.0, 4.0, max(k - 2, 1))[: k - 2] * np.exp(rng.uniform(-0.1, 0.1, k - 2))
    taus = np.concatenate([[tau_rot, tau_rot], slow])
    rot = np.zeros(k)
    rot[:2] = f_rot
    return {"family": family, "k": k, "taus": taus, "rotation_hz": rot, "plane": (0, 1)}


def discrete_dynamics(params: Mapping[str, Any], fs: float | None = None, *,
                      dt: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Discrete-time ``z[t+1] = A z[t] + w``, ``w ~ N(0, Q)`` at rate ``fs`` (unit stationary variance).

    Give the rate ``fs`` (Hz) or the step ``dt`` (s). Returns ``(A, Q)``, both ``k x k``.

    Examples
    --------
    >>> A, Q = discrete_dynamics({"k": 2, "taus": [0.5, 0.5], "rotation_hz": [2.0, 2.0], "plane": (0, 1)}, dt=0.02)
    >>> bool(np.allclose(np.abs(np.linalg.eigvals(A)), np.exp(-0.02 / 0.5)))
    True
    """
    k = int(params["k"])
    if (fs is None) == (dt is None):
        raise ValueError(f"give exactly one of fs={fs!r} or dt={dt!r}.")
    dt = 1.0 / float(fs) if dt is None else float(dt)
    A = np.zeros((k, k))
    Q = np.zeros((k, k))
    taus = np.asarray(params["taus"], float)
    for i in range(k):
        a = np.exp(-dt / taus[i])
        A[i, i] = a
        Q[i, i] = 1.0 - a * a
    if params.get("plane") is not None:
        i, j = params["plane"]
        w = 2 * np.pi * float(params["rotation_hz"][i])
        a = np.exp(-dt / taus[i])
        A[np.ix_([i, j], [i, j])] = a * np.array([[np.cos(w * dt), -np.sin(w * dt)],
                                                   [np.sin(w * dt), np.cos(w * dt)]])
    return A, Q


def simulate_latents(
    family: str | Mapping[str, Any],
    n_samples: int,
    fs: float,
    k: int | None = None,
    rng: np.random.Generator | int | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    inputs: np.ndarray | None = None,
    noise_scale: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Simulate a latent LDS trajectory ``z`` of shape ``(n_samples, k)`` with unit stationary variance.

    Each OU latent is an AR(1) filter of white noise and the rotation plane a complex AR(1)
    (``scipy.signal.lfilter``), so hour-long trajectories take milliseconds. The initial state is drawn
    from the stationary distribution.

    Parameters
    ----------
    family : str or dict
        ``"timescales"`` / ``"rotational"`` (parameters drawn from ``rng``), or a dict from
        :func:`latent_params` (then ``k`` may be omitted).
    n_samples : int
    fs : float
        Sampling rate (Hz).
    k : int, optional
        Latent dimension.
    rng : Generator or int
    params : dict, optional
        Parameters from :func:`latent_params` (use this to keep one generator's dynamics across
        sessions while the noise differs).
    inputs : ndarray (n_samples, k), optional
        Added to the innovations (so they pass through the dynamics), e.g. task drive.
    noise_scale : float or ndarray (k,)
        Scales the innovations of each latent (a state with larger or smaller variability).

    Returns
    -------
    ndarray (n_samples, k), float64

    Examples
    --------
    >>> z = simulate_latents("rotational", 500, 100.0, 4, 0)
    >>> z.shape
    (500, 4)
    """
    rng = _rng(rng)
    if isinstance(family, Mapping):
        params = family
    if params is None:
        params = latent_params(str(family), int(k), rng)
    k = int(params["k"])
    n = int(n_samples)
    dt = 1.0 / float(fs)
    taus = np.asarray(params["taus"], float)
    scale = np.broadcast_to(np.asarray(noise_scale, float), (k,))
    z = np.empty((n, k))
    plane = params.get("plane")
    done: set[int] = set()
    if plane is not None:
        i, j = plane
        a = np.exp(-dt / taus[i])
        lam = a * np.exp(1j * 2 * np.pi * float(params["rotation_hz"][i]) * dt)
        sd = np.sqrt(1.0 - a * a)
        w = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * sd
        w *= scale[i]
        if inputs is not None:
            w = w + inputs[:, i] + 1j * inputs[:, j]
        z0 = (rng.standard_normal() + 1j * rng.standard_normal()) * scale[i]
        c, _ = lfilter([1.0], [1.0, -lam], w, zi=np.array([lam * z0]))
        z[:, i], z[:, j] = c.real, c.imag
        done = {i, j}
    for i in range(k):
        if i in done:
            continue
        a = np.exp(-dt / taus[i])
        sd = np.sqrt(1.0 - a * a)
        w = rng.standard_normal(n) * sd * scale[i]
        if inputs is not None:
            w = w + inputs[:, i]
        z0 = rng.standard_normal() * scale[i]
        z[:, i], _ = lfilter([1.0], [1.0, -a], w, zi=np.array([a * z0]))
    return z


def run_lds(A: np.ndarray, Q: np.ndarray, n_samples: int, rng: np.random.Generator | int | None = None,
            burn: int = 500) -> np.ndarray:
    """Simulate ``z[t] = A z[t-1] + w[t]``, ``w ~ N(0, Q)``, step by step, for any ``A`` and ``Q``.

    Starts at zero and drops ``burn`` samples so the trajectory is near stationary. Slower than
    :func:`simulate_latents` (a Python loop) but exact for a general, non-diagonal ``A``.

    Returns
    -------
    ndarray (n_samples, k)

    Examples
    --------
    >>> A, Q = discrete_dynamics(latent_params("timescales", 3, 0), fs=50.0)
    >>> run_lds(A, Q, 200, 0).shape
    (200, 3)
    """
    rng = _rng(rng)
    A = np.asarray(A, float)
    k = A.shape[0]
    n = int(n_samples)
    L = np.linalg.cholesky(np.asarray(Q, float))
    e = rng.standard_normal((n + burn, k)) @ L.T
    z = np.zeros((n + burn, k))
    for t in range(1, n + burn):
        z[t] = A @ z[t - 1] + e[t]
    return z[burn:]


def anchor_response(params: Mapping[str, Any], fs: float, duration: float = 1.0,
                    rng: np.random.Generator | int | None = None, amplitude: float = 2.5) -> np.ndarray:
    """A fixed latent response to the anchor stimulus, ``(round(duration*fs), k)``.

    Added directly to the latents at every anchor onset, so the latent response is identical on every
    repeat and every day of one generator. The stimulus drives every latent direction (the demo is
    designed so that a handful of events can fix what rest leaves free): each latent outside a
    rotation plane gets a transient (Gaussian bump, sd 100 ms) of its own latency, spread over
    0.12-0.8 x ``duration`` in a random order, with a random sign and amplitude 0.8-1.2 x
    ``amplitude``, so the response has full rank ``k``. In the rotational family the plane gets a
    decaying rotation at the plane's frequency (alpha envelope, peak at 150 ms), which pins down the
    plane's angle that rest statistics leave free.

    Examples
    --------
    >>> p = latent_params("rotational", 5, 0)
    >>> r = anchor_response(p, 50.0, 1.0, 0)
    >>> r.shape, int(np.linalg.matrix_rank(r, tol=1e-2 * np.abs(r).max()))
    ((50, 5), 5)
    """
    rng = _rng(rng)
    k = int(params["k"])
    L = int(round(duration * fs))
    t = np.arange(L) / fs
    r = np.zeros((L, k))
    if L == 0:
        return r
    plane = params.get("plane")
    free = [i for i in range(k) if plane is None or i not in plane]
    lat = np.linspace(0.12, 0.8, max(len(free), 1)) * duration
    lat = lat[rng.permutation(lat.size)]
    signs = rng.choice([-1.0, 1.0], k)
    amps = amplitude * rng.uniform(0.8, 1.2, k)
    for n, i in enumerate(free):
        r[:, i] = signs[i] * amps[i] * np.exp(-0.5 * ((t - lat[n]) / 0.1) ** 2)
    if plane is not None:
        i, j = plane
        w = 2 * np.pi * float(params["rotation_hz"][i])
        phase0 = rng.uniform(0, 2 * np.pi)
        env = amps[i] * (t / 0.15) * np.exp(1 - t / 0.15)
        r[:, i] = env * np.cos(w * t + phase0)
        r[:, j] = env * np.sin(w * t + phase0)
    return r
