"""Rest statistics: each session's whitened latents turned into the reference's frame by their lagged covariances.

One idea: the signal part of two sessions' whitened latents differs by an orthogonal map, and so do
their whitened lagged covariances ``L(tau)``. :func:`rest_frames` computes the statistics, matches
every session to the reference (or to the group average), and reports which blocks of the frame the
statistics leave free (:func:`~.identifiability.analyse_statistics`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from .identifiability import Subspace, analyse_statistics, lagged_covariances
from .orthogonal import match_statistics, refine_rotation, statistics_cost

__all__ = ["RestFrames", "default_lags", "rest_frames", "GAP_THRESHOLD"]

GAP_THRESHOLD = 4.0  # a rotation is "free" when its noise-scaled eigen gap z is below this


@dataclass
class RestFrames:
    """Result of :func:`rest_frames`: per-session maps ``T[i]`` (whitened -> frame), the blocks, costs."""

    T: list[np.ndarray]
    subspaces: list[Subspace]
    costs: np.ndarray
    lags: tuple[int, ...]
    n_chunks: int


def default_lags(n_min: int) -> tuple[tuple[int, ...], int]:
    """Powers of two up to 64 samples (fewer for short segments) and the number of chunks for errors."""
    n_chunks = 8 if n_min >= 8 * 4 * 8 else 4
    top = max(1, min(64, n_min // (4 * n_chunks)))
    return tuple(2**j for j in range(int(np.log2(top)) + 1)), n_chunks


def rest_frames(ys: list[np.ndarray], lags: tuple[int, ...] | None, reference: int | str) -> RestFrames:
    """Match every session's whitened rest latents ``ys[i]`` to the reference frame by lagged covariances."""
    n_min = min(len(y) for y in ys)
    auto, n_chunks = default_lags(n_min)
    if lags is None:
        lags = auto
    if not lags or min(lags) < 1:
        raise InvalidInputError(f"lags={lags!r} must be positive sample counts.")
    for i, y in enumerate(ys):
        need = max(lags) * n_chunks * 4
        if len(y) < need:
            raise InvalidInputError(f"rest_list[{i}] has {len(y)} samples; with lags up to {max(lags)} at least "
                                    f"{need} are needed. Pass a longer rest segment or smaller lags.")
    ref = 0 if reference == "group" else int(reference)
    stats = [lagged_covariances(y, lags, n_chunks) for y in ys]
    se = np.sqrt(np.mean([s[1] ** 2 for s in stats], axis=0))
    w = 1.0 / se**2
    k = ys[0].shape[1]
    Ms = stats[ref][0]
    R = [np.eye(k) if i == ref else match_statistics(stats[i][0], Ms, w) for i in range(len(ys))]
    if reference == "group":
        for _ in range(3):  # template = average aligned statistics, then realign everyone
            Ms = np.mean([np.einsum("ia,tij,jb->tab", Ri, s[0], Ri) for Ri, s in zip(R, stats)], axis=0)
            R = [refine_rotation(Ri, s[0], Ms, w)[0] for Ri, s in zip(R, stats)]
    costs = np.array([statistics_cost(Ri, s[0], Ms, w)[0] for Ri, s in zip(R, stats)])
    V, subs = analyse_statistics(Ms, se, GAP_THRESHOLD)
    return RestFrames(T=[Ri @ V for Ri in R], subspaces=subs, costs=costs, lags=tuple(lags), n_chunks=n_chunks)
