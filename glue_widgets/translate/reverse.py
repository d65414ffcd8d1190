"""Spikes → calcium (ΔF/F) for simulation: indicator kinetics, saturation and noise.

Independent of the demo generator (analysis may not import sources); the kernel is shared with it
through the neutral :mod:`glue_widgets.simulate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.signal import lfilter

from ..errors import InvalidInputError
from ..model.indicators import INDICATORS, indicator_params
from ..model.validation import check_fs
from ..simulate.spiking import calcium_kernel as _shared_kernel

__all__ = ["INDICATORS", "simulate_calcium", "calcium_kernel"]

def calcium_kernel(fs: float, tau_rise: float, tau_decay: float) -> tuple[list[float], list[float]]:
    """IIR (b, a) of the difference-of-exponentials kernel with peak 1, sampled mid-frame.

    The same kernel as the demo corpus (:func:`glue_widgets.simulate.calcium_kernel`), with this
    package's error type.
    """
    try:
        return _shared_kernel(fs, tau_rise, tau_decay)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc


def simulate_calcium(
    spikes: Any,
    fs: float,
    indicator: str = "GCaMP6f",
    *,
    axis: int = -1,
    tau_rise: float | None = None,
    tau_decay: float | None = None,
    amplitude: float | None = None,
    k_sat: float | None = None,
    shot_noise: float = 0.03,
    read_noise: float = 0.01,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """ΔF/F (fraction) from spike counts per frame.

    spikes → calcium (difference of exponentials, peak 1 per spike) → saturating fluorescence
    ``A c / (1 + c / k_sat)`` → noise: shot noise ∝ √(1 + ΔF/F) plus read noise.

    Parameters
    ----------
    spikes : array
        Spike counts per frame: 1-D, or 2-D ``(cells, time)`` with time along ``axis``.
    fs : float
        Frame rate (Hz).
    indicator : str
        Defaults for kinetics/amplitude/saturation from :data:`glue_widgets.model.indicators.INDICATORS` (the one table); any of them can be overridden.
    shot_noise, read_noise : float
        Noise standard deviations (ΔF/F) per frame at baseline. 0 and 0 give the clean trace.
    seed : int or Generator, optional

    Examples
    --------
    >>> dff = simulate_calcium(np.r_[0, 0, 1, 0, 0, 0], fs=30.0, shot_noise=0, read_noise=0)
    >>> bool(dff[3] > dff[1])
    True
    """
    fs = check_fs(fs)
    p = indicator_params(indicator, tau_rise=tau_rise, tau_decay=tau_decay, amplitude=amplitude, k_sat=k_sat)
    x = np.asarray(spikes, dtype=float)
    if x.ndim not in (1, 2):
        raise InvalidInputError(f"spikes must be 1-D or 2-D (cells, time); got shape {x.shape}.")
    if not np.isfinite(x).all() or (x < 0).any():
        raise InvalidInputError("spikes must be finite non-negative counts per frame.")
    tax = axis % x.ndim
    b, a = calcium_kernel(fs, p["tau_rise"], p["tau_decay"])
    c = lfilter(b, a, x, axis=tax)
    clean = p["amplitude"] * c / (1.0 + c / p["k_sat"])
    rng = np.random.default_rng(seed)
    noise = shot_noise * np.sqrt(1.0 + clean) * rng.standard_normal(x.shape) + read_noise * rng.standard_normal(x.shape)
    return clean + noise
