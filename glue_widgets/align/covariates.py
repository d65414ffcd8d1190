"""Measured covariates (pupil, running speed) regressed out of a session's data before alignment.

One idea: a variable recorded beside the neurons that drives many of them at once is a shared mode
that is not part of the latent dynamics. Each session's rest data are regressed, channel by channel
(ordinary least squares with an intercept), on the covariates at a few sample offsets; the residuals
are what the aligner reduces, and the same regression is applied to that session's later data.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel

__all__ = ["check_lags", "check_covariate", "check_covariates", "fit_covariates", "remove_covariates"]


def check_lags(covariate_lags: Any) -> tuple[int, ...]:
    """Validate ``covariate_lags`` (non-empty integer sample offsets without repeats)."""
    try:
        lags = tuple(int(v) for v in covariate_lags)
    except (TypeError, ValueError):
        raise InvalidInputError(f"covariate_lags={covariate_lags!r} must be a sequence of integer "
                                f"sample offsets, e.g. (0,) or (-25, -20, -15, -10, -5, 0).") from None
    if not lags or len(set(lags)) != len(lags):
        raise InvalidInputError(f"covariate_lags={covariate_lags!r} must be non-empty and without "
                                f"repeats, e.g. (0,).")
    return lags


def check_covariate(c: Any, n: int, name: str, name_x: str) -> np.ndarray:
    """One ``(time, q)`` covariate array with ``n`` finite rows."""
    try:
        arr = as_time_by_channel(c, name=name, allow_nan=True)
    except InvalidInputError as e:
        raise InvalidInputError(f"{name} must be a (time, q) array with one row per sample of {name_x}: {e}"
                                ) from None
    if arr.shape[0] != n:
        raise InvalidInputError(f"{name} has {arr.shape[0]} samples but {name_x} has {n}; resample the "
                                f"covariates onto the data's time bins (one row per sample).")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise InvalidInputError(f"{name} has {int(bad.sum())} NaN/inf values (first at samples "
                                f"{rows[:5].tolist()}); interpolate over the gaps (e.g. blinks in a pupil "
                                f"trace) or drop that covariate before aligning.")
    return arr


def check_covariates(covariates: Sequence[Any], ns: list[int], covariate_lags: Any) -> list[np.ndarray]:
    """One covariate array per session, same number of columns in every session."""
    if isinstance(covariates, np.ndarray) or not isinstance(covariates, Sequence):
        raise InvalidInputError("covariates must be a list with one (time, q) array per session "
                                f"(got {type(covariates).__name__}).")
    if len(covariates) != len(ns):
        raise InvalidInputError(f"covariates holds {len(covariates)} arrays for {len(ns)} sessions; "
                                f"pass one per session.")
    check_lags(covariate_lags)
    cs = [check_covariate(c, n, f"covariates[{i}]", f"rest_list[{i}]") for i, (c, n) in enumerate(zip(covariates, ns))]
    qs = [c.shape[1] for c in cs]
    if len(set(qs)) != 1:
        raise InvalidInputError(f"covariates have {qs} columns per session; every session needs the same "
                                f"covariates in the same order.")
    return cs


def _design(c: np.ndarray, lags: tuple[int, ...]) -> np.ndarray:
    """(time, q) -> (time, q * len(lags)): the covariates at every lag, edges padded."""
    n = len(c)
    before, after = max(0, max(lags)), max(0, -min(lags))
    pad = np.pad(c, ((before, after), (0, 0)), mode="edge")
    return np.concatenate([pad[before - L: before - L + n] for L in lags], axis=1)


def fit_covariates(x: np.ndarray, c: np.ndarray, lags: tuple[int, ...], index: int) -> dict:
    """Least-squares regression (with intercept) of every channel of ``x`` on the lagged covariates."""
    D = _design(c, lags)
    mu, sd = D.mean(axis=0), D.std(axis=0)
    keep = sd > 1e-9 * np.maximum(1.0, np.abs(mu))
    if not keep.all():
        q = c.shape[1]
        cols = sorted({int(j) % q for j in np.flatnonzero(~keep)})
        warnings.warn(f"session {index}: covariate column(s) {cols} are constant on its rest segment; their "
                      f"effect cannot be estimated there and they are not removed in this session.",
                      stacklevel=3)
    if not keep.any():
        return {"keep": keep, "mu": mu, "sd": sd, "beta": np.zeros((0, x.shape[1])), "lags": lags}
    Dz = (D[:, keep] - mu[keep]) / sd[keep]
    if Dz.shape[1] >= x.shape[0] // 2:
        raise InvalidInputError(f"rest_list[{index}] has {x.shape[0]} samples for {Dz.shape[1]} covariate "
                                f"regressors (q x len(covariate_lags)); use fewer lags or a longer rest.")
    beta = np.linalg.lstsq(Dz, x - x.mean(axis=0), rcond=None)[0]
    return {"keep": keep, "mu": mu, "sd": sd, "beta": beta, "lags": lags}


def remove_covariates(x: np.ndarray, c: np.ndarray, m: dict) -> np.ndarray:
    """``x`` minus the covariates' fitted effect (model ``m`` from :func:`fit_covariates`)."""
    if not m["keep"].any():
        return x
    D = _design(c, m["lags"])[:, m["keep"]]
    return x - ((D - m["mu"][m["keep"]]) / m["sd"][m["keep"]]) @ m["beta"]
