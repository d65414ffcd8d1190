"""The candidate maps of RestAligner's held-out anchor choice, on factor-analysis and PCA reductions.

One idea: no single reduction or map wins on every kind of data (factor analysis misreads the slow,
correlated noise of a calcium indicator; PCA keeps private noise in the latents), so the naive
baselines' mechanisms are candidates too. Every session is reduced twice from its rest segment
(factor analysis, the frame's reduction, and z-score + PCA). Candidates on the factor-analysis
latents map straight onto the reference's frame; candidates on the PCA latents map onto the
reference's PCA latents (orthogonal Procrustes, CCA, least squares + offset: the baselines) and then
through one fixed linear map ``G`` from the reference's PCA latents to its frame, fitted on the
reference's own rest segment. Every candidate is scored the same way: held-out anchor error in the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .anchors import affine_map, block_orthogonal, cca_map, cross_validate, orthogonal_map

__all__ = ["FA_MAPS", "PCA_MAPS", "SECONDARY", "Candidate", "candidate_maps", "pca_to_frame"]

FA_MAPS = ("rest", "orthogonal", "cca", "affine")  # on the frame's own reduction
SECONDARY = ("orthogonal", "cca", "affine")  # on the other reduction, named "pca-orthogonal" (or "fa-...")
PCA_MAPS = tuple(f"pca-{m}" for m in SECONDARY) + tuple(f"fa-{m}" for m in SECONDARY)


@dataclass
class Candidate:
    """One candidate: its reduction, full-data map into the frame ``(M, c)`` and held-out predictions."""

    reduction: str
    M: np.ndarray
    c: np.ndarray
    pred: np.ndarray | None


def pca_to_frame(y_pca_ref: np.ndarray, z_frame_ref: np.ndarray) -> np.ndarray:
    """Least-squares ``G`` with ``y_pca_ref G ~ z_frame_ref`` on the reference's rest (both zero-mean there)."""
    return np.linalg.lstsq(y_pca_ref, z_frame_ref, rcond=None)[0]


def _zero(fit: Callable) -> Callable:
    return lambda a, b: (fit(a, b), np.zeros(a.shape[1]))


def candidate_maps(a_fa: np.ndarray, T_rest: np.ndarray, b: np.ndarray, blocks: list, noise_fa: np.ndarray,
                   folds: list[np.ndarray], a_pca: np.ndarray | None = None, b_pca: np.ndarray | None = None,
                   G: np.ndarray | None = None, noise_pca: np.ndarray | None = None,
                   other: str = "pca") -> dict[str, Candidate]:
    """Every candidate map of one session (anchor latents ``a_*``) onto the reference's anchor latents ``b``.

    ``T_rest`` is the session's rest frame; ``blocks`` what rest left open. PCA candidates are built
    when ``a_pca``, ``b_pca`` (the reference's PCA anchor latents) and ``G`` are given. Held-out
    predictions (``pred``) are None when there are no folds.
    """
    k = b.shape[1]
    specs: dict[str, tuple[str, np.ndarray, np.ndarray, Callable, np.ndarray, np.ndarray]] = {
        "rest": ("primary", a_fa @ T_rest, b, _zero(lambda x, y: block_orthogonal(x, y, blocks)), T_rest, np.eye(k)),
        "orthogonal": ("primary", a_fa, b, _zero(orthogonal_map), np.eye(k), np.eye(k)),
        "cca": ("primary", a_fa, b, cca_map, np.eye(k), np.eye(k)),
        "affine": ("primary", a_fa, b, lambda x, y: affine_map(x, y, noise_fa), np.eye(k), np.eye(k)),
    }
    if a_pca is not None and b_pca is not None and G is not None:
        specs.update({
            f"{other}-orthogonal": ("secondary", a_pca, b_pca, _zero(orthogonal_map), np.eye(k), G),
            f"{other}-cca": ("secondary", a_pca, b_pca, cca_map, np.eye(k), G),
            f"{other}-affine": ("secondary", a_pca, b_pca, lambda x, y: affine_map(x, y, noise_pca), np.eye(k), G)})
    out = {}
    for name, (red, a, target, fit, pre, post) in specs.items():
        M, c = fit(a, target)
        pred = cross_validate(fit, a, target, folds) @ post if folds else None
        out[name] = Candidate(red, pre @ M @ post, c @ post, pred)
    return out
