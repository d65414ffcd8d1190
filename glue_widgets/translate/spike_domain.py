"""Is a trace inside what the supervised spike model was trained and validated on? And which method then?

The shipped model stores, beside its weights, the range of its training traces (frame rate, noise level
ν, decay time estimated from the trace) and the choice rule tuned leave-one-dataset-out on the tuning half
of the ground-truth datasets (``benchmarks/bench_spikes.py``): the weight of the supervised model in a
mix with OASIS, for traces inside the range (slow and fast kinetics apart) and outside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SpikeDomainWarning", "Domain", "ChoiceRule", "training_domain"]


class SpikeDomainWarning(UserWarning):
    """The input lies outside the spike model's training range; a fallback method was used."""


@dataclass
class Domain:
    """Ranges (low, high) of the training traces; NaN bounds are not checked."""

    fs: tuple[float, float] = (2.5, 500.0)
    nu: tuple[float, float] = (0.1, 12.0)
    decay_s: tuple[float, float] = (0.05, 3.0)

    def outside(self, fs: float, nu: float | None, decay_s: float) -> list[str]:
        """Reasons a trace is outside (empty: inside). ``nu=None`` when the ΔF/F scale is unknown."""
        why = []
        for name, v, (lo, hi), unit in (("frame rate", fs, self.fs, "Hz"), ("noise level ν", nu, self.nu, ""),
                                        ("decay time", decay_s, self.decay_s, "s")):
            if v is None or not np.isfinite(v):
                continue
            if v < lo or v > hi:
                why.append(f"{name} {v:.3g}{unit} outside the training range [{lo:.3g}, {hi:.3g}]{unit}")
        return why

    def to_array(self) -> np.ndarray:
        return np.array([*self.fs, *self.nu, *self.decay_s], float)

    @classmethod
    def from_array(cls, a) -> "Domain":
        a = np.asarray(a, float)
        return cls((a[0], a[1]), (a[2], a[3]), (a[4], a[5]))


@dataclass
class ChoiceRule:
    """Weight of the supervised model (1 = supervised only, 0 = OASIS only) by trace."""

    tau_fast: float = 0.0      # decay times (s) below this count as fast kinetics
    w_in: float = 1.0          # inside the domain, normal kinetics
    w_fast: float = 1.0        # inside the domain, fast kinetics
    w_out: float = 0.5         # outside the domain
    meta: dict = field(default_factory=dict)

    def weight(self, outside: bool, decay_s: float) -> float:
        if outside:
            return self.w_out
        if np.isfinite(decay_s) and decay_s < self.tau_fast:
            return self.w_fast
        return self.w_in

    def to_array(self) -> np.ndarray:
        return np.array([self.tau_fast, self.w_in, self.w_fast, self.w_out], float)

    @classmethod
    def from_array(cls, a) -> "ChoiceRule":
        a = np.asarray(a, float)
        return cls(*a[:4])


def training_domain(fs: np.ndarray, nu: np.ndarray, decay_s: np.ndarray, q: float = 1.0) -> Domain:
    """The ``q``-th to ``100-q``-th percentile range of training-trace statistics (frame rate: min–max)."""
    def rng(x, qq):
        x = np.asarray(x, float)
        x = x[np.isfinite(x)]
        return (float(np.percentile(x, qq)), float(np.percentile(x, 100 - qq))) if x.size else (np.nan, np.nan)
    return Domain(rng(fs, 0.0), rng(nu, q), rng(decay_s, q))
