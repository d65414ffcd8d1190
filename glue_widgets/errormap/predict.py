"""Held-out cross-prediction: the translator fits and the per-source task of the error map."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .latent import moment_row

__all__ = ["make_predictor", "ridge_predictor", "lagged_pairs", "source_row", "folds"]


def folds(n: int, cv: int) -> list[np.ndarray]:
    return np.array_split(np.arange(n), cv)


def ridge_predictor(X: np.ndarray, Y: np.ndarray, alpha: float, w: np.ndarray | None = None):
    """Weighted ridge with its penalty scaled by the mean eigenvalue of X's covariance; returns predict."""
    mx, my = (X.mean(0), Y.mean(0)) if w is None else (np.average(X, 0, w), np.average(Y, 0, w))
    Xc, Yc = X - mx, Y - my
    if w is not None:
        Xc = Xc * np.sqrt(w)[:, None]
        Yc = Yc * np.sqrt(w)[:, None]
    G = Xc.T @ Xc + alpha * np.trace(Xc.T @ Xc) / max(X.shape[1], 1) / X.shape[0] * np.eye(X.shape[1])
    B = np.linalg.solve(G, Xc.T @ Yc)
    return lambda Z: (Z - mx) @ B + my


def make_predictor(model: Any, alpha: float, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None = None):
    """Fit ``model`` ("ridge", "rrr" or a scikit-learn regressor, cloned) on X -> Y; return its predict function.

    "auto" and "iv" fit ridge here: the instrumental-variable dynamics (:func:`.latent.iv_predictor`) need
    consecutive samples and are used by :func:`source_row` for unpaired maps only."""
    if model in ("ridge", "auto", "iv"):
        return ridge_predictor(X, Y, alpha, w)
    if model == "rrr":
        try:  # gw.translate's RRR: rank chosen by its own blocked CV on the training data
            from ..translate import ReducedRankRegression

            est = ReducedRankRegression().fit(X, Y)
            return est.predict
        except ImportError:  # fallback while gw.translate is absent: ridge, then a rank cut of the fit
            rank = max(1, min(X.shape[1], Y.shape[1]) // 2)
            f = ridge_predictor(X, Y, alpha, w)
            _, _, Vt = np.linalg.svd(f(X) - Y.mean(0), full_matrices=False)
            P = Vt[:rank].T @ Vt[:rank]
            my = Y.mean(0)
            return lambda Z: (f(Z) - my) @ P + my
    from sklearn.base import clone

    est = clone(model)
    if w is not None:
        try:
            return est.fit(X, Y, sample_weight=w).predict
        except TypeError:
            pass
    return est.fit(X, Y).predict


def lagged_pairs(n: int, horizon: int, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, outputs) sample indices t, t+h with both inside the index set ``idx`` (sorted)."""
    mask = np.zeros(n, bool)
    mask[idx] = True
    t = np.flatnonzero(mask[: n - horizon] & mask[horizon:])
    return t, t + horizon


def source_row(s: int, data: Sequence[np.ndarray], targets: Sequence[np.ndarray] | None, paired: bool,
                model: Any, alpha: float, cv: int, horizon: int, units_per_fold: int,
                weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Held-out SS_res and SS_tot of every target predicted from source ``s``: arrays (targets, units).

    Unpaired with model "auto"/"iv" (and no weights): :func:`.latent.moment_row` (the error of predicting
    the target's signal from lagged moments, noise-debiased on both sides). Otherwise sample errors of
    ``y(t+h)`` (paired: of the target's channels at the same time).
    """
    if not paired and model in ("auto", "iv") and weights is None and targets is None:
        return moment_row(s, data, cv, horizon, units_per_fold)
    X = data[s]
    targets = data if targets is None else targets
    nt = len(targets)
    ssr = np.zeros((nt, cv * units_per_fold))
    sst = np.zeros_like(ssr)
    fx = folds(X.shape[0], cv)
    for f in range(cv):
        train = np.setdiff1d(np.arange(X.shape[0]), fx[f])
        if not paired:  # paired: same time base, each target gets its own fit below
            ti, to = lagged_pairs(X.shape[0], horizon, train)
            pred = make_predictor(model, alpha, X[ti], X[to], weights)
        for j, Z in enumerate(targets):
            if paired:
                if j == s:
                    continue
                Ymu, Ysd = Z[train].mean(0), Z[train].std(0)
                Ysd[Ysd == 0] = 1.0
                pred = make_predictor(model, alpha, X[train], (Z[train] - Ymu) / Ysd)
                te = fx[f]
                for u, blk in enumerate(np.array_split(te, units_per_fold)):
                    y = (Z[blk] - Ymu) / Ysd
                    ssr[j, f * units_per_fold + u] = np.sum((y - pred(X[blk])) ** 2)
                    sst[j, f * units_per_fold + u] = np.sum(y**2)
            else:
                fz = folds(Z.shape[0], cv)
                mu, sd = Z.mean(0), Z.std(0)
                sd[sd == 0] = 1.0
                for u, blk in enumerate(np.array_split(fz[f], units_per_fold)):
                    ti, to = lagged_pairs(Z.shape[0], horizon, blk)
                    if ti.size == 0:
                        continue
                    y = (Z[to] - mu) / sd
                    ssr[j, f * units_per_fold + u] = np.sum((y - (pred(Z[ti]) - mu) / sd) ** 2)
                    sst[j, f * units_per_fold + u] = np.sum(y**2)
    return ssr, sst


