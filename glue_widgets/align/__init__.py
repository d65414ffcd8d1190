"""Alignment of population activity across days, animals and labs (``gw.align``).

* :class:`RestAligner` — a shared latent frame from rest segments alone (no paired trials, no
  channel correspondence), with an identifiability report and optional anchor events that fix only
  what rest leaves free.
* :class:`PairedCCA` — Gallego et al. (2020): PCA per session + CCA on time-matched task data.
* :class:`Procrustes` — loadings aligned on channels that stay stable (Degenhart et al. 2020 spirit).
* :class:`UnitMatcher` — the same units recorded again with their identities lost: the correspondence
  recovered from rest alone (per-unit features + correlation-graph matching), with match confidence.
* :class:`GroupAligner` — shared response model / hyperalignment: all sessions into one frame.
* :class:`RiemannianRecenter` — covariance re-centring for channel-matched EEG/ECoG.
* :class:`AnchorMapBaseline` — the naive baselines (rest PCA/FA + anchor Procrustes, affine map or CCA).
* :func:`decoder_transfer` — the frozen-decoder protocol the Alignment dashboard and notebook 03 run;
  :func:`check_alignable` — refuses sessions that mix modality families (spikes + EEG) before any fit.
* evaluation: :func:`frozen_decoder_transfer`, :func:`canonical_correlations`, :func:`linear_cka`,
  :func:`procrustes_distance`, :func:`truth_r2`, :func:`frame_error`.
"""

from .evaluate import (canonical_correlations, frame_error, frozen_decoder_transfer, linear_cka,
                       procrustes_distance, truth_r2, within_session_r2)
from .baselines import AnchorMapBaseline
from .compatibility import AlignCheck, check_alignable
from .group import GroupAligner
from .identifiability import Identifiability, Subspace
from .matching import MatchReport, UnitMatcher, unit_features
from .paired_cca import PairedCCA
from .procrustes import Procrustes
from .rest import RestAligner
from .riemann import RiemannianRecenter, window_covariances
from .transfer import decoder_transfer

__all__ = ["RestAligner", "PairedCCA", "Procrustes", "GroupAligner", "RiemannianRecenter",
           "Identifiability", "Subspace", "frozen_decoder_transfer", "within_session_r2",
           "canonical_correlations", "linear_cka", "procrustes_distance", "truth_r2", "frame_error",
           "window_covariances", "UnitMatcher", "MatchReport", "unit_features", "AnchorMapBaseline",
           "decoder_transfer", "check_alignable", "AlignCheck"]
