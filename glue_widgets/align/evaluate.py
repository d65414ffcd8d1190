"""How good is an alignment: decoder transfer, canonical correlations, geometry, error vs truth."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..model.validation import as_time_by_channel

__all__ = ["frozen_decoder_transfer", "within_session_r2", "canonical_correlations", "linear_cka",
           "procrustes_distance", "truth_r2", "frame_error"]


def _arr(x: Any, name: str) -> np.ndarray:
    try:
        import xarray as xr

        if isinstance(x, xr.DataArray):
            x = x.values
    except ImportError:  # pragma: no cover
        pass
    return as_time_by_channel(x, name=name)


def _r2(y: np.ndarray, yhat: np.ndarray) -> float:
    """Variance-weighted R^2 over output columns."""
    yhat = np.asarray(yhat).reshape(y.shape)
    ss_res = np.sum((y - yhat) ** 2)
    ss_tot = np.sum((y - y.mean(0)) ** 2)
    return float(1 - ss_res / ss_tot)


def within_session_r2(z: Any, y: Any, *, alpha: float = 1.0, n_folds: int = 5) -> float:
    """Cross-validated R^2 of a ridge decoder retrained within the session (contiguous folds)."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_predict

    z, y = _arr(z, "z"), _arr(y, "y")
    pred = cross_val_predict(Ridge(alpha=alpha), z, y, cv=KFold(n_folds))
    return _r2(y, pred)


def frozen_decoder_transfer(z_ref: Any, y_ref: Any, z_list: Sequence[Any], y_list: Sequence[Any], *,
                            alpha: float = 1.0, n_folds: int = 5) -> pd.DataFrame:
    """Train a ridge decoder on the reference session's aligned latents, freeze it, apply to others.

    Returns one row per session in ``z_list``: ``r2_frozen`` (frozen reference decoder on that
    session's aligned latents), ``r2_within`` (decoder retrained within the session, ``n_folds``
    contiguous-fold CV) and ``retained = r2_frozen / r2_within``.
    """
    from sklearn.linear_model import Ridge

    z_ref, y_ref = _arr(z_ref, "z_ref"), _arr(y_ref, "y_ref")
    dec = Ridge(alpha=alpha).fit(z_ref, y_ref)
    rows = []
    for i, (z, y) in enumerate(zip(z_list, y_list)):
        z, y = _arr(z, f"z_list[{i}]"), _arr(y, f"y_list[{i}]")
        frozen = _r2(y, dec.predict(z))
        within = within_session_r2(z, y, alpha=alpha, n_folds=n_folds)
        rows.append({"session": i, "r2_frozen": frozen, "r2_within": within,
                     "retained": frozen / within if within > 0 else np.nan})
    return pd.DataFrame(rows)


def canonical_correlations(a: Any, b: Any) -> np.ndarray:
    """Canonical correlations between two time-matched latent trajectories (descending)."""
    from .paired_cca import cca_maps

    return cca_maps(_arr(a, "a"), _arr(b, "b"))[2]


def linear_cka(a: Any, b: Any) -> float:
    """Linear centred kernel alignment (Kornblith et al. 2019) of time-matched representations."""
    a, b = _arr(a, "a"), _arr(b, "b")
    a, b = a - a.mean(0), b - b.mean(0)
    num = np.linalg.norm(a.T @ b) ** 2
    return float(num / (np.linalg.norm(a.T @ a) * np.linalg.norm(b.T @ b)))


def procrustes_distance(a: Any, b: Any, *, allow_rotation: bool = False) -> float:
    """Normalised distance between two time-matched trajectories in the *same* frame.

    Both are centred and scaled to unit Frobenius norm; the distance is ``||a - b||`` (0..2). With
    ``allow_rotation`` the best orthogonal map is applied first (shape distance, frame ignored).
    """
    a, b = _arr(a, "a"), _arr(b, "b")
    a = (a - a.mean(0)) / np.linalg.norm(a - a.mean(0))
    b = (b - b.mean(0)) / np.linalg.norm(b - b.mean(0))
    if allow_rotation:
        U, _, Vt = np.linalg.svd(b.T @ a)
        b = b @ U @ Vt
    return float(np.linalg.norm(a - b))


def truth_r2(z: Any, truth: Any) -> float:
    """R^2 of the best linear map from latents ``z`` to ground-truth latents (in-sample, intercept)."""
    z, t = _arr(z, "z"), _arr(truth, "truth")
    Z = np.column_stack([z, np.ones(len(z))])
    beta = np.linalg.lstsq(Z, t, rcond=None)[0]
    return _r2(t, Z @ beta)


def frame_error(z_list: Sequence[Any], truth_list: Sequence[Any], reference: int = 0) -> pd.DataFrame:
    """Error against ground truth *in the shared frame*: the linear map latents -> truth fitted on
    the reference session is applied unchanged to every other session (R^2 per session)."""
    zs = [_arr(z, f"z_list[{i}]") for i, z in enumerate(z_list)]
    ts = [_arr(t, f"truth_list[{i}]") for i, t in enumerate(truth_list)]
    Z = np.column_stack([zs[reference], np.ones(len(zs[reference]))])
    beta = np.linalg.lstsq(Z, ts[reference], rcond=None)[0]
    rows = [{"session": i, "r2_shared_map": _r2(t, np.column_stack([z, np.ones(len(z))]) @ beta),
             "r2_own_map": truth_r2(z, t)} for i, (z, t) in enumerate(zip(zs, ts))]
    return pd.DataFrame(rows)
