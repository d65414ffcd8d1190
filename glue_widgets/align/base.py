"""Shared machinery of the aligners: input checking, per-session reduction, output wrapping."""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import BadDataError, InvalidInputError
from ..model.validation import as_time_by_channel, check_positive_int

__all__ = ["SessionReducer", "check_session_list", "wrap_latents", "check_session_index"]


def check_session_list(xs: Any, *, name: str = "rest_list", min_sessions: int = 1) -> list[np.ndarray]:
    """Validate a list of ``(time, channels)`` arrays/DataArrays; return float arrays."""
    if xs is None or isinstance(xs, np.ndarray) or not isinstance(xs, Sequence):
        raise InvalidInputError(
            f"{name} must be a list with one (time, channels) array or DataArray per session; "
            f"got {type(xs).__name__}."
        )
    if len(xs) < min_sessions:
        raise InvalidInputError(f"{name} holds {len(xs)} sessions; at least {min_sessions} are needed.")
    # float32 input stays float32 (large rest segments: half the memory, faster covariances)
    return [as_time_by_channel(x, name=f"{name}[{i}]", min_samples=2,
                               dtype=np.float32 if getattr(x, "dtype", None) == np.float32 else np.float64)
            for i, x in enumerate(xs)]


def check_session_index(session: Any, n: int) -> int:
    if isinstance(session, bool) or not isinstance(session, (int, np.integer)) or not -n <= session < n:
        raise InvalidInputError(f"session={session!r} is not a fitted session index (0..{n - 1}).")
    return int(session) % n


def wrap_latents(z: np.ndarray, x_in: Any, prefix: str = "latent", extra_attrs: dict | None = None) -> Any:
    """numpy in -> numpy out; DataArray in -> DataArray ("time", "latent") with time coord and attrs."""
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover
        return z
    if not isinstance(x_in, xr.DataArray):
        return z
    coords: dict[str, Any] = {"latent": [f"{prefix}{j}" for j in range(z.shape[1])]}
    if "time" in x_in.coords:
        coords["time"] = x_in["time"].values
    attrs = dict(x_in.attrs)
    attrs.pop("card", None)
    attrs.update(extra_attrs or {})
    return xr.DataArray(z, dims=("time", "latent"), coords=coords, attrs=attrs)


def _fa_em(S: np.ndarray, U: np.ndarray, evals: np.ndarray, n_iter: int = 200, tol: float = 1e-7
           ) -> tuple[np.ndarray, np.ndarray]:
    """Factor analysis by EM on a covariance matrix ``S`` (Rubin & Thayer 1982), PCA initialised."""
    n, k = U.shape
    sigma2 = max((np.trace(S) - evals[:k].sum()) / max(n - k, 1), 1e-6)
    W = U * np.sqrt(np.maximum(evals[:k] - sigma2, 1e-6))
    psi = np.maximum(np.diag(S) - np.sum(W**2, 1), 0.05 * np.diag(S))
    prev = np.inf
    for _ in range(n_iter):
        Wp = W / psi[:, None]
        M = np.linalg.inv(np.eye(k) + W.T @ Wp)
        beta = M @ Wp.T                      # E[z|x] = beta x
        SB = S @ beta.T
        Ezz = M + beta @ SB
        W = SB @ np.linalg.inv(Ezz)
        psi = np.maximum(np.diag(S) - np.sum(W * SB, 1), 0.05 * np.diag(S))
        ch = float(np.sum(psi))
        if abs(prev - ch) < tol * ch:
            break
        prev = ch
    return W, psi


class SessionReducer(TransformerMixin, BaseEstimator):
    """Per-session standardisation and reduction (PCA or factor analysis) to ``n_components`` whitened latents.

    Handles the documented bad inputs: constant channels are dropped (``constant="drop"``, with a
    warning) or refused (``"raise"``); fewer samples than channels, NaNs and ``n_components`` beyond the
    rank raise errors that say what to do. ``noise_cov_`` is the covariance of the per-sample noise
    of the scores (factor analysis: of the Bartlett scores; PCA: the probabilistic-PCA isotropic
    noise seen through the whitening), which the aligners use to tell signal from noise.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(500, 10))
    >>> SessionReducer(3).fit(x).transform(x).shape
    (500, 3)
    """

    def __init__(self, n_components: int = 3, *, standardize: bool = True, constant: str = "drop",
                 whiten: bool = True, method: str = "pca") -> None:
        self.n_components = n_components
        self.standardize = standardize
        self.constant = constant
        self.whiten = whiten
        self.method = method

    def fit(self, x: np.ndarray, y: Any = None, *, index: int = 0) -> "SessionReducer":
        self.k_ = check_positive_int(self.n_components, name="n_components")
        if self.constant not in ("drop", "raise"):
            raise InvalidInputError(f"constant_channels={self.constant!r}; use 'drop' or 'raise'.")
        if self.method not in ("pca", "fa"):
            raise InvalidInputError(f"reduction={self.method!r}; use 'pca' or 'fa'.")
        x = np.asarray(x)
        n, c = x.shape
        mean = x.mean(axis=0)
        # one float32 pass for the covariance (fast on few cores; plenty for PCA), stds from its diagonal
        xc = x.astype(np.float32)
        xc -= mean.astype(np.float32)
        cov_all = (xc.T @ xc).astype(np.float64) / (n - 1)
        std = np.sqrt(np.maximum(np.diag(cov_all), 0.0))
        keep = std > 1e-9 * max(1.0, float(np.abs(mean).max(initial=0.0)))
        if not keep.all():
            bad = np.flatnonzero(~keep)
            if self.constant == "raise":
                raise BadDataError(
                    f"session {index} has {bad.size} constant channels (e.g. {bad[:5].tolist()}); "
                    f"drop them or use constant_channels='drop'."
                )
            warnings.warn(f"session {index}: dropping {bad.size} constant channels {bad[:10].tolist()}",
                          stacklevel=3)
        nk = int(keep.sum())
        if n <= nk:
            raise InvalidInputError(
                f"session {index} has {n} samples but {nk} (non-constant) channels; its covariance is "
                f"rank-deficient. Pass a longer segment (more samples than channels) or fewer channels."
            )
        if self.k_ > nk:
            raise InvalidInputError(
                f"n_components={self.k_} exceeds the {nk} usable channels of session {index}; "
                f"choose n_components <= {nk}."
            )
        self.keep_ = keep
        self.n_channels_ = c
        self.mean_ = mean[keep]
        # floor the scale: a channel nearly silent in this segment must not blow up other data
        self.scale_ = np.maximum(std[keep], 0.1 * np.median(std[keep])) if self.standardize else np.ones(nk)
        cov = cov_all[np.ix_(keep, keep)] / np.outer(self.scale_, self.scale_)
        # only the top k eigenpairs are needed (much cheaper than a full eigh for many channels)
        evals, evecs = scipy.linalg.eigh(cov, subset_by_index=[nk - self.k_, nk - 1])
        evals, evecs = evals[::-1], evecs[:, ::-1]
        total = float(np.trace(cov))
        if evals[self.k_ - 1] <= 1e-10 * max(evals[0], 1e-300):
            raise InvalidInputError(
                f"session {index} has fewer than n_components={self.k_} non-degenerate dimensions; "
                f"lower n_components."
            )
        self.cov_ = cov
        self.explained_variance_ratio_ = evals / total
        w = evecs[:, : self.k_]
        # sign convention so a PCA axis does not flip between calls
        w = w * np.sign(w[np.abs(w).argmax(axis=0), np.arange(self.k_)])
        self.components_ = w / np.sqrt(evals[: self.k_]) if self.whiten else w
        self.eigenvalues_ = evals
        sigma2 = max(total - float(evals.sum()), 0.0) / max(nk - self.k_, 1)
        self.noise_cov_ = np.diag(sigma2 / evals) if self.whiten else sigma2 * np.eye(self.k_)
        if self.method == "fa":
            # factor analysis on the covariance: private (e.g. Poisson) noise goes to psi, and the
            # Bartlett scores z + e have signal covariance exactly I -> sessions differ by a rotation
            lam, psi = _fa_em(cov, evecs[:, : self.k_], evals)
            pinv = lam / psi[:, None]
            self.components_ = pinv @ np.linalg.inv(lam.T @ pinv)
            self.loadings_, self.noise_variance_ = lam, psi
            # posterior mean E[z|x] = (I + L'P^-1 L)^-1 L'P^-1 x: the Bartlett score shrunk by this
            # session's own noise (its covariance (L'P^-1 L)^-1); sessions with fewer informative
            # channels are shrunk more, so one decoder reads every session at the same scale
            self.posterior_components_ = pinv @ np.linalg.inv(np.eye(self.k_) + lam.T @ pinv)
            self.noise_cov_ = np.linalg.inv(lam.T @ pinv)
        self.total_variance_ = total
        return self

    def transform(self, x: np.ndarray, *, name: str = "x", posterior: bool = False) -> np.ndarray:
        """Scores of ``x``: Bartlett (unbiased, signal covariance I; default) or, with ``posterior=True``
        (factor analysis only), the posterior means E[z | x]."""
        if x.shape[1] != self.n_channels_:
            raise InvalidInputError(
                f"{name} has {x.shape[1]} channels but the session was fitted with {self.n_channels_}."
            )
        if posterior and not hasattr(self, "posterior_components_"):
            raise InvalidInputError(f"posterior scores need a noise model: method={self.method!r} has none; "
                                    f"use method='fa' (reduction='fa').")
        w = (self.posterior_components_ if posterior else self.components_) / self.scale_[:, None]
        # one matmul, no standardised copy of x
        return x[:, self.keep_] @ w - self.mean_ @ w if not self.keep_.all() else x @ w - self.mean_ @ w
