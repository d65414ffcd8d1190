"""Fair physics baseline ECoG → EEG: dipoles where the contacts are, MNE sphere forward, CV-chosen min-norm.

The same chain as :func:`~.ecog_physics.forward_baseline`, but the dipoles sit where the activity the
grid records is: radial dipoles just below each contact (optionally a margin of cortex around the
grid), in the sphere fitted to the EEG electrodes; depth, margin, depth weighting and the minimum-norm
regularization are chosen on training recordings only (four scalars, no learned weights).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.wrap import as_array, like_input
from .ecog_physics import (
    SIGMA_BRAIN,
    check_montage,
    check_positions,
    contact_source_space,
    ecog_leadfield,
    eeg_leadfield,
    head_sphere,
    min_norm,
    training_subjects,
)

__all__ = ["ContactPhysicsEcogToEeg"]


class ContactPhysicsEcogToEeg(BaseEstimator):
    """Physics baseline ECoG → EEG with sources where the contacts are (no learned weights).

    For each subject: a sphere fitted to the EEG electrode positions (``mne.make_sphere_model``);
    radial dipoles ``depth`` below each ECoG contact (plus an optional ``margin`` of cortex around the
    grid, :func:`contact_source_space`); EEG leadfield by ``mne.make_forward_solution`` through the
    3-shell sphere with that discrete source space; ECoG leadfield of a dipole in an infinite
    homogeneous conductor (σ = 0.33 S/m; MNE's forward has no subdural sensors); a minimum-norm
    inverse of the ECoG onto the dipoles, then the EEG forward. Operator: EEG ≈ ECoG @ M.

    ``fit`` only chooses the four scalars (depth, margin, depth weighting, λ²) that maximize the mean EEG R² over
    the given training recordings (their own sampling, no held-out data); ``fit`` with no subjects
    keeps the first value of each grid (pure physics, nothing seen).

    Parameters
    ----------
    depths : sequence of float
        Candidate dipole depths below the contacts (m).
    margins : sequence of float
        Candidate arcs of extra cortex around the grid (m); 0 = dipoles under the contacts only.
    depth_exps : sequence of float
        Candidate MNE depth-weighting exponents (0 = none; 0.8 = MNE's default): without it the
        minimum norm explains everything with the dipoles right under the contacts.
    lambdas : sequence of float
        Candidate minimum-norm regularizations (MNE's 1/SNR², relative to mean ECoG leadfield power).
    spacing : float
        Dipole spacing in the margin (m).

    Attributes
    ----------
    depth_, margin_, depth_exp_, lambda2_, cv_scores_ (DataFrame depth × margin × depth_exp × λ² → mean
    training R²),
    eeg_names_, sphere_ (the fitted MNE sphere), r0_.

    Examples
    --------
    >>> m = ContactPhysicsEcogToEeg().fit([(ecog1, eeg1, pos1)], eeg_pos, names)  # doctest: +SKIP
    >>> eeg_hat = m.predict(ecog_new, pos_new)                                     # doctest: +SKIP
    """

    def __init__(self, depths: Sequence[float] = (0.004, 0.012), margins: Sequence[float] = (0.0, 0.02, 0.04, 0.08),
                 depth_exps: Sequence[float] = (0.0, 0.8), lambdas: Sequence[float] = tuple(np.logspace(-3, 1, 9)),
                 spacing: float = 0.007):
        self.depths = depths
        self.margins = margins
        self.depth_exps = depth_exps
        self.lambdas = lambdas
        self.spacing = spacing

    def _leadfields(self, ecog_pos: Any, depth: float, margin: float) -> tuple[np.ndarray, np.ndarray]:
        ecog_pos = check_positions(ecog_pos)
        rr, nn = contact_source_space(ecog_pos, self.r0_, depth, margin, self.spacing)
        G_eeg, keep = eeg_leadfield(self.info_, self.sphere_, rr, nn, mindist=0.0)  # dipoles outside are dropped
        G_ecog = ecog_leadfield(ecog_pos, rr[keep], nn[keep], SIGMA_BRAIN)
        return G_ecog, G_eeg

    def operator(self, ecog_pos: Any, depth: float | None = None, margin: float | None = None,
                 lambda2: float | None = None, depth_exp: float | None = None) -> np.ndarray:
        """The ECoG → EEG matrix M (n_ecog × n_eeg) for a grid at ``ecog_pos`` (fitted values by default)."""
        if not hasattr(self, "sphere_"):
            raise InvalidInputError("this ContactPhysicsEcogToEeg is not fitted yet; call fit first.")
        depth = self.depth_ if depth is None else depth
        margin = self.margin_ if margin is None else margin
        lambda2 = self.lambda2_ if lambda2 is None else lambda2
        depth_exp = self.depth_exp_ if depth_exp is None else depth_exp
        G_ecog, G_eeg = self._leadfields(ecog_pos, depth, margin)
        return (G_eeg @ min_norm(G_ecog, lambda2, depth_exp)).T

    def fit(self, subjects: Sequence[tuple[Any, Any, Any]], eeg_pos: Any,
            eeg_names: Sequence[str]) -> "ContactPhysicsEcogToEeg":
        """Choose depth, margin and λ² on training recordings: a list of ``(ecog, eeg, ecog_pos)``
        (time-paired; EEG columns in the order of ``eeg_names``); may be empty (first grid values)."""
        import pandas as pd

        eeg_pos, names = check_montage(eeg_pos, eeg_names)
        for name, grid in (("depths", self.depths), ("margins", self.margins), ("depth_exps", self.depth_exps),
                           ("lambdas", self.lambdas)):
            if len(grid) == 0 or any(not np.isfinite(v) or v < 0 for v in grid):
                raise InvalidInputError(f"{name}={list(grid)} must be a non-empty list of finite values ≥ 0.")
        self.eeg_names_ = names
        self.info_, self.sphere_, self.r0_, _ = head_sphere(eeg_pos, names)
        stats = []
        for _, X, Y, pos in training_subjects(subjects, len(names)):
            X, Y = X - X.mean(0), Y - Y.mean(0)
            stats.append((pos, X.T @ X, X.T @ Y, (Y**2).sum(0)))
        rows = []
        for depth in self.depths:
            for margin in self.margins:
                lfs = [self._leadfields(pos, float(depth), float(margin)) for pos, *_ in stats]
                for dexp in self.depth_exps:
                    for lam in self.lambdas:
                        r2 = []
                        for (G_ecog, G_eeg), (_, xx, xy, yy) in zip(lfs, stats):
                            M = (G_eeg @ min_norm(G_ecog, float(lam), float(dexp))).T
                            sse = yy - 2 * (M * xy).sum(0) + (M * (xx @ M)).sum(0)  # ‖Y − XM‖² per channel
                            with np.errstate(divide="ignore", invalid="ignore"):
                                r2.append(float(np.nanmean(np.where(yy > 0, 1 - sse / yy, np.nan))))
                        rows.append(dict(depth=float(depth), margin=float(margin), depth_exp=float(dexp),
                                         lambda2=float(lam), r2=float(np.mean(r2)) if r2 else np.nan))
        self.cv_scores_ = pd.DataFrame(rows)
        best = self.cv_scores_.iloc[int(np.nanargmax(self.cv_scores_.r2.values))] if stats else self.cv_scores_.iloc[0]
        self.depth_, self.margin_, self.lambda2_ = float(best.depth), float(best.margin), float(best.lambda2)
        self.depth_exp_ = float(best.depth_exp)
        self.cv_ = {"scheme": f"chosen on {len(stats)} training recording(s)" if stats else "no training data (defaults)",
                    "depth": self.depth_, "margin": self.margin_, "depth_exp": self.depth_exp_,
                    "lambda2": self.lambda2_,
                    "train_r2": float(best.r2) if stats else float("nan")}
        return self

    def predict(self, ecog: Any, ecog_pos: Any) -> Any:
        """EEG (time × n_eeg, columns ``eeg_names_``, V) from ECoG (V) and its contact positions (head frame, m).
        A DataArray when ``ecog`` is one."""
        X, meta = as_array(ecog, name="ecog")
        M = self.operator(ecog_pos)
        if M.shape[0] != X.shape[1]:
            raise InvalidInputError(f"ecog has {X.shape[1]} channels but ecog_pos has {M.shape[0]} positions.")
        return like_input(X @ M, meta, channels=self.eeg_names_,
                          attrs={"modality": "eeg", "translated_by": "ContactPhysicsEcogToEeg"})
