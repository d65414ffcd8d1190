"""Held-out evaluation of ECoG → EEG translation: fit on the leading part of a recording, test on the rest.

The protocol the Translation dashboard runs, callable from a notebook with the same result:
the learned mapping :class:`~glue_widgets.translate.EcogToEeg` is fitted on the first
``train_fraction`` of simultaneous ECoG/EEG; the physics baseline
:func:`~glue_widgets.translate.forward_baseline` (electrode positions only, nothing fitted) and the
same baseline with one least-squares gain from the training window are scored beside it on the
later, held-out window (R² and Pearson r per EEG channel).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from .cv import r2_per_target

__all__ = ["evaluate_ecog_to_eeg"]

LEARNED = "learned (EcogToEeg, ridge)"
PHYSICS = "physics (positions only)"
PHYSICS_GAIN = "physics × 1 LS gain (gain from the training window)"


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def evaluate_ecog_to_eeg(ecog, eeg, *, train_fraction: float = 0.7, time: np.ndarray | None = None,
                         ecog_positions: np.ndarray | None = None, eeg_positions: np.ndarray | None = None,
                         eeg_names: Sequence[str] | None = None, min_samples: int = 50) -> dict:
    """Fit ECoG → EEG on the leading part of a recording and score it on the held-out rest.

    Parameters
    ----------
    ecog, eeg : array-like or xarray.DataArray, shape (time, channels)
        Simultaneous recordings at one sampling rate (the shorter one sets the length).
    train_fraction : float
        Leading fraction of the samples used to fit (0 < f < 1); the rest is held out. A contiguous
        split, not a shuffled one: neighbouring samples are correlated.
    time : array, optional
        Sample times (s) for the settings text; default sample indices.
    ecog_positions, eeg_positions : array (n, 3), optional
        Electrode positions (m). With both, the physics baseline is scored too.
    eeg_names : sequence of str, optional
        EEG channel names (for the physics baseline and the result).
    min_samples : int
        Fewest samples each side of the split.

    Returns
    -------
    dict
        ``preds`` {method: held-out prediction (time × EEG)}, ``r2`` {method: R² per EEG channel},
        ``table`` (DataFrame: method, r2_mean, r2_median, corr_mean), ``y`` held-out EEG, ``t`` its
        times, ``cut`` (first held-out sample), ``notes`` and ``settings`` (text).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((600, 4)); Y = X @ rng.standard_normal((4, 3)) + 0.1 * rng.standard_normal((600, 3))
    >>> res = evaluate_ecog_to_eeg(X, Y, train_fraction=0.7)
    >>> res["cut"], list(res["table"]["method"])
    (420, ['learned (EcogToEeg, ridge)'])
    >>> bool(res["table"]["r2_mean"].iloc[0] > 0.9)
    True
    """
    from .ecog_eeg import EcogToEeg, forward_baseline

    if not isinstance(train_fraction, (int, float)) or not 0 < float(train_fraction) < 1:
        raise InvalidInputError(f"train_fraction={train_fraction!r} must be between 0 and 1 (exclusive), e.g. 0.7.")
    X, Y = np.asarray(ecog, float), np.asarray(eeg, float)
    if X.ndim != 2 or Y.ndim != 2:
        raise InvalidInputError(f"ecog and eeg must be (time, channels) arrays; got shapes {X.shape} and {Y.shape}.")
    n = min(len(X), len(Y))
    X, Y = X[:n], Y[:n]
    t = np.arange(n, dtype=float) if time is None else np.asarray(time, float)[:n]
    cut = int(round(float(train_fraction) * n))
    if cut < min_samples or n - cut < min_samples:
        raise InvalidInputError(f"{n} samples are too few to split {train_fraction:.2f} / {1 - train_fraction:.2f} "
                                f"(need ≥ {min_samples} each side); read more seconds.")
    learned = EcogToEeg().fit(X[:cut], Y[:cut])
    preds = {LEARNED: np.asarray(learned.predict(X[cut:]), float)}
    notes = [f"EcogToEeg α = {learned.alpha_:.3g} (blocked {learned.cv}-fold CV inside the training window)"
             if hasattr(learned, "alpha_") else "EcogToEeg (ridge, blocked CV)"]
    names = list(map(str, eeg_names)) if eeg_names is not None else [f"EEG{j}" for j in range(Y.shape[1])]
    if ecog_positions is not None and eeg_positions is not None:
        phys_tr = np.asarray(forward_baseline(X[:cut], ecog_positions, eeg_positions, names), float)
        phys = np.asarray(forward_baseline(X[cut:], ecog_positions, eeg_positions, names), float)
        gain = float((phys_tr * Y[:cut]).sum() / max((phys_tr ** 2).sum(), 1e-300))
        preds[PHYSICS] = phys
        preds[PHYSICS_GAIN] = gain * phys
        notes.append(f"physics gain = {gain:.3g}")
    else:
        notes.append("physics baseline not available: no ECoG/EEG electrode positions")
    Yt = Y[cut:]
    rows, r2 = [], {}
    for name, p in preds.items():
        v = r2_per_target(Yt, p)
        r2[name] = v
        rows.append({"method": name, "r2_mean": float(np.nanmean(v)), "r2_median": float(np.nanmedian(v)),
                     "corr_mean": float(np.nanmean([_pearson(p[:, j], Yt[:, j]) for j in range(Yt.shape[1])]))})
    settings = (f"{X.shape[1]} ECoG → {Y.shape[1]} EEG channels, no filter, lags 0; fit on "
                f"[{t[0]:.1f}, {t[cut - 1]:.1f}] s ({cut} samples), held-out window [{t[cut]:.1f}, {t[-1]:.1f}] s "
                f"({n - cut} samples); R² and Pearson r per EEG channel, mean/median over channels. "
                + "; ".join(notes))
    return {"preds": preds, "r2": r2, "table": pd.DataFrame(rows), "y": Yt, "t": t[cut:], "cut": cut,
            "channels": names, "notes": notes, "settings": settings}
