"""Fragments of known kinship: generator groups, each fragment its group's dynamics in its own noise
realisation, read out into its own random channels, with observation noise that varies independently
of the groups. The test bed of the error map (does it measure closeness, or noise?).

Examples
--------
>>> frags, groups, info = kinship_fragments(seed=0)
>>> len(frags), sorted(set(groups)), 20 <= frags["g0_f0"].shape[1] <= 60
(12, [0, 1, 2], True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._rng import as_generator as _rng
from .latents import simulate_latents

__all__ = ["group_params", "kinship_fragments"]


def group_params(k: int, rng: np.random.Generator) -> dict[str, Any]:
    """Random stable dynamics of one group: a damped rotation plane (0.3-3 Hz, decay 0.2-1.5 s) and
    ``k - 2`` OU latents with log-uniform time constants (0.05-2 s)."""
    taus = np.exp(rng.uniform(np.log(0.05), np.log(2.0), k))
    taus[:2] = rng.uniform(0.2, 1.5)
    rot = np.zeros(k)
    rot[:2] = np.exp(rng.uniform(np.log(0.3), np.log(3.0)))
    return {"family": "rotational", "k": k, "taus": taus, "rotation_hz": rot, "plane": (0, 1)}


def kinship_fragments(n_groups: int = 3, per_group: int = 4, k: int = 4, duration: float = 120.0,
                      fs: float = 50.0, channels: tuple[int, int] = (20, 60),
                      snr_db: tuple[float, float] = (-10.0, 0.0), channel_spread_db: float = 3.0,
                      seed: int | np.random.Generator | None = 0) -> tuple[dict[str, np.ndarray], list[int], dict]:
    """Simulate ``n_groups x per_group`` fragments of known kinship.

    Each group draws its dynamics (:func:`group_params`); each fragment simulates them afresh
    (own noise realisation), reads them out through its own random Gaussian loadings into
    ``channels`` (uniform range) channels, and adds white observation noise. A fragment's SNR level is
    drawn uniformly in ``snr_db`` (default -10 to 0 dB: a tenfold range), independently of its group;
    each channel's SNR is that level ± ``channel_spread_db`` (uniform).

    Returns
    -------
    (fragments, groups, info)
        ``{name: (time, channel) array}``, the group of each fragment (in order), and
        ``{"params": [...], "snr_db": {name: level}}``.
    """
    rng = _rng(seed)
    params = [group_params(k, rng) for _ in range(n_groups)]
    n = int(round(duration * fs))
    frags, groups, snrs = {}, [], {}
    for g in range(n_groups):
        for i in range(per_group):
            z = simulate_latents(params[g], n, fs, rng=rng)
            c = int(rng.integers(channels[0], channels[1] + 1))
            L = rng.normal(size=(k, c)) / np.sqrt(k)
            s = z @ L
            level = rng.uniform(*snr_db)
            ch_db = level + rng.uniform(-channel_spread_db, channel_spread_db, c)
            noise_sd = s.std(0) / np.sqrt(10 ** (ch_db / 10))
            x = s + rng.normal(size=s.shape) * noise_sd
            name = f"g{g}_f{i}"
            frags[name] = x
            groups.append(g)
            snrs[name] = float(level)
    return frags, groups, {"params": params, "snr_db": snrs}
