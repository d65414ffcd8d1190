"""Field potentials and EEG/ECoG: narrowband rhythms, 1/f noise, cortical sources and their projection."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ._rng import as_generator as _rng

__all__ = ["narrowband", "pink_noise", "eeg_sources", "project"]


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
