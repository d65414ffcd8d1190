"""Intervention alignment: do predicted responses to perturbations match the observed ones?"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from ..model.wrap import as_array

__all__ = ["intervention_alignment", "InterventionAlignment", "epoch_responses"]


def epoch_responses(x: Any, epochs: pd.DataFrame, labels: Any = None, baseline: float = 1.0,
                    fs: float | None = None, time: Any = None) -> pd.DataFrame:
    """Observed response of each perturbation label: mean inside its epochs minus the pre-epoch baseline.

    Parameters
    ----------
    x : DataArray (time, channel) (its ``time`` coordinate is used) or array with ``time`` given.
    epochs : DataFrame with ``start``, ``stop``, ``label``.
    labels : list of str, optional
        Labels to use (default: every label in ``epochs``).
    baseline : float
        Seconds before each epoch used as its baseline.

    Returns
    -------
    DataFrame indexed by label, one column per channel.
    """
    X, meta = as_array(x, name="x", min_samples=3)
    if time is None:
        time = meta.time
    if time is None:
        if fs is None:
            raise InvalidInputError("pass time= or fs= with a plain array (or a DataArray with a time coordinate).")
        time = np.arange(X.shape[0]) / fs
    t, cols = np.asarray(time, float), meta.channels
    if not {"start", "stop", "label"} <= set(epochs.columns):
        raise InvalidInputError("epochs needs start, stop and label columns.")
    labels = list(pd.unique(epochs["label"])) if labels is None else list(labels)
    out = {}
    for lab in labels:
        rows = epochs[epochs["label"] == lab]
        if rows.empty:
            raise InvalidInputError(f"label {lab!r} not in epochs (labels: {sorted(map(str, epochs['label'].unique()))}).")
        diffs = []
        for s, e in zip(rows["start"], rows["stop"]):
            inside = (t >= s) & (t < e)
            before = (t >= s - baseline) & (t < s)
            if inside.any() and before.any():
                diffs.append(X[inside].mean(0) - X[before].mean(0))
        if not diffs:
            raise InvalidInputError(f"no epoch of {lab!r} has data inside and {baseline} s before it.")
        out[lab] = np.mean(diffs, axis=0)
    return pd.DataFrame.from_dict(out, orient="index", columns=cols)


@dataclass
class InterventionAlignment:
    """Predicted vs observed perturbation responses.

    Attributes
    ----------
    per_condition : DataFrame
        Per condition: Pearson ``r``, ``cosine``, observed/predicted response norms, and whether the
        condition's observed response is closest (by correlation) to its own prediction.
    r2 : float
        ``1 - SS(observed - predicted) / SS(observed)`` over all conditions and channels.
    mean_r : float
        Mean per-condition correlation.
    identification : float
        Fraction of conditions identified (own prediction most correlated).
    p_value : float
        Permutation test of ``mean_r`` against shuffled condition labels of the predictions.
    """

    per_condition: pd.DataFrame
    r2: float
    mean_r: float
    identification: float
    p_value: float
    settings: dict[str, Any] = field(default_factory=dict)


def _as_table(v: Any, name: str) -> pd.DataFrame:
    if isinstance(v, pd.DataFrame):
        return v.astype(float)
    if isinstance(v, Mapping):
        return pd.DataFrame({str(k): np.ravel(np.asarray(a, float)) for k, a in v.items()}).T
    arr = np.atleast_2d(np.asarray(v, float))
    if arr.ndim != 2:
        raise InvalidInputError(f"{name} must be (conditions, features); got shape {arr.shape}.")
    return pd.DataFrame(arr, index=[str(i) for i in range(arr.shape[0])])


def intervention_alignment(predicted: Any, observed: Any, n_permutations: int = 1000,
                           seed: int | None = 0) -> InterventionAlignment:
    """Compare predicted with observed responses across perturbation conditions.

    Parameters
    ----------
    predicted, observed : (conditions, features) arrays, DataFrames indexed by condition, or dicts
        condition -> response vector. DataFrames/dicts are matched by condition label.
    n_permutations : int
        Shuffles of the condition labels of ``predicted`` for the p-value of the mean correlation.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> obs = rng.standard_normal((6, 20))
    >>> res = intervention_alignment(obs + 0.3 * rng.standard_normal(obs.shape), obs, n_permutations=200)
    >>> res.identification == 1.0 and res.p_value < 0.01
    True
    """
    P, O = _as_table(predicted, "predicted"), _as_table(observed, "observed")
    common = [c for c in O.index if c in P.index]
    if len(common) < 2:
        raise InvalidInputError(
            f"need >= 2 shared conditions; predicted has {list(P.index)[:6]}, observed {list(O.index)[:6]}.")
    P, O = P.loc[common].to_numpy(), O.loc[common].to_numpy()
    if P.shape != O.shape:
        raise InvalidInputError(f"predicted {P.shape} and observed {O.shape} responses differ in size.")
    Pc = P - P.mean(1, keepdims=True)
    Oc = O - O.mean(1, keepdims=True)
    Pn = Pc / np.linalg.norm(Pc, axis=1, keepdims=True)
    On = Oc / np.linalg.norm(Oc, axis=1, keepdims=True)
    R = On @ Pn.T  # observed i vs predicted j
    r = np.diag(R)
    cos = np.sum(P * O, 1) / (np.linalg.norm(P, axis=1) * np.linalg.norm(O, axis=1))
    ident = np.argmax(R, axis=1) == np.arange(len(common))
    rng = np.random.default_rng(seed)
    null = np.array([np.mean(R[np.arange(len(common)), rng.permutation(len(common))])
                     for _ in range(n_permutations)])
    p = float((1 + np.sum(null >= r.mean())) / (1 + n_permutations)) if n_permutations else float("nan")
    table = pd.DataFrame({"r": r, "cosine": cos, "observed_norm": np.linalg.norm(O, axis=1),
                          "predicted_norm": np.linalg.norm(P, axis=1), "identified": ident}, index=common)
    return InterventionAlignment(
        per_condition=table, r2=float(1 - np.sum((O - P) ** 2) / np.sum(O**2)), mean_r=float(r.mean()),
        identification=float(ident.mean()), p_value=p,
        settings={"n_permutations": n_permutations, "null": "shuffled condition labels", "seed": seed})
