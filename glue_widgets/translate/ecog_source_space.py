"""Transferable learned ECoG → EEG: one ridge from a source space shared by every subject to the EEG.

For a subject never seen in training. Each subject's ECoG goes through the same minimum-norm inverse
(from its own contact positions) onto the generic cortical shell, which every subject shares; one
ridge from those source estimates to the EEG channels is learned across the training subjects (α by
leave-one-subject-out). A channel-to-channel :class:`~.ecog_eeg.EcogToEeg` cannot do this: a new
grid's channels are other places on the cortex.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.wrap import as_array, like_input
from .cv import best_penalty, r2_per_target
from .ecog_physics import (
    SIGMA_BRAIN,
    check_montage,
    check_positions,
    ecog_leadfield,
    head_sphere,
    min_norm,
    shell_source_space,
    training_subjects,
)
from .ridge import solve_ridge

__all__ = ["SourceSpaceEcogToEeg"]


def _mirror_partner(name: str) -> str | None:
    """10-20 mirror partner (odd = left ↔ even = right, 'z' midline stays); None if not a 10-20 name."""
    m = re.match(r"^([A-Za-z]+)(\d+)$", name)
    if m is None:
        return name if name.lower().endswith("z") else None
    k = int(m.group(2))
    return f"{m.group(1)}{k + 1 if k % 2 else k - 1}"


class SourceSpaceEcogToEeg(BaseEstimator):
    """ECoG → EEG learned in a source space shared by all subjects, so it transfers to a new subject.

    A channel-to-channel regression cannot be applied to a subject whose grid has other contacts (or
    sits on the other hemisphere). Here each subject's ECoG is first mapped, through physics and its
    own electrode positions, to a minimum-norm estimate on a generic cortical shell (the same
    ``n_sources`` dipoles for every subject, see :func:`~.ecog_physics.physics_operator`); a ridge
    regression from these source estimates to the EEG channels is then learned on the training
    subjects' paired recordings. A new subject needs only its ECoG, its contact positions and the
    same EEG montage.

    Parameters
    ----------
    alphas : sequence of float
        Ridge penalties relative to the mean variance of the source features.
    mirror : bool
        Also train on left–right mirrored copies of each training subject (contacts x → −x, EEG
        channels swapped with their 10-20 partners: Fp1 ↔ Fp2 …), so a grid on the hemisphere that no
        training subject has is still inside the training distribution. Assumes left–right symmetry of
        the head, not of the brain activity. Off by default: on the demo subjects it made transfer
        worse (benchmarks/results/translate.md).
    n_sources, source_radius, lambda2 : as in :func:`~.ecog_physics.physics_operator`.
    cv : int
        Folds used to choose α when only one subject is given (contiguous blocks); with ≥ 2 subjects α
        is chosen by leave-one-subject-out (a subject and its mirror copy leave together), which is the
        transfer the model is for.

    Attributes
    ----------
    coef_ (n_sources × n_eeg), alpha_, cv_scores_ (mean R² per α), eeg_names_, src_pos_, src_ori_.

    Examples
    --------
    >>> m = SourceSpaceEcogToEeg().fit([(ecog1, eeg1, pos1), (ecog2, eeg2, pos2)], eeg_pos, names)  # doctest: +SKIP
    >>> eeg_hat = m.predict(ecog_new, pos_new)                                                     # doctest: +SKIP
    """

    def __init__(self, alphas: Sequence[float] = tuple(np.logspace(-4, 3, 15)), mirror: bool = False,
                 n_sources: int = 400, source_radius: float = 0.78, lambda2: float = 1.0 / 9.0, cv: int = 5):
        self.alphas = alphas
        self.mirror = mirror
        self.n_sources = n_sources
        self.source_radius = source_radius
        self.lambda2 = lambda2
        self.cv = cv

    def _features(self, X: np.ndarray, ecog_pos: Any) -> np.ndarray:
        G = ecog_leadfield(check_positions(ecog_pos), self.src_pos_, self.src_ori_, SIGMA_BRAIN)
        K = min_norm(G, self.lambda2)  # sources × contacts
        if K.shape[1] != X.shape[1]:
            raise InvalidInputError(f"ecog has {X.shape[1]} channels but ecog_pos has {K.shape[1]} positions.")
        F = X @ K.T
        return F - F.mean(0)

    def fit(self, subjects: Sequence[tuple[Any, Any, Any]], eeg_pos: Any,
            eeg_names: Sequence[str]) -> "SourceSpaceEcogToEeg":
        """Fit on training subjects: a list of ``(ecog, eeg, ecog_pos)`` (time-paired; EEG columns in
        the order of ``eeg_names``, the montage shared by all subjects, positions ``eeg_pos``)."""
        eeg_pos, names = check_montage(eeg_pos, eeg_names)
        if len(subjects) == 0:
            raise InvalidInputError("give at least one (ecog, eeg, ecog_pos) training subject.")
        self.eeg_names_ = names
        _, _, r0, radius = head_sphere(eeg_pos, names)
        self.src_pos_, self.src_ori_ = shell_source_space(r0, float(self.source_radius) * radius, int(self.n_sources))
        perm = None
        if self.mirror:
            partners = [_mirror_partner(n) for n in names]
            if any(p not in names for p in partners):
                bad = [n for n, p in zip(names, partners) if p not in names]
                raise InvalidInputError(f"mirror=True needs every EEG channel's 10-20 partner; missing for {bad}. "
                                        "Use mirror=False.")
            perm = [names.index(p) for p in partners]
        blocks = []  # (group, F, Y)
        for g, X, Y, pos in training_subjects(subjects, len(names)):
            Y = Y - Y.mean(0)
            blocks.append((g, self._features(X, pos), Y))
            if perm is not None:
                mpos = np.asarray(pos, float) * np.array([-1.0, 1.0, 1.0])
                blocks.append((g, self._features(X, mpos), Y[:, perm]))
        groups = sorted({b[0] for b in blocks})
        if len(groups) >= 2:
            folds = [[i for i, b in enumerate(blocks) if b[0] == g] for g in groups]
            stats = [(b[1].T @ b[1], b[1].T @ b[2]) for b in blocks]
            tests = [[(blocks[i][1], blocks[i][2]) for i in f if i % (2 if perm else 1) == 0] for f in folds]
        else:  # one subject: contiguous time blocks
            edges = np.linspace(0, blocks[0][1].shape[0], self.cv + 1).astype(int)
            cut = [(F[a:b], Y[a:b]) for _, F, Y in blocks for a, b in zip(edges[:-1], edges[1:])]
            stats = [(F.T @ F, F.T @ Y) for F, Y in cut]
            folds = [[k * self.cv + j for k in range(len(blocks))] for j in range(self.cv)]
            tests = [[cut[j]] for j in range(self.cv)]
        XX = sum(s[0] for s in stats)
        XY = sum(s[1] for s in stats)
        scale = np.trace(XX) / XX.shape[0]  # penalties relative to the mean source-feature variance
        scores = []
        for a in self.alphas:
            s = []
            for f, te in zip(folds, tests):
                B = solve_ridge(XX - sum(stats[i][0] for i in f), XY - sum(stats[i][1] for i in f), a * scale)
                # zero-mean predictions: R² around each test block's own mean
                s += [np.nanmean(r2_per_target(Yt - Yt.mean(0), Ft @ B)) for Ft, Yt in te]
            scores.append(float(np.mean(s)))
        self.cv_scores_ = dict(zip(map(float, self.alphas), scores))
        self.alpha_ = float(self.alphas[best_penalty(scores, self.alphas)])
        self.coef_ = solve_ridge(XX, XY, self.alpha_ * scale)
        self.cv_ = {"scheme": "leave-one-subject-out" if len(groups) >= 2 else f"blocked {self.cv}-fold",
                    "alpha": self.alpha_, "mirror": bool(self.mirror), "n_subjects": len(groups),
                    "cv_r2_mean": float(np.nanmax(scores))}
        return self

    def predict(self, ecog: Any, ecog_pos: Any) -> Any:
        """EEG (time × n_eeg, columns ``eeg_names_``) predicted for any subject from its ECoG and contact
        positions (head frame, m). Zero-mean output (the mapping has no intercept). A DataArray when
        ``ecog`` is one."""
        if not hasattr(self, "coef_"):
            raise InvalidInputError("this SourceSpaceEcogToEeg is not fitted yet; call fit first.")
        X, meta = as_array(ecog, name="ecog")
        Yh = self._features(X, ecog_pos) @ self.coef_
        return like_input(Yh, meta, channels=self.eeg_names_,
                          attrs={"modality": "eeg", "translated_by": "SourceSpaceEcogToEeg"})
