"""PairedCCA: Gallego et al. (2020) alignment of latent dynamics with condition/time-matched data."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel, check_positive_int
from .base import SessionReducer, check_session_index, check_session_list, wrap_latents

__all__ = ["PairedCCA", "cca_maps"]


def cca_maps(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CCA by QR + SVD (Gallego et al. 2020): returns ``(M_a, M_b, canonical correlations)``."""
    a = a - a.mean(0)
    b = b - b.mean(0)
    Qa, Ra = np.linalg.qr(a)
    Qb, Rb = np.linalg.qr(b)
    U, s, Vt = np.linalg.svd(Qa.T @ Qb)
    Ma = np.linalg.solve(Ra, U)
    Mb = np.linalg.solve(Rb, Vt.T)
    return Ma, Mb, np.clip(s, 0, 1)


class PairedCCA(BaseEstimator):
    """PCA per session, then CCA of each session with the reference on time-matched task data.

    ``fit(task_list)`` takes one array per session with the *same number of time samples*, row
    ``t`` of every array being the same condition and time (e.g. trial-averaged, concatenated
    conditions). The shared frame is the reference session's PCA space: session ``i`` maps there
    through its canonical directions (``z_i M_i M_ref^-1``), as in Gallego et al. (2020).

    Parameters
    ----------
    n_components : int
        Latent dimension (PCA per session and CCA).
    reference : int
        Session defining the frame.
    standardize : bool
        z-score channels before PCA.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); z = rng.standard_normal((500, 3))
    >>> xs = [z @ rng.standard_normal((3, 20)) + 0.1 * rng.standard_normal((500, 20)) for _ in range(2)]
    >>> cca = PairedCCA(3).fit(xs)
    >>> bool(cca.canonical_correlations_[1].min() > 0.9)
    True
    """

    def __init__(self, n_components: int = 4, *, reference: int = 0, standardize: bool = True) -> None:
        self.n_components = n_components
        self.reference = reference
        self.standardize = standardize

    def fit(self, task_list: Sequence[Any]) -> "PairedCCA":
        k = check_positive_int(self.n_components, name="n_components")
        xs = check_session_list(task_list, name="task_list")
        if len({x.shape[0] for x in xs}) != 1:
            raise InvalidInputError(
                f"PairedCCA needs condition/time-matched data of equal length; got {[x.shape[0] for x in xs]} "
                f"samples. Trial-average per condition and concatenate, or use RestAligner (no pairing)."
            )
        n = len(xs)
        ref = check_session_index(self.reference, n)
        self.reducers_ = [SessionReducer(k, standardize=self.standardize, whiten=False).fit(x, index=i)
                          for i, x in enumerate(xs)]
        zs = [r.transform(x) for r, x in zip(self.reducers_, xs)]
        self.transforms_, self.canonical_correlations_ = [], []
        for i in range(n):
            if i == ref:
                self.transforms_.append(np.eye(k))
                self.canonical_correlations_.append(np.ones(k))
                continue
            Mi, Mr, cc = cca_maps(zs[i], zs[ref])
            self.transforms_.append(Mi @ np.linalg.inv(Mr))
            self.canonical_correlations_.append(cc)
        self.reference_index_ = ref
        self.n_sessions_ = n
        return self

    def transform(self, x: Any, session: int) -> Any:
        """Map data of session ``session`` into the reference's PCA frame."""
        if not hasattr(self, "transforms_"):
            raise InvalidInputError("PairedCCA is not fitted; call fit(task_list) first.")
        i = check_session_index(session, self.n_sessions_)
        z = self.reducers_[i].transform(as_time_by_channel(x, name="x")) @ self.transforms_[i]
        return wrap_latents(z, x, extra_attrs={"aligner": "PairedCCA", "aligned_session": i})
