"""GroupAligner: many sessions into one shared frame at once (shared response model / hyperalignment)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel, check_positive_int
from .base import check_session_index, check_session_list, wrap_latents

__all__ = ["GroupAligner"]


class GroupAligner(BaseEstimator):
    """Deterministic shared response model (Chen et al. 2015) on time-matched data.

    Every session ``X_i`` (time x channels_i, centred) is modelled as ``S W_i^T`` with a shared
    time course ``S`` (time x k) and an orthonormal map ``W_i`` (channels_i x k). Alternates
    ``W_i = polar(X_i^T S)`` and ``S = mean_i X_i W_i`` until the objective settles, so no session
    is privileged (unlike a pairwise reference). Channel counts may differ; rows must be
    time-matched (anchors, trial averages, a shared stimulus).

    Parameters
    ----------
    n_components : int
    n_iter : int
    tol : float
        Relative change of the objective that stops the iteration.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); s = rng.standard_normal((400, 3))
    >>> xs = [s @ rng.standard_normal((3, 10 + i)) for i in range(3)]
    >>> g = GroupAligner(3).fit(xs)
    >>> bool(g.objective_[-1] <= g.objective_[0])
    True
    """

    def __init__(self, n_components: int = 4, *, n_iter: int = 50, tol: float = 1e-6,
                 standardize: bool = True) -> None:
        self.n_components = n_components
        self.n_iter = n_iter
        self.tol = tol
        self.standardize = standardize

    def fit(self, data_list: Sequence[Any]) -> "GroupAligner":
        k = check_positive_int(self.n_components, name="n_components")
        xs = check_session_list(data_list, name="data_list", min_sessions=2)
        if len({x.shape[0] for x in xs}) != 1:
            raise InvalidInputError(
                f"GroupAligner needs time-matched sessions of equal length; got {[x.shape[0] for x in xs]}."
            )
        self.means_, self.scales_ = [], []
        Xs = []
        for i, x in enumerate(xs):
            if k > min(x.shape):
                raise InvalidInputError(
                    f"n_components={k} exceeds min(time, channels)={min(x.shape)} of session {i}."
                )
            m = x.mean(0)
            sd = x.std(0) if self.standardize else np.ones(x.shape[1])
            sd = np.where(sd > 1e-12, sd, 1.0)  # constant channels contribute nothing
            self.means_.append(m)
            self.scales_.append(sd)
            Xs.append((x - m) / sd)
        # init: each session's top-k PCA directions, then the group average
        W = [np.linalg.svd(X, full_matrices=False)[2][:k].T for X in Xs]
        obj = []
        for _ in range(self.n_iter):
            S = np.mean([X @ Wi for X, Wi in zip(Xs, W)], axis=0)
            W = []
            for X in Xs:
                U, _, Vt = np.linalg.svd(X.T @ S, full_matrices=False)
                W.append(U @ Vt)
            obj.append(float(sum(np.sum((X - S @ Wi.T) ** 2) for X, Wi in zip(Xs, W))))
            if len(obj) > 1 and abs(obj[-2] - obj[-1]) <= self.tol * max(obj[-2], 1e-300):
                break
        self.components_ = W
        self.shared_response_ = np.mean([X @ Wi for X, Wi in zip(Xs, W)], axis=0)
        self.objective_ = np.array(obj)
        self.n_sessions_ = len(xs)
        return self

    def transform(self, x: Any, session: int) -> Any:
        """Project data of session ``session`` (same channels) into the shared space."""
        if not hasattr(self, "components_"):
            raise InvalidInputError("GroupAligner is not fitted; call fit(data_list) first.")
        i = check_session_index(session, self.n_sessions_)
        arr = as_time_by_channel(x, name="x")
        if arr.shape[1] != len(self.means_[i]):
            raise InvalidInputError(f"x has {arr.shape[1]} channels; session {i} was fitted with {len(self.means_[i])}.")
        z = ((arr - self.means_[i]) / self.scales_[i]) @ self.components_[i]
        return wrap_latents(z, x, extra_attrs={"aligner": "GroupAligner", "aligned_session": i})
