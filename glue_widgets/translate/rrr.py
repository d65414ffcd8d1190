"""Reduced-rank regression (the communication subspace of Semedo et al. 2019), rank chosen by CV."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from ..model.wrap import as_array, channel_names, like_input
from .cv import BlockStats, r2_per_target
from .ridge import fit_ridge, relative_penalty

__all__ = ["ReducedRankRegression", "rrr_fit"]


def _train_mean_x(stats: BlockStats, exclude: int) -> np.ndarray:
    keep = [s for j, s in enumerate(stats.blocks) if j != exclude]
    return sum(s[1] for s in keep) / sum(s[0] for s in keep)


def rrr_fit(X: np.ndarray, Y: np.ndarray, rank: int, alpha: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank-``rank`` (ridge) regression of centred ``Y`` on centred ``X`` (``alpha``: absolute penalty).

    B_r = B_ridge V_r V_rᵀ, V_r the top right singular vectors of the ridge prediction X B_ridge
    (Izenman 1975; Semedo et al. 2019). Returns ``(B_r, intercept, V)`` (V: all predictive directions).
    """
    mx, my = X.mean(0), Y.mean(0)
    B, _ = fit_ridge(X, Y, alpha, relative=False)
    _, _, Vt = np.linalg.svd((X - mx) @ B, full_matrices=False)
    V = Vt[:rank].T
    Br = B @ V @ V.T
    return Br, my - mx @ Br, Vt.T


class ReducedRankRegression(RegressorMixin, BaseEstimator):
    """Y ≈ X B with rank(B) = r; r (and optionally the ridge α) chosen by blocked cross-validation.

    Parameters
    ----------
    rank : int or None
        Fixed rank; ``None`` chooses it by CV among ``ranks``.
    ranks : sequence of int, optional
        Candidate ranks (default 1 … min(p, q, 20)).
    alpha : float
        Ridge penalty on B, relative to the total variance of X (tr XᵀX_c): scale-free.
    cv : int
        Number of contiguous folds.
    rule : {"1se", "max"}
        "1se": the smallest rank whose CV performance is within one standard error of the best
        (Semedo et al. 2019's choice); "max": the best rank.

    Notes
    -----
    A common input to both areas (arousal: pupil, running) is a real predictive dimension that is not
    communication: it adds one to the CV rank, more so in wide bins where slow shared fluctuations
    dominate the Poisson noise (benchmarks/results/translate.md, §1). Pass the measured covariates as
    ``fit(X, Y, confounds=C)``: X and Y are then residualized on [1, C] (least squares, Frisch–Waugh;
    inside CV the confound coefficients come from the training blocks only) before the rank is chosen
    and the map fitted; ``predict`` then needs ``C`` too.

    Attributes
    ----------
    rank_, coef_ (p × q), intercept_, cv_scores_ (DataFrame: rank × fold mean R²), cv_ (scheme),
    target_names_ (Y's channel names when Y was a DataArray, else None),
    confound_coef_x_, confound_coef_y_ ((1 + c) × p / q, or None without confounds),
    components_ (p × rank: source directions that reach the target, the communication subspace).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 20))
    >>> B = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 15))
    >>> Y = X @ B + rng.standard_normal((2000, 15))
    >>> ReducedRankRegression().fit(X, Y).rank_
    2
    """

    def __init__(self, rank: int | None = None, ranks: Sequence[int] | None = None, alpha: float = 1e-3,
                 cv: int = 5, rule: str = "1se"):
        self.rank = rank
        self.ranks = ranks
        self.alpha = alpha
        self.cv = cv
        self.rule = rule

    def _alpha(self, X: np.ndarray) -> float:
        return relative_penalty(self.alpha, X.var(0).sum() * X.shape[0])

    def fit(self, X: Any, Y: Any, confounds: Any = None) -> "ReducedRankRegression":
        """Fit; X (time × p source), Y (time × q target), optional confounds (time × c covariates
        shared by both areas, e.g. pupil and running speed) partialled out of X and Y first."""
        X = as_time_by_channel(X, name="X", min_samples=4)
        self.target_names_ = channel_names(Y)
        Y = as_time_by_channel(Y, name="Y", min_samples=4)
        if X.shape[0] != Y.shape[0]:
            raise InvalidInputError(f"X has {X.shape[0]} samples and Y {Y.shape[0]}; they must be paired.")
        self.confound_coef_x_ = self.confound_coef_y_ = None
        X_raw, Y_raw, C1 = X, Y, None
        if confounds is not None:
            C1 = self._design(confounds, X.shape[0])
            self.confound_coef_x_ = np.linalg.lstsq(C1, X, rcond=None)[0]
            self.confound_coef_y_ = np.linalg.lstsq(C1, Y, rcond=None)[0]
            X, Y = X - C1 @ self.confound_coef_x_, Y - C1 @ self.confound_coef_y_
        if self.rule not in ("1se", "max"):
            raise InvalidInputError(f"rule={self.rule!r}; use '1se' or 'max'.")
        max_rank = min(X.shape[1], Y.shape[1])
        if self.rank is not None:
            if not 1 <= int(self.rank) <= max_rank:
                raise InvalidInputError(f"rank={self.rank} must be between 1 and {max_rank}.")
            self.rank_ = int(self.rank)
            self.cv_scores_ = None
        else:
            import pandas as pd

            ranks = sorted({int(r) for r in (self.ranks or range(1, min(max_rank, 20) + 1)) if 1 <= r <= max_rank})
            if not ranks:
                raise InvalidInputError(f"no valid candidate rank in {self.ranks} (max {max_rank}).")
            scores = np.zeros((len(ranks), self.cv))
            stats = BlockStats(X, Y, self.cv)
            for f in range(self.cv):
                tr, te = stats.fold(f)
                Xf, Yf = X, Y
                if C1 is not None:  # confound coefficients from the training blocks only: no leak into the test
                    gx = np.linalg.lstsq(C1[tr], X_raw[tr], rcond=None)[0]
                    gy = np.linalg.lstsq(C1[tr], Y_raw[tr], rcond=None)[0]
                    Xf, Yf = X_raw - C1 @ gx, Y_raw - C1 @ gy
                    stats = BlockStats(Xf, Yf, self.cv)
                # every rank from one ridge fit: B_r = B V_r V_rᵀ, V from the eigenvectors of Bᵀ XᵀX_c B
                B, b0, xx = stats.ridge(f, float(self.alpha))
                w, V = np.linalg.eigh(B.T @ xx @ B)
                V = V[:, np.argsort(w)[::-1]]
                ytr_mean = b0 + _train_mean_x(stats, f) @ B
                P = (Xf[te] - _train_mean_x(stats, f)) @ (B @ V)  # test scores on each predictive direction
                sst = ((Yf[te] - ytr_mean) ** 2).sum(0)
                for i, r in enumerate(ranks):
                    pred = P[:, :r] @ V[:, :r].T + ytr_mean
                    sse = ((Yf[te] - pred) ** 2).sum(0)
                    # mean R² over targets, relative to the training mean (a fair held-out baseline)
                    r2 = 1 - sse / np.where(sst > 0, sst, np.nan)
                    scores[i, f] = float(np.mean(r2[np.isfinite(r2)])) if np.isfinite(r2).any() else np.nan
            mean = scores.mean(1)
            se = scores.std(1, ddof=1) / np.sqrt(self.cv)
            if not np.isfinite(mean).any():  # every held-out target constant: nothing to choose on
                self.rank_ = ranks[0]
            elif self.rule == "1se":
                best = int(np.nanargmax(mean))
                self.rank_ = ranks[int(np.flatnonzero(mean >= mean[best] - se[best])[0])]
            else:
                self.rank_ = ranks[int(np.nanargmax(mean))]
            self.cv_scores_ = pd.DataFrame(scores, index=pd.Index(ranks, name="rank"),
                                           columns=[f"fold{i}" for i in range(self.cv)])
        self.coef_, self.intercept_, V = rrr_fit(X, Y, self.rank_, self._alpha(X))
        # source-space directions that reach the target (orthonormal basis of the column space of B_r)
        self.components_ = np.linalg.qr(self.coef_ @ V[:, : self.rank_])[0]
        self.cv_ = {"scheme": f"blocked {self.cv}-fold (contiguous, unshuffled)", "rule": self.rule,
                    "alpha": self.alpha, "confounds": 0 if confounds is None else C1.shape[1] - 1}
        self.n_features_in_ = X.shape[1]
        return self

    @staticmethod
    def _design(confounds: Any, n: int) -> np.ndarray:
        C = np.asarray(confounds, float)
        C = C[:, None] if C.ndim == 1 else C
        if C.ndim != 2 or C.shape[0] != n:
            raise InvalidInputError(f"confounds {np.shape(confounds)} must be (time,) or (time, c) with {n} samples, "
                                    "one row per row of X.")
        if not np.isfinite(C).all():
            raise InvalidInputError("confounds contain NaN or inf; interpolate or drop those samples first.")
        return np.c_[np.ones(n), C]

    def predict(self, X: Any, confounds: Any = None) -> Any:
        """Ŷ = X B_r + b; with confounds at fit: Ŷ = C₁ Γ_y + (X − C₁ Γ_x) B_r + b.

        (time × q); a DataArray (channels: Y's) when X is one."""
        if not hasattr(self, "coef_"):
            raise InvalidInputError("this ReducedRankRegression is not fitted yet; call fit first.")
        X, meta = as_array(X, name="X")
        if X.shape[1] != self.n_features_in_:
            raise InvalidInputError(f"X has {X.shape[1]} channels; the model was fitted on {self.n_features_in_}.")
        if getattr(self, "confound_coef_x_", None) is None:
            if confounds is not None:
                raise InvalidInputError("this model was fitted without confounds; do not pass them to predict.")
            Yh = X @ self.coef_ + self.intercept_
        else:
            if confounds is None:
                raise InvalidInputError("this model was fitted with confounds; pass the same covariates to predict.")
            C1 = self._design(confounds, X.shape[0])
            Yh = C1 @ self.confound_coef_y_ + (X - C1 @ self.confound_coef_x_) @ self.coef_ + self.intercept_
        return like_input(Yh, meta, channels=self.target_names_, attrs={"translated_by": "ReducedRankRegression"})

    def score(self, X: Any, Y: Any, confounds: Any = None) -> float:
        """Mean R² over targets."""
        Y = as_time_by_channel(Y, name="Y")
        return float(np.nanmean(r2_per_target(Y, np.asarray(self.predict(X, confounds)))))
