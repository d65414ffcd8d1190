"""ECoG/iEEG ↔ scalp EEG: a learned mapping (with prediction intervals) and the physics baselines.

One mechanism per file; every public name stays importable from here:

- learned, channel to channel: :class:`EcogToEeg` (this file) — ridge or reduced-rank regression
  fitted on simultaneous recordings, regularization/rank by blocked CV, Gaussian prediction intervals
  from out-of-fold residuals;
- physics (:mod:`.ecog_physics`): :func:`forward_baseline` / :func:`physics_operator` — a generic
  cortical shell of radial dipoles in an MNE spherical head fitted to the EEG electrodes, ECoG mapped
  to it by a minimum-norm inverse and forward to EEG; needs electrode positions, not training data;
- fair physics (:mod:`.ecog_contact`): :class:`ContactPhysicsEcogToEeg` — dipoles under the contacts,
  four scalars chosen on training recordings;
- transferable learned (:mod:`.ecog_source_space`): :class:`SourceSpaceEcogToEeg` — one ridge from a
  source space every subject shares, for a subject never seen in training.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInputError
from .ecog_contact import ContactPhysicsEcogToEeg
from .ecog_physics import (
    SIGMA_BRAIN,
    contact_source_space,
    ecog_leadfield,
    forward_baseline,
    physics_operator,
    shell_source_space,
)
from .ecog_source_space import SourceSpaceEcogToEeg
from .translator import Translator

__all__ = ["EcogToEeg", "SourceSpaceEcogToEeg", "ContactPhysicsEcogToEeg", "forward_baseline", "shell_source_space",
           "contact_source_space", "physics_operator", "ecog_leadfield", "SIGMA_BRAIN"]


class EcogToEeg(Translator):
    """Learned ECoG (or iEEG) → EEG mapping on simultaneous recordings (a :class:`Translator`).

    Same parameters as :class:`Translator` (default ridge; ``model="rrr"`` for reduced rank,
    ``lags`` for temporal filtering). ``fit`` checks that both inputs have the same sampling rate when
    they are DataArrays with an ``fs`` attribute. ``predict(X, return_interval=True)`` gives
    prediction intervals from out-of-fold residuals.

    Examples
    --------
    >>> m = EcogToEeg().fit(ecog_train, eeg_train)                   # doctest: +SKIP
    >>> eeg_hat, lo, hi = m.predict(ecog_test, return_interval=True)  # doctest: +SKIP
    """

    def fit(self, X: Any, Y: Any) -> "EcogToEeg":
        """Fit on paired ECoG ``X`` and EEG ``Y`` (time × channels, same sampling rate)."""
        fx, fy = getattr(X, "attrs", {}).get("fs"), getattr(Y, "attrs", {}).get("fs")
        if fx is not None and fy is not None and abs(float(fx) - float(fy)) > 1e-6 * float(fx):
            raise InvalidInputError(f"ECoG fs={fx} and EEG fs={fy} differ; resample one to the other first.")
        return super().fit(X, Y)
