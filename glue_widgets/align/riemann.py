"""RiemannianRecenter: re-centre each subject's covariances at the identity (channel-matched data)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel, check_positive_int
from .base import check_session_index, check_session_list

__all__ = ["RiemannianRecenter", "window_covariances"]


def window_covariances(x: np.ndarray, window: int, estimator: str = "oas") -> np.ndarray:
    """Covariances (n_windows, channels, channels) of non-overlapping windows of ``window`` samples."""
    from pyriemann.estimation import Covariances

    n = x.shape[0] // window
    if n < 1:
        raise InvalidInputError(f"{x.shape[0]} samples are fewer than one window of {window}.")
    epochs = x[: n * window].reshape(n, window, x.shape[1]).transpose(0, 2, 1)
    return Covariances(estimator=estimator).fit_transform(epochs)


class RiemannianRecenter(BaseEstimator):
    """Re-centre each session's covariance matrices to the identity via its Riemannian mean.

    For channel-matched modalities (EEG/ECoG montages across subjects): the covariances of
    ``window``-sample windows of each session's rest are averaged on the SPD manifold
    (affine-invariant Riemannian mean ``M_i``, pyriemann), and every covariance of that session is
    mapped to ``M_i^{-1/2} C M_i^{-1/2}`` (Zanini et al. 2018), which removes subject-specific
    spatial mixing while keeping the within-subject geometry. ``transform`` whitens a signal by
    ``M_i^{-1/2}``; ``transform_covariances`` re-centres covariance matrices.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> xs = [rng.standard_normal((2000, 4)) @ rng.standard_normal((4, 4)) for _ in range(2)]
    >>> rc = RiemannianRecenter(window=100).fit(xs)
    >>> C = rc.transform_covariances(window_covariances(xs[1], 100), session=1)
    >>> bool(np.allclose(rc.riemann_mean(C), np.eye(4), atol=1e-6))
    True
    """

    def __init__(self, window: int = 250, *, estimator: str = "oas") -> None:
        self.window = window
        self.estimator = estimator

    @staticmethod
    def riemann_mean(covs: np.ndarray) -> np.ndarray:
        try:  # pyriemann >= 0.12 moved these to pyriemann.geometry
            from pyriemann.geometry.mean import mean_riemann
        except ImportError:  # pragma: no cover
            from pyriemann.utils.mean import mean_riemann

        return mean_riemann(covs)

    def fit(self, data_list: Sequence[Any]) -> "RiemannianRecenter":
        try:
            from pyriemann.geometry.base import invsqrtm
        except ImportError:  # pragma: no cover
            from pyriemann.utils.base import invsqrtm

        w = check_positive_int(self.window, name="window")
        xs = check_session_list(data_list, name="data_list")
        nch = {x.shape[1] for x in xs}
        if len(nch) != 1:
            raise InvalidInputError(
                f"RiemannianRecenter needs channel-matched sessions; got channel counts {sorted(nch)}. "
                f"Pick a common montage first, or use RestAligner."
            )
        for i, x in enumerate(xs):
            if w <= x.shape[1]:  # a covariance of fewer samples than channels is singular (not SPD)
                raise InvalidInputError(f"window={w} samples is too short for {x.shape[1]} channels: a window "
                                        f"needs more samples than channels; use window >= {4 * x.shape[1]}.")
            if x.shape[0] < 2 * w:
                raise InvalidInputError(f"session {i} has {x.shape[0]} samples; need at least 2 windows of {w}.")
            if np.any(x.std(0) < 1e-12):
                raise InvalidInputError(f"session {i} has constant channels; covariances would be singular.")
        self.means_ = [x.mean(0) for x in xs]
        self.riemann_means_ = [self.riemann_mean(window_covariances(x, w, self.estimator)) for x in xs]
        self.inv_sqrt_ = [invsqrtm(M) for M in self.riemann_means_]
        self.n_sessions_ = len(xs)
        return self

    def transform(self, x: Any, session: int) -> Any:
        """Whiten session ``session``'s signal by ``M_i^{-1/2}`` (DataArray in -> DataArray out)."""
        if not hasattr(self, "inv_sqrt_"):
            raise InvalidInputError("RiemannianRecenter is not fitted; call fit(data_list) first.")
        i = check_session_index(session, self.n_sessions_)
        arr = as_time_by_channel(x, name="x")
        out = (arr - self.means_[i]) @ self.inv_sqrt_[i]
        try:
            import xarray as xr

            if isinstance(x, xr.DataArray):
                res = x.transpose("time", "channel").copy(data=out)
                res.attrs = {k: v for k, v in x.attrs.items() if k != "card"}
                res.attrs["aligner"] = "RiemannianRecenter"
                return res
        except ImportError:  # pragma: no cover
            pass
        return out

    def transform_covariances(self, covs: np.ndarray, session: int) -> np.ndarray:
        """Re-centre covariance matrices ``(n, c, c)`` of session ``session``."""
        if not hasattr(self, "inv_sqrt_"):
            raise InvalidInputError("RiemannianRecenter is not fitted; call fit(data_list) first.")
        P = self.inv_sqrt_[check_session_index(session, self.n_sessions_)]
        return np.einsum("ij,njk,kl->nil", P, np.asarray(covs, float), P)
