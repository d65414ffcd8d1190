"""Arousal, spiking and calcium: Poisson spikes from latents, a GCaMP-like indicator, communication subspaces."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.signal import lfilter

from ..model.indicators import INDICATORS
from ._rng import as_generator as _rng

# the indicator kinetics live in the one table, glue_widgets.model.indicators (re-exported here)

__all__ = ["INDICATORS", "arousal_traces", "rates_from_latents", "spikes_from_latents",
           "spike_times_from_counts", "calcium_kernel", "calcium_from_spikes", "communication_subspace"]

# --------------------------------------------------------------------------------------------
# arousal, spiking
# --------------------------------------------------------------------------------------------
def arousal_traces(n_samples: int, fs: float, rng: np.random.Generator | int | None = None, *,
                   level: np.ndarray | float = 0.0, tau: float = 15.0,
                   pupil_lag: float = 1.0, drift_sd: float = 0.0, drift_tau: float = 150.0,
                   drift_rng: np.random.Generator | int | None = None) -> dict[str, np.ndarray]:
    """A slow arousal process and what it drives: running speed and pupil diameter.

    ``arousal = level(t) [+ drift(t)] + OU(tau)``; running speed (cm/s) is a rectified, bout-like function
    of arousal (running when arousal exceeds 1); pupil diameter (mm) follows arousal smoothed with
    ``pupil_lag``.

    Parameters
    ----------
    level : float or ndarray (n_samples,)
        Mean arousal per sample (e.g. low during quiet rest, high during task).
    drift_sd, drift_tau : float
        An optional slower OU process (SD ``drift_sd``, time constant ``drift_tau`` s) added to the level:
        vigilance that drifts over minutes (drowsy and alert stretches of one long rest), so windows of a
        few minutes differ in mean arousal. 0 (default) = no drift.
    drift_rng : Generator or int, optional
        Random stream of the drift (default: ``rng``, which shifts its later draws); a separate stream
        leaves every draw of ``rng`` as it was without the drift.

    Returns
    -------
    dict with ``arousal``, ``running_speed`` (cm/s), ``pupil`` (mm), all ``(n_samples,)``.
    """
    rng = _rng(rng)
    n = int(n_samples)
    dt = 1.0 / fs
    a = np.exp(-dt / tau)
    w = rng.standard_normal(n) * np.sqrt(1 - a * a) * 0.6
    ou, _ = lfilter([1.0], [1.0, -a], w, zi=np.array([a * rng.standard_normal() * 0.6]))
    # smooth the level changes over ~3 s so state switches are not instantaneous
    lev = np.broadcast_to(np.asarray(level, float), (n,)).astype(float)
    b = np.exp(-dt / 3.0)
    lev, _ = lfilter([1 - b], [1.0, -b], lev, zi=np.array([b * lev[0]]))
    if drift_sd > 0:
        dr = rng if drift_rng is None else _rng(drift_rng)
        d = np.exp(-dt / float(drift_tau))
        wd = dr.standard_normal(n) * np.sqrt(1 - d * d) * float(drift_sd)
        drift, _ = lfilter([1.0], [1.0, -d], wd, zi=np.array([d * dr.standard_normal() * float(drift_sd)]))
    else:
        drift = 0.0
    arousal = lev + drift + ou
    fast = lfilter([1.0], [1.0, -np.exp(-dt / 0.5)], rng.standard_normal(n) * 0.3)[0] * 0.3
    run = 25.0 * np.clip(arousal - 1.0 + fast, 0, None) ** 1.2
    run = np.clip(run + rng.normal(0, 0.3, n), 0, None)
    c = np.exp(-dt / pupil_lag)
    pup, _ = lfilter([1 - c], [1.0, -c], arousal, zi=np.array([c * arousal[0]]))
    pupil = 1.6 + 0.45 * pup + rng.normal(0, 0.02, n)
    return {"arousal": arousal, "running_speed": run, "pupil": np.clip(pupil, 0.3, None)}


def rates_from_latents(z: np.ndarray, C: np.ndarray, b: np.ndarray, *, gains: np.ndarray | float = 1.0,
                       arousal: np.ndarray | None = None, arousal_coupling: np.ndarray | None = None,
                       extra_drive: np.ndarray | None = None, max_rate: float = 150.0) -> np.ndarray:
    """Firing rates (Hz, float32) ``gains * exp(b + z C^T + arousal * a [+ extra])``, clipped at ``max_rate``.

    Parameters
    ----------
    z : ndarray (n, k)
    C : ndarray (N, k)
        Loadings (readout) of each neuron.
    b : ndarray (N,)
        Log baseline rate.
    gains : float or ndarray (N,)
        Multiplicative gain per neuron (drift across days).
    arousal : ndarray (n,), optional
        Arousal trace; with ``arousal_coupling`` (N,) it multiplies rates by ``exp(a_i * arousal)``.
    extra_drive : ndarray (n, N), optional
        Added to the log-rate (e.g. input through a communication subspace).
    """
    # float32 and in-place: this is the hot loop of the corpus build
    eta = (np.asarray(z, float) @ np.asarray(C, float).T).astype(np.float32)
    eta += np.asarray(b, np.float32)[None, :]
    if arousal is not None and arousal_coupling is not None:
        eta += np.asarray(arousal, np.float32)[:, None] * np.asarray(arousal_coupling, np.float32)[None, :]
    if extra_drive is not None:
        eta += extra_drive.astype(np.float32, copy=False)
    np.minimum(eta, np.float32(np.log(max_rate)), out=eta)
    np.exp(eta, out=eta)
    eta *= np.asarray(gains, np.float32)
    return eta


def spikes_from_latents(z: np.ndarray, C: np.ndarray, b: np.ndarray, fs: float,
                        rng: np.random.Generator | int | None = None, **rate_kw: Any) -> np.ndarray:
    """Poisson spike counts ``(n, N)`` (int32) in bins of ``1/fs`` from :func:`rates_from_latents`.

    Keyword arguments go to :func:`rates_from_latents` (``gains``, ``arousal``, ``arousal_coupling``,
    ``extra_drive``, ``max_rate``).
    """
    rng = _rng(rng)
    lam = rates_from_latents(z, C, b, **rate_kw)
    lam /= np.float32(fs)
    return rng.poisson(lam).astype(np.int32)


def spike_times_from_counts(counts: np.ndarray, fs: float, rng: np.random.Generator | int | None = None,
                            t0: float = 0.0) -> list[np.ndarray]:
    """Spike times (s) of each column of ``counts``: spikes placed uniformly inside their bin, sorted."""
    rng = _rng(rng)
    counts = np.asarray(counts)
    out = []
    for j in range(counts.shape[1]):
        c = counts[:, j]
        idx = np.repeat(np.arange(c.size), c)
        t = t0 + (idx + rng.random(idx.size)) / float(fs)
        out.append(np.sort(t))
    return out


# --------------------------------------------------------------------------------------------
# calcium
# --------------------------------------------------------------------------------------------
def calcium_kernel(fs: float, tau_rise: float, tau_decay: float) -> tuple[list[float], list[float]]:
    """IIR ``(b, a)`` of the difference-of-exponentials calcium kernel (peak 1 per spike) at rate ``fs``.

    The kernel is sampled mid-frame (a spike inside a frame arrives on average half a frame in): an
    AR(2) with poles ``exp(-dt/tau_decay)``, ``exp(-dt/tau_rise)`` and a numerator matching the first
    two samples. Use it as ``scipy.signal.lfilter(b, a, counts, axis=0)``.

    Examples
    --------
    >>> b, a = calcium_kernel(30.0, 0.045, 0.2)
    >>> len(b), len(a)
    (2, 3)
    """
    if not 0 < tau_rise < tau_decay:
        raise ValueError(f"need 0 < tau_rise ({tau_rise}) < tau_decay ({tau_decay}) in seconds.")
    dt = 1.0 / fs
    ad, ar = np.exp(-dt / tau_decay), np.exp(-dt / tau_rise)
    # peak of exp(-t/td) - exp(-t/tr) normalised to 1
    tpk = np.log(tau_decay / tau_rise) * tau_decay * tau_rise / (tau_decay - tau_rise)
    norm = 1.0 / (np.exp(-tpk / tau_decay) - np.exp(-tpk / tau_rise))
    h0 = norm * (np.exp(-0.5 * dt / tau_decay) - np.exp(-0.5 * dt / tau_rise))
    h1 = norm * (np.exp(-1.5 * dt / tau_decay) - np.exp(-1.5 * dt / tau_rise))
    return [h0, h1 - (ad + ar) * h0], [1.0, -(ad + ar), ad * ar]


def calcium_from_spikes(spikes: np.ndarray | list, fs: float, indicator: str = "GCaMP6f",
                        rng: np.random.Generator | int | None = None, *, n_samples: int | None = None,
                        shot_noise: float = 0.06, read_noise: float = 0.02, amp_jitter: float = 0.25,
                        return_clean: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """dF/F of a calcium indicator driven by spikes, ``(n, cells)`` float32.

    Model: spikes -> free calcium (difference of exponentials: rise ``tau_rise``, decay
    ``tau_decay``; peak 1 per spike) -> saturating fluorescence ``A c / (1 + c / k_sat)`` with a
    per-cell amplitude ``A`` (lognormal jitter ``amp_jitter``) -> noise: photon shot noise with variance
    proportional to the fluorescence ``F0 (1 + dF/F)`` plus read noise.

    Parameters
    ----------
    spikes : ndarray (n, cells) of counts per frame at ``fs``, or list of spike-time arrays (s)
        (then ``n_samples`` frames at ``fs`` starting at 0 s are used).
    fs : float
        Frame rate (Hz).
    indicator : str
        A key of :data:`INDICATORS`.
    shot_noise, read_noise : float
        Noise standard deviations in dF/F units at baseline fluorescence.
    return_clean : bool
        Also return the noiseless dF/F.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = rng.poisson(0.1, (300, 3))
    >>> calcium_from_spikes(s, 30.0, rng=rng).shape
    (300, 3)
    """
    rng = _rng(rng)
    if indicator not in INDICATORS:
        raise ValueError(f"indicator={indicator!r} is not one of {sorted(INDICATORS)}.")
    p = INDICATORS[indicator]
    if isinstance(spikes, (list, tuple)):
        if n_samples is None:
            raise ValueError("pass n_samples with spike-time lists.")
        counts = np.zeros((int(n_samples), len(spikes)))
        for j, t in enumerate(spikes):
            idx = np.floor(np.asarray(t) * fs).astype(int)
            idx = idx[(idx >= 0) & (idx < n_samples)]
            np.add.at(counts[:, j], idx, 1)
    else:
        counts = np.asarray(spikes, float)
        if counts.ndim == 1:
            counts = counts[:, None]
    n, m = counts.shape
    b_coef, a_coef = calcium_kernel(fs, p["tau_rise"], p["tau_decay"])
    c = lfilter(b_coef, a_coef, counts, axis=0)
    amp = p["amplitude"] * np.exp(rng.normal(0, amp_jitter, m))
    clean = amp[None, :] * c / (1.0 + c / p["k_sat"])
    noise = rng.standard_normal((n, m)) * (shot_noise * np.sqrt(1.0 + clean)) + rng.standard_normal((n, m)) * read_noise
    dff = (clean + noise).astype(np.float32)
    if return_clean:
        return dff, clean.astype(np.float32)
    return dff


# --------------------------------------------------------------------------------------------
# inter-areal communication
# --------------------------------------------------------------------------------------------
def communication_subspace(source: np.ndarray, n_target: int, rank: int,
                           rng: np.random.Generator | int | None = None, *, strength: float = 0.5,
                           lag: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Drive a target area through a rank-``rank`` map of source activity (Semedo et al. 2019).

    ``drive = shift(source, lag) @ B`` with ``B = V diag(s) U^T`` (``d x n_target``), ``V`` (d x r) and
    ``U`` (n_target x r) orthonormal columns. Only ``rank`` directions of the source reach the target,
    so a reduced-rank regression from source to target activity saturates at that rank.

    Parameters
    ----------
    source : ndarray (n, d)
        Source activity (e.g. the latents that drive the source area, or its log-rates).
    n_target : int
    rank : int
    strength : float
        Singular values are ``strength * [1, 0.7, 0.5, ...]``.
    lag : int
        Delay in samples from source to target (>= 0).

    Returns
    -------
    drive : ndarray (n, n_target)
    mats : dict with ``B``, ``U``, ``V``, ``s``, ``rank``, ``lag``
    """
    rng = _rng(rng)
    source = np.asarray(source, float)
    n, d = source.shape
    r = int(rank)
    if not 1 <= r <= min(d, n_target):
        raise ValueError(f"rank={rank} must be in [1, min(d={d}, n_target={n_target})].")
    V, _ = np.linalg.qr(rng.standard_normal((d, r)))
    U, _ = np.linalg.qr(rng.standard_normal((n_target, r)))
    s = strength * np.array([1.0, 0.7, 0.5, 0.35, 0.25, 0.18][:r] + [0.15] * max(0, r - 6))
    B = V @ np.diag(s) @ U.T * np.sqrt(n_target)  # per-neuron drive of order `strength`
    src = source
    if lag > 0:
        src = np.vstack([np.repeat(source[:1], lag, 0), source[:-lag]])
    return src @ B, {"B": B, "U": U, "V": V, "s": s, "rank": np.int64(r), "lag": np.int64(lag)}
