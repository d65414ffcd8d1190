"""Procrustes: align latent loadings on the channels that stay stable (Degenhart et al. 2020 spirit)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel, check_positive_int
from .base import SessionReducer, check_session_index, check_session_list, wrap_latents

__all__ = ["Procrustes"]


def _orth_procrustes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Orthogonal O minimising ||a O - b||."""
    U, _, Vt = np.linalg.svd(a.T @ b)
    return U @ Vt


def _channel_ids(x: Any, ids: Any, i: int) -> np.ndarray:
    if ids is not None:
        out = np.asarray(ids).astype(str)
    else:
        try:
            import xarray as xr
        except ImportError:  # pragma: no cover
            xr = None
        if xr is not None and isinstance(x, xr.DataArray) and "channel" in x.coords:
            out = np.asarray(x["channel"].values).astype(str)
        else:
            raise InvalidInputError(
                f"Procrustes needs channel ids for session {i}: pass DataArrays with a 'channel' coord or "
                f"channel_ids=[...] (one list per session). Without ids use RestAligner."
            )
    if len(set(out.tolist())) != len(out):
        raise InvalidInputError(f"channel ids of session {i} are not unique.")
    return out


class Procrustes(BaseEstimator):
    """Align each session's PCA loadings to the reference's on the channels that stay stable.

    Loadings ``Lambda_i`` (channels x k, scaled so latents have unit variance) are compared on the
    channel ids shared with the reference. Stable channels are found iteratively: align on the
    current set with an orthogonal Procrustes rotation, drop the ``drop_fraction`` of channels with
    the largest loading residual, repeat until at most ``stable_fraction`` of the shared channels
    remain (Degenhart et al. 2020 use the same alternation on factor-analysis loadings). The
    rotation maps session latents into the reference frame.

    Parameters
    ----------
    n_components : int
    stable_fraction : float
        Fraction of shared channels kept as "stable" (default 0.5).
    drop_fraction : float
        Fraction of the current set removed per iteration.
    standardize : bool
        z-score channels first (default False: gain changes are what marks unstable channels).

    Attributes
    ----------
    stable_channels_ : list of arrays
        Channel ids judged stable per session (reference: all its channels).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); C = rng.standard_normal((30, 2))
    >>> xs = [rng.standard_normal((2000, 2)) @ C.T + 0.1 * rng.standard_normal((2000, 30)) for _ in range(2)]
    >>> p = Procrustes(2).fit(xs, channel_ids=[np.arange(30)] * 2)
    >>> len(p.stable_channels_[1])
    15
    """

    def __init__(self, n_components: int = 4, *, reference: int = 0, stable_fraction: float = 0.5,
                 drop_fraction: float = 0.1, standardize: bool = False) -> None:
        self.n_components = n_components
        self.reference = reference
        self.stable_fraction = stable_fraction
        self.drop_fraction = drop_fraction
        self.standardize = standardize

    def fit(self, data_list: Sequence[Any], channel_ids: Sequence[Any] | None = None) -> "Procrustes":
        k = check_positive_int(self.n_components, name="n_components")
        if not 0 < self.stable_fraction <= 1 or not 0 < self.drop_fraction < 1:
            raise InvalidInputError("stable_fraction must be in (0, 1] and drop_fraction in (0, 1).")
        xs = check_session_list(data_list, name="data_list")
        n = len(xs)
        if channel_ids is not None and len(channel_ids) != n:
            raise InvalidInputError(f"channel_ids holds {len(channel_ids)} lists for {n} sessions.")
        ids = [_channel_ids(x, None if channel_ids is None else channel_ids[i], i) for i, x in enumerate(data_list)]
        for i, (x, c) in enumerate(zip(xs, ids)):
            if len(c) != x.shape[1]:
                raise InvalidInputError(f"session {i}: {len(c)} channel ids for {x.shape[1]} channels.")
        ref = check_session_index(self.reference, n)
        self.reducers_ = [SessionReducer(k, standardize=self.standardize).fit(x, index=i) for i, x in enumerate(xs)]
        loads = []
        for r, c in zip(self.reducers_, ids):
            # loadings of unit-variance latents: x ~ z @ Lambda.T  (Lambda = U sqrt(eig) * scale)
            lam = np.zeros((len(c), k))
            lam[r.keep_] = (r.components_ * r.eigenvalues_[None, :]) * r.scale_[:, None]
            loads.append(lam)
        self.transforms_, self.stable_channels_ = [], []
        pos_ref = {c: j for j, c in enumerate(ids[ref])}
        for i in range(n):
            if i == ref:
                self.transforms_.append(np.eye(k))
                self.stable_channels_.append(ids[ref])
                continue
            shared = [c for c in ids[i] if c in pos_ref]
            if len(shared) < k:
                raise InvalidInputError(
                    f"session {i} shares {len(shared)} channel ids with the reference; at least "
                    f"n_components={k} are needed. Use RestAligner when channels do not correspond."
                )
            pos_i = {c: j for j, c in enumerate(ids[i])}
            A = loads[i][[pos_i[c] for c in shared]]
            B = loads[ref][[pos_ref[c] for c in shared]]
            cur = np.arange(len(shared))
            target = max(k, int(np.ceil(self.stable_fraction * len(shared))))
            O = _orth_procrustes(A, B)
            while len(cur) > target:
                O = _orth_procrustes(A[cur], B[cur])
                res = np.linalg.norm(A[cur] @ O - B[cur], axis=1)
                n_drop = min(len(cur) - target, max(1, int(self.drop_fraction * len(cur))))
                cur = cur[np.argsort(res)[: len(cur) - n_drop]]
            O = _orth_procrustes(A[cur], B[cur])
            self.transforms_.append(O)
            self.stable_channels_.append(np.asarray(shared)[np.sort(cur)])
        self.reference_index_ = ref
        self.n_sessions_ = n
        return self

    def transform(self, x: Any, session: int) -> Any:
        if not hasattr(self, "transforms_"):
            raise InvalidInputError("Procrustes is not fitted; call fit(data_list) first.")
        i = check_session_index(session, self.n_sessions_)
        z = self.reducers_[i].transform(as_time_by_channel(x, name="x")) @ self.transforms_[i]
        return wrap_latents(z, x, extra_attrs={"aligner": "Procrustes", "aligned_session": i})
