"""Generative models of the demo corpus: pure numpy (+ scipy.signal.lfilter), public and documented.

Every function takes an explicit ``numpy.random.Generator`` and is deterministic given it. Sample
axes come first (``time x channels``), as in the rest of glue_widgets. The building blocks:

* :func:`latent_params` / :func:`simulate_latents`: a k-dimensional linear dynamical system of one of two
  families, ``"timescales"`` (independent Ornstein-Uhlenbeck latents with distinct time constants; the
  frame is identifiable from lagged covariances) and ``"rotational"`` (a damped rotation plane driven
  by isotropic noise plus slower OU latents; the in-plane rotation angle is *not* fixed by any
  second-order statistic of spontaneous activity).
* :func:`arousal_traces`: a slow arousal process with pupil diameter and running speed read out of it.
* :func:`rates_from_latents` / :func:`spikes_from_latents` / :func:`spike_times_from_counts`: Poisson
  spiking ``rate = gain * exp(b + C z + a * arousal)``.
* :func:`calcium_from_spikes`: a GCaMP-like indicator (rise/decay kinetics, saturation, shot and read
  noise) giving dF/F.
* :func:`communication_subspace`: a rank-r map from one area's activity into another's drive.
* :func:`narrowband`, :func:`pink_noise`, :func:`eeg_sources`, :func:`project`: cortical sources and
  their linear projection to sensors (EEG/ECoG) through a leadfield.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> z = simulate_latents("timescales", 1000, 100.0, 4, rng)
>>> counts = spikes_from_latents(z, rng.normal(0, 0.4, (30, 4)), np.full(30, np.log(5.0)), 100.0, rng)
>>> counts.shape
(1000, 30)
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from scipy.signal import lfilter

__all__ = [
    "FAMILIES",
    "INDICATORS",
    "latent_params",
    "discrete_dynamics",
    "simulate_latents",
    "anchor_response",
    "arousal_traces",
    "rates_from_latents",
    "spikes_from_latents",
    "spike_times_from_counts",
    "calcium_from_spikes",
    "communication_subspace",
    "narrowband",
    "pink_noise",
    "eeg_sources",
    "project",
]

FAMILIES = ("timescales", "rotational")

# Indicator kinetics (s) and unitary dF/F amplitude; from Chen et al. 2013 (Nature 499:295), in-vivo
# single-AP values rounded. ``k_sat`` is the number of near-coincident spikes at which the response
# is half-saturated.
INDICATORS: dict[str, dict[str, float]] = {
    "GCaMP6f": {"tau_rise": 0.045, "tau_decay": 0.20, "amplitude": 0.18, "k_sat": 12.0},
    "GCaMP6m": {"tau_rise": 0.080, "tau_decay": 0.45, "amplitude": 0.22, "k_sat": 12.0},
    "GCaMP6s": {"tau_rise": 0.180, "tau_decay": 0.80, "amplitude": 0.26, "k_sat": 10.0},
}


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# --------------------------------------------------------------------------------------------
# latent dynamics
# --------------------------------------------------------------------------------------------
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


def discrete_dynamics(params: Mapping[str, Any], fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Discrete-time ``z[t+1] = A z[t] + w``, ``w ~ N(0, Q)`` at rate ``fs`` (unit stationary variance).

    Returns ``(A, Q)``, both ``k x k``.
    """
    k = int(params["k"])
    dt = 1.0 / float(fs)
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


def anchor_response(params: Mapping[str, Any], fs: float, duration: float = 1.0,
                    rng: np.random.Generator | int | None = None, amplitude: float = 2.0) -> np.ndarray:
    """A fixed latent response to the anchor stimulus, ``(round(duration*fs), k)``.

    Added directly to the latents at every anchor onset, so the latent response is identical on every
    repeat and every day of one generator. In the rotational family it is a decaying rotation in the
    plane, which pins down the plane's orientation that rest statistics leave free.
    """
    rng = _rng(rng)
    k = int(params["k"])
    L = int(round(duration * fs))
    t = np.arange(L) / fs
    env = (t / 0.1) * np.exp(1 - t / 0.1) if L else t  # alpha function, peak at 100 ms
    env = np.sqrt(np.clip(env, 0, None)) * np.exp(-t / max(duration / 2, 1e-3))
    r = np.zeros((L, k))
    direction = rng.standard_normal(k)
    direction /= np.linalg.norm(direction)
    r += amplitude * env[:, None] * direction[None, :]
    if params.get("plane") is not None:
        i, j = params["plane"]
        w = 2 * np.pi * float(params["rotation_hz"][i])
        phase0 = rng.uniform(0, 2 * np.pi)
        r[:, i] = amplitude * env * np.cos(w * t + phase0)
        r[:, j] = amplitude * env * np.sin(w * t + phase0)
    return r


# --------------------------------------------------------------------------------------------
# arousal, spiking
# --------------------------------------------------------------------------------------------
def arousal_traces(n_samples: int, fs: float, rng: np.random.Generator | int | None = None, *,
                   level: np.ndarray | float = 0.0, tau: float = 15.0,
                   pupil_lag: float = 1.0) -> dict[str, np.ndarray]:
    """A slow arousal process and what it drives: running speed and pupil diameter.

    ``arousal = level(t) + OU(tau)``; running speed (cm/s) is a rectified, bout-like function of arousal
    (running when arousal exceeds 1); pupil diameter (mm) follows arousal smoothed with ``pupil_lag``.

    Parameters
    ----------
    level : float or ndarray (n_samples,)
        Mean arousal per sample (e.g. low during quiet rest, high during task).

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
    arousal = lev + ou
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
    dt = 1.0 / fs
    ad, ar = np.exp(-dt / p["tau_decay"]), np.exp(-dt / p["tau_rise"])
    # peak of exp(-t/td) - exp(-t/tr) normalised to 1
    tpk = np.log(p["tau_decay"] / p["tau_rise"]) * p["tau_decay"] * p["tau_rise"] / (p["tau_decay"] - p["tau_rise"])
    norm = 1.0 / (np.exp(-tpk / p["tau_decay"]) - np.exp(-tpk / p["tau_rise"]))
    # a spike inside a frame arrives on average half a frame in: sample the kernel at (i + 0.5) dt
    h0 = norm * (np.exp(-0.5 * dt / p["tau_decay"]) - np.exp(-0.5 * dt / p["tau_rise"]))
    h1 = norm * (np.exp(-1.5 * dt / p["tau_decay"]) - np.exp(-1.5 * dt / p["tau_rise"]))
    # AR(2) with poles ad, ar and numerator matching the first two kernel samples
    a_coef = [1.0, -(ad + ar), ad * ar]
    b_coef = [h0, h1 - (ad + ar) * h0]
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


# --------------------------------------------------------------------------------------------
# field potentials, EEG / ECoG sources
# --------------------------------------------------------------------------------------------
def narrowband(n_samples: int, fs: float, freq: float, bandwidth: float = 2.0,
               rng: np.random.Generator | int | None = None) -> np.ndarray:
    """A narrowband oscillation (unit variance) at ``freq`` Hz: a resonant complex AR(1), real part."""
    rng = _rng(rng)
    n = int(n_samples)
    a = np.exp(-np.pi * bandwidth / fs)
    lam = a * np.exp(2j * np.pi * freq / fs)
    w = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * np.sqrt(1 - a * a)
    z, _ = lfilter([1.0], [1.0, -lam], w, zi=np.array([lam * (rng.standard_normal() + 1j * rng.standard_normal())]))
    return z.real


def pink_noise(n_samples: int, n_channels: int, fs: float, rng: np.random.Generator | int | None = None,
               exponent: float = 1.0, f_min: float = 0.5) -> np.ndarray:
    """Noise with a ``1/f**exponent`` power spectrum, ``(n, channels)``, unit variance per channel."""
    rng = _rng(rng)
    n = int(n_samples)
    X = rng.standard_normal((n // 2 + 1, n_channels)) + 1j * rng.standard_normal((n // 2 + 1, n_channels))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    X *= (np.maximum(f, f_min) ** (-exponent / 2))[:, None]
    x = np.fft.irfft(X, n=n, axis=0)
    x -= x.mean(0)
    return x / x.std(0)


def eeg_sources(z: np.ndarray, fs: float, source_names: list[str], rng: np.random.Generator | int | None = None,
                *, eyes_closed: np.ndarray | None = None, task: np.ndarray | None = None,
                alpha_hz: float = 10.0, mu_hz: float = 11.0, mixing: np.ndarray | None = None
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Cortical source time courses ``(n, n_sources)`` (nA·m) from latents plus rhythms.

    Each source = a mix of the (upsampled) latents ``z`` (broadband population dynamics) + 1/f noise;
    sources whose name starts with ``occipital`` carry alpha (``alpha_hz``), 4x larger where
    ``eyes_closed``; sources starting with ``motor`` carry a mu rhythm suppressed where ``task``.

    Returns
    -------
    S : ndarray (n, n_sources)
    parts : dict with ``mixing`` (k x n_sources) and ``alpha`` (n,) the alpha envelope used.
    """
    rng = _rng(rng)
    n, k = z.shape
    m = len(source_names)
    if mixing is None:
        mixing = rng.normal(0, 1.0 / np.sqrt(k), (k, m))
    S = z @ mixing + 0.5 * pink_noise(n, m, fs, rng)
    ec = np.zeros(n) if eyes_closed is None else np.asarray(eyes_closed, float)
    tk = np.zeros(n) if task is None else np.asarray(task, float)
    alpha_gain = 0.6 + 2.4 * ec
    for j, name in enumerate(source_names):
        if name.startswith("occipital"):
            S[:, j] += 1.2 * alpha_gain * narrowband(n, fs, alpha_hz + rng.uniform(-0.5, 0.5), 1.5, rng)
        elif name.startswith("motor"):
            S[:, j] += 0.8 * (1.0 - 0.7 * tk) * narrowband(n, fs, mu_hz, 2.0, rng)
    return S * 10.0, {"mixing": mixing, "alpha": alpha_gain}


def project(sources: np.ndarray, leadfield: np.ndarray, rng: np.random.Generator | int | None = None,
            noise_sd: float = 0.0) -> np.ndarray:
    """Sensor signals ``sources @ leadfield.T`` (+ white sensor noise), ``(n, n_sensors)``.

    ``leadfield`` is ``(n_sensors, n_sources)``; with ``noise_sd=0`` the result is exactly a linear
    projection of the sources (rank <= n_sources).
    """
    x = np.asarray(sources, float) @ np.asarray(leadfield, float).T
    if noise_sd:
        x = x + _rng(rng).normal(0, noise_sd, x.shape)
    return x
