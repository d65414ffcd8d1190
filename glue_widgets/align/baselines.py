"""Naive anchor-map baselines: what a reviewer tries first, kept beside every alignment result.

One idea: reduce each session's rest segment on its own (z-score + PCA, or factor analysis), then map
every session onto the reference with the anchor responses alone: an orthogonal Procrustes map, an
affine least-squares map, or CCA on the anchors. About thirty lines each; the benchmark suite and the
tests run them beside :class:`~.rest.RestAligner`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from .anchors import affine_map, orthogonal_map, parse_anchors
from .base import SessionReducer, check_session_index, check_session_list, wrap_latents

__all__ = ["AnchorMapBaseline"]


class AnchorMapBaseline(TransformerMixin, BaseEstimator):
    """Per-session rest reduction + a map fitted on anchor responses only (a naive baseline).

    Parameters
    ----------
    n_components : int
    reduction : {"pca", "fa"}
        z-score + PCA (whitened) or factor analysis of each session's rest.
    anchor_map : {"orthogonal", "affine", "cca"}
        Orthogonal Procrustes, least-squares linear map + offset, or CCA: both sessions' anchor
        latents projected on their canonical directions, the session's then mapped by the
        reference's inverse (the Gallego et al. 2020 recipe on the anchors).
    anchor_baseline : int
        Pre-event samples per event subtracted and dropped (as in RestAligner).

    Examples
    --------
    >>> from glue_widgets.simulate.alignment_scenarios import alignment_scenario
    >>> days = alignment_scenario("timescales", seed=1, n_days=2, rest_min=1.0)
    >>> bl = AnchorMapBaseline(3).fit([d.rest for d in days], anchors=[d.anchors for d in days])
    >>> bl.transform(days[1].task, session=1).shape
    (720, 3)
    """

    def __init__(self, n_components: int = 3, *, reduction: str = "pca", anchor_map: str = "orthogonal",
                 anchor_baseline: int = 0) -> None:
        self.n_components = n_components
        self.reduction = reduction
        self.anchor_map = anchor_map
        self.anchor_baseline = anchor_baseline

    def fit(self, rest_list: Sequence[Any], anchors: Sequence[Any]) -> "AnchorMapBaseline":
        """Reduce every rest segment, then map every session's anchor latents onto the reference's (session 0)."""
        if self.anchor_map not in ("orthogonal", "affine", "cca"):
            raise InvalidInputError(f"anchor_map={self.anchor_map!r}; use 'orthogonal', 'affine' or 'cca'.")
        xs = check_session_list(rest_list, name="rest_list")
        anc, _ = parse_anchors(anchors, [x.shape[1] for x in xs], self.anchor_baseline)
        self.reducers_ = [SessionReducer(self.n_components, method=self.reduction).fit(x, index=i)
                          for i, x in enumerate(xs)]
        za = []
        for r, a in zip(self.reducers_, anc):
            w = r.components_ / r.scale_[:, None]
            a = a[:, r.keep_]
            za.append(a @ w if self.anchor_baseline else a @ w - r.mean_ @ w)
        k = za[0].shape[1]
        self.maps_ = []
        for a in za:
            if self.anchor_map == "orthogonal":
                self.maps_.append((orthogonal_map(a, za[0]), np.zeros(k)))
            elif self.anchor_map == "affine":
                self.maps_.append(affine_map(a, za[0]))
            else:
                from .paired_cca import cca_maps

                Wa, Wb, _ = cca_maps(a, za[0])
                M = Wa @ np.linalg.pinv(Wb)
                self.maps_.append((M, za[0].mean(0) - a.mean(0) @ M))
        self.n_sessions_ = len(xs)
        return self

    def transform(self, x: Any, session: int = 0) -> Any:
        """Session ``session``'s data in the reference's frame."""
        if not hasattr(self, "maps_"):
            raise InvalidInputError("AnchorMapBaseline is not fitted; call fit(rest_list, anchors) first.")
        i = check_session_index(session, self.n_sessions_)
        M, c = self.maps_[i]
        z = self.reducers_[i].transform(as_time_by_channel(x, name="x")) @ M + c
        return wrap_latents(z, x)
