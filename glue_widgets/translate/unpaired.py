"""Unpaired translation: a dynamical rule learned in one fragment predicts another through the aligned frame.

Fragments A and B are recorded separately (no simultaneous samples), but both are mapped into one
shared latent frame by ``gw.align`` (arrays in: ``z_a``, ``z_b`` already aligned). A vector
autoregression learned on A's latents is carried to B: B's latents are advanced by A's rule and read
out into B's own channels through B's readout (learned on B alone). If the two fragments share their
dynamics, A's rule predicts B nearly as well as B's own; if not, the gap measures the mismatch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from ..model.wrap import channel_names, like_input, meta_of
from .cv import r2_per_target
from .ridge import fit_ridge

__all__ = ["LatentVAR", "LatentDynamicsTranslator"]


def _as_list(z: Any, name: str) -> list[np.ndarray]:
    if isinstance(z, (list, tuple)):
        return [as_time_by_channel(x, name=name) for x in z]
    return [as_time_by_channel(z, name=name)]


def _lag_design(z: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    n = z.shape[0]
    X = np.hstack([z[order - k - 1: n - k - 1] for k in range(order)])
    return X, z[order:]


class LatentVAR(BaseEstimator):
    """Ridge VAR(p) of latents: z(t) = Σₖ Aₖ z(t−k) + c + ε.

    Parameters
    ----------
    order : int
        Number of lags p.
    alpha : float
        Ridge penalty relative to the summed latent variance.

    Attributes
    ----------
    coef_ ((p·k) × k), intercept_ (k,), noise_cov_ (k × k), stable_ (bool: spectral radius < 1).

    Examples
    --------
    >>> rng = np.random.default_rng(0); z = np.zeros((3000, 2))
    >>> for t in range(1, 3000): z[t] = z[t-1] @ np.array([[0.9, 0.2], [-0.2, 0.9]]).T + rng.standard_normal(2)
    >>> np.round(LatentVAR().fit(z).coef_.T, 1)
    array([[ 0.9,  0.2],
           [-0.2,  0.9]])
    """

    def __init__(self, order: int = 1, alpha: float = 1e-4):
        self.order = order
        self.alpha = alpha

    def fit(self, z: Any) -> "LatentVAR":
        """Fit on one latent array (time × k) or a list of them (separate segments, not concatenated)."""
        zs = _as_list(z, "z")
        k = zs[0].shape[1]
        if any(x.shape[1] != k for x in zs):
            raise InvalidInputError("all latent arrays must have the same number of latent dimensions.")
        pairs = [_lag_design(x, self.order) for x in zs if x.shape[0] > self.order + 1]
        if not pairs:
            raise InvalidInputError(f"latents are too short for a VAR of order {self.order}.")
        X = np.vstack([p[0] for p in pairs])
        Y = np.vstack([p[1] for p in pairs])
        B, b = fit_ridge(X, Y, self.alpha)
        self.coef_, self.intercept_ = B, b
        resid = Y - X @ B - self.intercept_
        self.noise_cov_ = np.cov(resid.T).reshape(k, k)
        comp = np.zeros((k * self.order, k * self.order))
        comp[:k] = B.T
        comp[k:, :-k] = np.eye(k * (self.order - 1))
        self.spectral_radius_ = float(np.max(np.abs(np.linalg.eigvals(comp))))
        self.stable_ = self.spectral_radius_ < 1
        self.n_latents_ = k
        return self

    def predict_next(self, z: Any) -> np.ndarray:
        """One-step-ahead predictions ẑ(t | past) for t = order … n−1 (shape (n − order) × k)."""
        z = as_time_by_channel(z, name="z")
        if z.shape[1] != self.n_latents_:
            raise InvalidInputError(f"z has {z.shape[1]} latents; the VAR has {self.n_latents_}.")
        X, _ = _lag_design(z, self.order)
        return X @ self.coef_ + self.intercept_

    def simulate(self, n: int, seed: int | None = None, z0: np.ndarray | None = None) -> np.ndarray:
        """Generate ``n`` samples from the fitted VAR (Gaussian innovations)."""
        rng = np.random.default_rng(seed)
        k, p = self.n_latents_, self.order
        z = np.zeros((n + p, k))
        if z0 is not None:
            z[:p] = np.asarray(z0).reshape(p, k)
        L = np.linalg.cholesky(self.noise_cov_ + 1e-12 * np.eye(k))
        for t in range(p, n + p):
            past = np.concatenate([z[t - j - 1] for j in range(p)])
            z[t] = past @ self.coef_ + self.intercept_ + L @ rng.standard_normal(k)
        return z[p:]


class LatentDynamicsTranslator(BaseEstimator):
    """Predict fragment B's activity with the latent dynamics learned in fragment A (aligned frame).

    ``fit(z_a)`` learns the rule on A; ``fit_readout(z_b, y_b)`` learns B's readout from its own
    latents (B's data only); ``predict(z_b)`` advances B's latents one step with A's rule and reads
    them out: ŷ_b(t) = R_b · VAR_a(z_b(t−1), …).

    Examples
    --------
    >>> tr = LatentDynamicsTranslator().fit(z_a).fit_readout(z_b, y_b)   # doctest: +SKIP
    >>> tr.score(z_b_test, y_b_test)                                    # doctest: +SKIP
    """

    def __init__(self, order: int = 1, alpha: float = 1e-4, readout_alpha: float = 1e-4):
        self.order = order
        self.alpha = alpha
        self.readout_alpha = readout_alpha

    def fit(self, z_source: Any) -> "LatentDynamicsTranslator":
        """Learn the dynamical rule on the source fragment's aligned latents."""
        self.var_ = LatentVAR(self.order, self.alpha).fit(z_source)
        return self

    def fit_readout(self, z_target: Any, y_target: Any) -> "LatentDynamicsTranslator":
        """Learn the target fragment's linear readout latents → channels (target data only)."""
        z = as_time_by_channel(z_target, name="z_target")
        y = as_time_by_channel(y_target, name="y_target")
        if z.shape[0] != y.shape[0]:
            raise InvalidInputError("z_target and y_target must have the same number of samples.")
        self.readout_, self.readout_intercept_ = fit_ridge(z, y, self.readout_alpha)
        self.target_names_ = channel_names(y_target)
        return self

    def predict_latents(self, z_target: Any) -> np.ndarray:
        """One-step-ahead latents of the target under the source's rule ((n − order) × k)."""
        if not hasattr(self, "var_"):
            raise InvalidInputError("this LatentDynamicsTranslator is not fitted yet; call fit(z_source) first.")
        return self.var_.predict_next(z_target)

    def predict(self, z_target: Any) -> Any:
        """One-step-ahead target activity ((n − order) × channels), aligned with y[order:].

        A DataArray (times ``z_target.time[order:]``, channels of ``y_target``) when ``z_target`` is one."""
        if not hasattr(self, "readout_"):
            raise InvalidInputError("call fit_readout(z_target, y_target) before predict.")
        meta = meta_of(z_target)
        yh = self.predict_latents(z_target) @ self.readout_ + self.readout_intercept_
        return like_input(yh, meta, channels=self.target_names_,
                          time=None if meta.time is None else meta.time[self.order:],
                          attrs={"translated_by": "LatentDynamicsTranslator"})

    def score(self, z_target: Any, y_target: Any) -> float:
        """Mean R² of the one-step-ahead prediction of y_target[order:]."""
        y = as_time_by_channel(y_target, name="y_target")[self.order:]
        return float(np.nanmean(r2_per_target(y, np.asarray(self.predict(z_target)))))

    def latent_score(self, z_target: Any) -> float:
        """Mean R² of the one-step-ahead latent prediction (does A's rule fit B's latent flow?)."""
        z = as_time_by_channel(z_target, name="z_target")
        return float(np.nanmean(r2_per_target(z[self.order:], self.predict_latents(z))))
