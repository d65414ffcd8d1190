"""Design matrices of the failure attribution: confound blocks per fragment and per pair, and the
linear-algebra helpers (residualizing, an orthonormal basis, residual sums of squares) its tests share."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import InvalidInputError

__all__ = ["confound_blocks", "design_block", "pair_design"]


def confound_blocks(meta: pd.DataFrame,
                    confounds: Sequence[str] = ("arousal", "lab", "apparatus", "species", "state"),
                    max_arousal_fields: int = 4) -> dict[str, pd.DataFrame]:
    """Confound blocks from a fragment meta table (one row per fragment, e.g. from the rest cards).

    ``"arousal"`` gathers every numeric ``arousal_*`` column (pupil / running-speed mean and SD of the
    window; at most ``max_arousal_fields``) into one block; other names are taken as they are when
    they vary across fragments.

    Examples
    --------
    >>> meta = pd.DataFrame({"lab": ["a", "b", "b"], "species": ["m"] * 3,
    ...                      "arousal_pupil_mean": [1.0, 2.0, 4.0]})
    >>> {k: list(v.columns) for k, v in confound_blocks(meta).items()}
    {'arousal': ['arousal_pupil_mean'], 'lab': ['lab']}
    """
    blocks: dict[str, pd.DataFrame] = {}
    for name in confounds:
        if name == "arousal":
            cols = [c for c in meta.columns if str(c).startswith("arousal")
                    and pd.api.types.is_numeric_dtype(meta[c]) and meta[c].notna().any()]
            # "arousal" itself is a copy of one of the summaries (model.fragment picks one)
            cols = ([c for c in cols if c != "arousal"][:max_arousal_fields]
                    or (["arousal"] if "arousal" in cols else []))
            if cols:
                blocks["arousal"] = meta[cols]
        elif name in meta.columns and meta[name].astype(str).nunique() > 1:
            blocks[name] = meta[[name]]
    return blocks


def design_block(values: Any) -> np.ndarray:
    """Numeric design of one confound block, one row per fragment.

    Numeric columns with more than two values are standardized (missing values get the mean, so a
    fragment without e.g. a pupil camera does not drop out); others are one-hot coded (first level
    dropped).

    Examples
    --------
    >>> design_block(pd.Series(["a", "b", "b"])).ravel().tolist()
    [0.0, 1.0, 1.0]
    """
    if isinstance(values, pd.DataFrame):
        cols = [design_block(values[c]) for c in values]
        return np.concatenate(cols, axis=1) if cols else np.empty((len(values), 0))
    if not isinstance(values, pd.Series):
        arr = np.asarray(values)
        if arr.ndim == 2:
            return design_block(pd.DataFrame(arr))
        values = pd.Series(arr)
    v = values.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(v) and v.nunique() > 2:
        x = v.astype(float).to_numpy()
        if not np.isfinite(x).any():
            return np.empty((len(x), 0))
        x = np.where(np.isfinite(x), x, np.nanmean(x))
        sd = x.std()
        return ((x - x.mean()) / (sd if sd > 0 else 1.0))[:, None]
    return pd.get_dummies(v.astype(str), drop_first=True).to_numpy(float)


def pair_design(values: Any, src: np.ndarray, tgt: np.ndarray,
                terms: Sequence[str] = ("source", "target", "diff")) -> np.ndarray:
    """Pair-level design of one fragment-level confound block.

    A numeric column enters as its value at the source, at the target and their absolute difference;
    a categorical one as "same level?" plus the source's and the target's levels (``terms`` picks
    which of ``source``, ``target``, ``diff`` / same are used).
    """
    tab = values if isinstance(values, pd.DataFrame) else pd.DataFrame(
        np.asarray(values).reshape(len(values), -1) if not isinstance(values, pd.Series) else values)
    cols: list[np.ndarray] = []
    for c in tab.columns:
        v = tab[c].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(v) and v.nunique() > 2:
            x = design_block(v)
            if x.shape[1] == 0:
                continue
            x = x[:, 0]
            cols += ([x[src]] if "source" in terms else []) + ([x[tgt]] if "target" in terms else []) \
                + ([np.abs(x[src] - x[tgt])] if "diff" in terms else [])
        else:
            lv = v.astype(str).to_numpy()
            d = design_block(pd.Series(lv))
            if "diff" in terms:
                cols.append((lv[src] == lv[tgt]).astype(float))
            if "source" in terms:
                cols += [d[src, j] for j in range(d.shape[1])]
            if "target" in terms:
                cols += [d[tgt, j] for j in range(d.shape[1])]
    return np.column_stack(cols) if cols else np.empty((len(src), 0))


def _residualize(A: np.ndarray, N: np.ndarray) -> np.ndarray:
    """A minus its least-squares projection on [1, N]."""
    X = np.concatenate([np.ones((A.shape[0], 1)), N], axis=1)
    b, *_ = np.linalg.lstsq(X, A, rcond=None)
    return A - X @ b


def _basis(X: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of X (rank-revealing, drops collinear columns)."""
    if X.shape[1] == 0:
        return np.empty((X.shape[0], 0))
    try:
        U, s, _ = np.linalg.svd(X, full_matrices=False)
    except np.linalg.LinAlgError:  # LAPACK gesdd can fail to converge on tall, nearly collinear designs
        if not np.isfinite(X).all():
            raise InvalidInputError("a confound or nuisance design has non-finite values; fill or drop the "
                                    "missing confound values before attribution.") from None
        from scipy.linalg import svd as _svd

        U, s, _ = _svd(X, full_matrices=False, lapack_driver="gesvd")
    tol = s.max() * max(X.shape) * np.finfo(float).eps if s.size else 0.0
    return U[:, s > max(tol, 1e-10)]


def _ss_resid(Q: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Residual sum of squares of each column of Y after projecting on span(Q)."""
    R = Y - Q @ (Q.T @ Y) if Q.shape[1] else Y
    return np.sum(R * R, axis=0)


