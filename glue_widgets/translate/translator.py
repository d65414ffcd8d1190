"""Generic learned mapping between two fragments: ``Translator(model=...).fit(X, Y)``."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from ..model.wrap import channel_names, like_input, meta_of
from .cv import BlockStats, best_penalty, mean_r2, r2_per_target
from .rrr import ReducedRankRegression

__all__ = ["Translator", "lagged"]

_MODELS = ("ridge", "rrr", "linear")


def lagged(X: np.ndarray, lags: int) -> np.ndarray:
    """Stack X(t), X(t−1), …, X(t−lags) as columns; the first samples repeat the first row."""
    if lags == 0:
        return X
    Xp = np.vstack([np.repeat(X[:1], lags, 0), X])
    n = X.shape[0]
    return np.hstack([Xp[lags - k: lags - k + n] for k in range(lags + 1)])


def _intercept(stats: BlockStats, exclude: int | None, B: np.ndarray) -> np.ndarray:
    keep = [s for j, s in enumerate(stats.blocks) if j != exclude]
    n = sum(s[0] for s in keep)
    return sum(s[2] for s in keep) / n - (sum(s[1] for s in keep) / n) @ B


class Translator(RegressorMixin, BaseEstimator):
    """Learned linear translation X (source fragment) → Y (target fragment), with CV and uncertainty.

    Parameters
    ----------
    model : {"ridge", "rrr", "linear"}
        "ridge": ridge with α chosen by blocked CV among ``alphas``; "rrr": reduced-rank (ridge)
        regression with the rank chosen by blocked CV (communication subspace); "linear": least squares.
    alphas : sequence of float
        Ridge penalties relative to the total variance of X (scale-free).
    rank : int, optional
        Fixed rank for ``model="rrr"``.
    lags : int
        Past samples of X to include (0: instantaneous mapping).
    cv : int
        Contiguous (unshuffled) folds for model selection and for the out-of-fold residuals that give
        the prediction intervals.

    Attributes
    ----------
    coef_ (p·(lags+1) × q), intercept_, alpha_, rank_, resid_sd_ (q,: out-of-fold residual SD per
    target), cv_r2_ (q,: out-of-fold R² per target), cv_ (dict: the CV scheme and choices).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 8)); Y = X @ rng.standard_normal((8, 3)) + 0.1 * rng.standard_normal((1000, 3))
    >>> tr = Translator("ridge").fit(X[:800], Y[:800])
    >>> tr.score(X[800:], Y[800:]) > 0.98
    True
    >>> mean, lo, hi = tr.predict(X[800:], return_interval=True)
    """

    def __init__(self, model: str = "ridge", alphas: Sequence[float] = tuple(np.logspace(-6, 1, 15)),
                 rank: int | None = None, lags: int = 0, cv: int = 5):
        self.model = model
        self.alphas = alphas
        self.rank = rank
        self.lags = lags
        self.cv = cv

    # ------------------------------------------------------------------ helpers
    def _design(self, X: Any) -> np.ndarray:
        X = as_time_by_channel(X, name="X")
        return lagged(X, int(self.lags))

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, Y: Any) -> "Translator":
        """Fit the mapping on paired samples (rows of X and Y at the same times)."""
        if self.model not in _MODELS:
            raise InvalidInputError(f"model={self.model!r} is not known; use one of {_MODELS}.")
        if not isinstance(self.lags, (int, np.integer)) or self.lags < 0:
            raise InvalidInputError(f"lags={self.lags!r} must be a non-negative integer.")
        self.target_names_ = channel_names(Y)
        Xd = self._design(X)
        Y = as_time_by_channel(Y, name="Y")
        if Xd.shape[0] != Y.shape[0]:
            raise InvalidInputError(f"X has {Xd.shape[0]} samples and Y {Y.shape[0]}; they must be paired in time.")
        if Xd.shape[0] < 2 * self.cv:
            raise InvalidInputError(f"{Xd.shape[0]} samples are too few for {self.cv}-fold CV.")
        stats = BlockStats(Xd, Y, self.cv)
        folds = [stats.fold(i) for i in range(self.cv)]
        self.n_features_in_ = Xd.shape[1] // (int(self.lags) + 1)

        def fold_fit(i: int | None) -> tuple[np.ndarray, np.ndarray]:
            if self.model == "rrr":
                B, b0, xx = stats.ridge(i, self.alpha_)
                # rank-r projection: right singular vectors of X_c B = eigenvectors of Bᵀ XᵀX_c B
                w, V = np.linalg.eigh(B.T @ xx @ B)
                V = V[:, np.argsort(w)[::-1][: self.rank_]]
                Br = B @ V @ V.T
                return Br, _intercept(stats, i, Br)
            B, b0, _ = stats.ridge(i, self.alpha_)
            return B, b0

        # model selection: α (ridge) or rank (rrr) by blocked CV
        if self.model == "linear":
            self.alpha_, self.rank_ = 1e-12, None
        elif self.model == "ridge":
            self.rank_ = None
            scores = []
            for a in self.alphas:
                self.alpha_ = float(a)
                s = []
                for i, (tr, te) in enumerate(folds):
                    B, b0 = fold_fit(i)
                    s.append(mean_r2(Y[te], Xd[te] @ B + b0))
                s = np.asarray(s)
                scores.append(float(np.mean(s[np.isfinite(s)])) if np.isfinite(s).any() else np.nan)
            self.alpha_ = float(self.alphas[best_penalty(scores, self.alphas)])
        else:
            sel = ReducedRankRegression(rank=self.rank, cv=self.cv).fit(Xd, Y)
            self.alpha_, self.rank_ = sel.alpha, sel.rank_
            self.rank_cv_scores_ = sel.cv_scores_
        # out-of-fold predictions with the chosen settings: CV R² and residual SD (prediction intervals)
        oof = np.empty_like(Y)
        for i, (tr, te) in enumerate(folds):
            B, b0 = fold_fit(i)
            oof[te] = Xd[te] @ B + b0
        self.cv_r2_ = r2_per_target(Y, oof)
        self.resid_sd_ = (Y - oof).std(0, ddof=1)
        self.coef_, self.intercept_ = fold_fit(None)
        self.cv_ = {"scheme": f"blocked {self.cv}-fold, contiguous, unshuffled",
                    "model": self.model, "alpha": self.alpha_, "rank": self.rank_, "lags": int(self.lags),
                    "cv_r2_mean": mean_r2(Y, oof), "n_samples": int(Y.shape[0])}
        return self

    def predict(self, X: Any, return_interval: bool = False, level: float = 0.9) -> Any:
        """Ŷ (time × q); with ``return_interval`` also the ``level`` prediction interval (lo, hi) from
        the out-of-fold residuals (Gaussian). Output is a DataArray when X is one."""
        from scipy.stats import norm

        if not hasattr(self, "coef_"):
            raise InvalidInputError(f"this {type(self).__name__} is not fitted yet; call fit first.")
        Xd = self._design(X)
        if Xd.shape[1] != self.coef_.shape[0]:
            raise InvalidInputError(f"X has {Xd.shape[1] // (int(self.lags) + 1)} channels; the translator was "
                                    f"fitted on {self.n_features_in_}.")
        Yh = Xd @ self.coef_ + self.intercept_
        out = [Yh]
        if return_interval:
            z = norm.ppf(0.5 + level / 2)
            out += [Yh - z * self.resid_sd_, Yh + z * self.resid_sd_]
        meta = meta_of(X)
        names = self.target_names_ or [f"y{i}" for i in range(Yh.shape[1])]
        out = [like_input(o, meta, channels=names, attrs={"translated_by": f"{type(self).__name__}({self.model})"})
               for o in out]
        return tuple(out) if return_interval else out[0]

    def r2_per_target(self, X: Any, Y: Any) -> np.ndarray:
        """R² of each target column on (X, Y)."""
        Yh = self.predict(X)
        return r2_per_target(as_time_by_channel(Y, name="Y"), np.asarray(Yh))

    def score(self, X: Any, Y: Any, sample_weight: Any = None) -> float:
        """Mean R² over targets (per target: :meth:`r2_per_target`)."""
        r2 = self.r2_per_target(X, Y)
        return float(np.mean(r2[np.isfinite(r2)])) if np.isfinite(r2).any() else float("nan")

    def coverage(self, X: Any, Y: Any, level: float = 0.9) -> float:
        """Fraction of samples of Y inside the ``level`` prediction interval (calibration check)."""
        _, lo, hi = self.predict(X, return_interval=True, level=level)
        Y = as_time_by_channel(Y, name="Y")
        return float(np.mean((Y >= np.asarray(lo)) & (Y <= np.asarray(hi))))
