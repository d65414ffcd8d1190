"""Failure attribution: which card confound explains how much of the residual cross-prediction error.

Two units of analysis, because a pairwise error matrix is not n² independent observations (every
fragment appears in 2(n - 1) pairs):

- :func:`attribute_fragments`: one number per fragment (e.g. its mean residual error as a target),
  regressed on fragment-level confounds;
- :func:`attribute_pairs`: the whole off-diagonal matrix, with pair-level designs built from the two
  fragments' confounds, and a QAP permutation that relabels *fragments* (rows and columns together),
  so the dependence between pairs that share a fragment is kept in the null.

Both report a **commonality analysis** (Seibold & McPhee 1979; Nimon et al. 2008): the R² of every
subset of confound blocks, split into the variance each block explains alone (``unique``) and the
variance it shares with others (``shared``), with the full table of commonality coefficients. Nuisance
terms (e.g. the clusters the error map found, i.e. the generating structure) are partialled out of
the response and of every design first (Frisch–Waugh), so the fractions are of the variance the
nuisance leaves.

Significance of each block's unique share is a **Freedman–Lane** permutation test (Freedman & Lane
1983; Anderson & Legendre 1999; Winkler et al. 2014): fit the reduced model (nuisance + all other
blocks), permute its residuals — across fragments, optionally only within strata (e.g. within lab or
state) — add them back to the reduced fit, and compare the partial F of the block with its observed
value. For pairs the residual *matrix* is permuted by one fragment permutation applied to rows and
columns (QAP).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from .attribution_design import _basis, _residualize, _ss_resid, confound_blocks, design_block, pair_design

# confound_blocks, design_block and pair_design live in attribution_design (re-exported here)
__all__ = ["commonality", "attribute_fragments", "attribute_pairs", "confound_blocks",
           "design_block", "pair_design", "permute_within"]

_COLUMNS = ["unique", "shared", "alone", "n_columns", "F", "p_value"]


# ------------------------------------------------------------------ commonality

def commonality(y: Any, blocks: Mapping[str, Any], nuisance: Any = None) -> pd.DataFrame:
    """Commonality analysis: R² of every subset of blocks, unique and shared parts of each block.

    Parameters
    ----------
    y : array (n,)
        Response.
    blocks : dict name -> array (n,) / (n, p), Series or DataFrame, or an already numeric design
        Each block is coded by :func:`design_block` unless it is a 2-D float ndarray.
    nuisance : array (n, q), optional
        Partialled out of y and every block first; fractions are of the variance it leaves.

    Returns
    -------
    DataFrame indexed by block: ``unique`` (R²_all - R²_all-but-block), ``shared`` (R²_block -
    unique: what it explains only jointly with others), ``alone`` (R² of the block alone),
    ``n_columns``; ``attrs["table"]`` holds the commonality coefficient of every subset (the variance
    explained by exactly those blocks together; they sum to ``attrs["full_r2"]``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal(200); b = a + rng.standard_normal(200)
    >>> c = commonality(a + b + rng.standard_normal(200), {"a": a[:, None], "b": b[:, None]})
    >>> bool(c.loc["a", "shared"] > 0.2), bool(np.isclose(c.attrs["table"].sum(), c.attrs["full_r2"]))
    (True, True)
    """
    y, mats, N = _prepare(y, blocks, nuisance)
    return _commonality(y, mats, N)


def _prepare(y: Any, blocks: Mapping[str, Any], nuisance: Any):
    y = np.asarray(y, float).ravel()
    if y.ndim != 1 or y.size < 3:
        raise InvalidInputError(f"attribution needs a response with at least 3 values, "
                                f"got shape {np.shape(y)}.")
    if not np.isfinite(y).all():
        raise InvalidInputError("attribution response has non-finite values: drop those fragments first.")
    mats = {}
    for k, v in blocks.items():
        m = v if (isinstance(v, np.ndarray) and v.ndim == 2 and v.dtype.kind == "f") else design_block(v)
        if m.shape[0] != y.size:
            raise InvalidInputError(f"confound {k!r} has {m.shape[0]} rows but the response has {y.size}.")
        if m.shape[1]:
            mats[str(k)] = m
    N = np.empty((y.size, 0)) if nuisance is None else np.asarray(nuisance, float).reshape(y.size, -1)
    return y, mats, N


def _commonality(y: np.ndarray, mats: dict[str, np.ndarray], N: np.ndarray) -> pd.DataFrame:
    names = list(mats)
    yr = _residualize(y[:, None], N)[:, 0]
    tot = float(yr @ yr)
    R = {k: _residualize(m, N) for k, m in mats.items()}

    def r2(subset: tuple[str, ...]) -> float:
        if not subset or tot <= 0:
            return 0.0
        Q = _basis(np.concatenate([R[k] for k in subset], axis=1))
        return float(1 - _ss_resid(Q, yr[:, None])[0] / tot)

    if len(names) > 8:
        raise InvalidInputError(f"commonality analysis of {len(names)} blocks needs 2^{len(names)} fits: "
                                "group the confounds into at most 8 blocks.")
    full_set = tuple(names)
    r2_of = {s: r2(s) for m in range(1, len(names) + 1) for s in combinations(names, m)}
    r2_of[()] = 0.0
    # commonality coefficient of exactly the blocks in S: -sum_{T subset S} (-1)^{|S|-|T|} R²(all \ T)
    table = {}
    for m in range(1, len(names) + 1):
        for S in combinations(names, m):
            c = 0.0
            for t in range(len(S) + 1):
                for T in combinations(S, t):
                    rest = tuple(k for k in names if k not in T)
                    c -= (-1) ** (len(S) - len(T)) * r2_of[rest]
            table[" & ".join(S)] = c
    full = r2_of[full_set]
    rows = {}
    for k in names:
        uniq = full - r2_of[tuple(j for j in names if j != k)]
        rows[k] = {"unique": uniq, "shared": r2_of[(k,)] - uniq, "alone": r2_of[(k,)],
                   "n_columns": int(mats[k].shape[1])}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["unique", "shared", "alone", "n_columns"])
    out.attrs["table"] = pd.Series(table, name="commonality").sort_values(key=np.abs, ascending=False)
    out.attrs["full_r2"] = full
    out.attrs["shared_total"] = full - float(out["unique"].sum())
    return out


# ------------------------------------------------------------------ permutations

def permute_within(rng: np.random.Generator, strata: np.ndarray | None, n: int) -> np.ndarray:
    """A random permutation of ``range(n)`` that only exchanges indices of the same stratum."""
    if strata is None:
        return rng.permutation(n)
    perm = np.arange(n)
    for s in pd.unique(strata):
        idx = np.flatnonzero(strata == s)
        perm[idx] = idx[rng.permutation(idx.size)]
    return perm


def _freedman_lane(y: np.ndarray, mats: dict[str, np.ndarray], N: np.ndarray, n_permutations: int,
                   rng: np.random.Generator, permute_y, test_blocks: Sequence[str] | None = None
                   ) -> dict[str, tuple[float, float]]:
    """Partial F of each block given nuisance + other blocks, and its Freedman–Lane p-value.

    ``permute_y(e, rng)`` returns a (len(e), B) matrix of permuted copies of the reduced-model
    residual vector ``e`` (fragment permutation, or QAP relabelling of the pair matrix).
    """
    n = y.size
    ones = np.ones((n, 1))
    out = {}
    for k in mats:
        others = [mats[j] for j in mats if j != k]
        XR = np.concatenate([ones, N] + others, axis=1)
        QR = _basis(XR)
        QF = _basis(np.concatenate([XR, mats[k]], axis=1))
        q = QF.shape[1] - QR.shape[1]
        dfe = n - QF.shape[1]
        if q <= 0 or dfe <= 0:
            out[k] = (float("nan"), float("nan"))  # block collinear with the rest: nothing unique to test
            continue
        fit_r = QR @ (QR.T @ y)
        e = y - fit_r

        def F(Y: np.ndarray) -> np.ndarray:
            rss_r, rss_f = _ss_resid(QR, Y), _ss_resid(QF, Y)
            return ((rss_r - rss_f) / q) / np.maximum(rss_f / dfe, 1e-300)

        f_obs = float(F(y[:, None])[0])
        if n_permutations <= 0 or (test_blocks is not None and k not in test_blocks):
            out[k] = (f_obs, float("nan"))
            continue
        # y* = reduced fit + permuted reduced residuals; the reduced fit is in span(QR), so the partial F of
        # y* equals that of the permuted residuals alone
        null = F(permute_y(e, rng))
        p = (1 + np.sum(null >= f_obs * (1 - 1e-9))) / (1 + null.size)
        out[k] = (f_obs, float(p))
    return out


def _finish(cm: pd.DataFrame, tests: dict, extra: dict) -> pd.DataFrame:
    cm = cm.copy()
    cm["F"] = [tests[k][0] for k in cm.index]
    cm["p_value"] = [tests[k][1] for k in cm.index]
    out = cm[_COLUMNS].sort_values("unique", ascending=False)
    out.attrs.update(cm.attrs)
    out.attrs.update(extra)
    return out


def _nuisance_design(nuisance: Any) -> np.ndarray | None:
    """Labels (1-D, Series, DataFrame) are one-hot coded; a 2-D numeric array is used as it is."""
    if nuisance is None:
        return None
    if isinstance(nuisance, (pd.Series, pd.DataFrame)):
        return design_block(nuisance)
    arr = np.asarray(nuisance)
    if arr.ndim == 2 and arr.dtype.kind in "fiub":
        return arr.astype(float)
    return design_block(pd.Series(arr.ravel().astype(str)))


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=_COLUMNS)


def _strata(strata: Any, n: int) -> np.ndarray | None:
    if strata is None:
        return None
    s = np.asarray(strata).astype(str)
    if s.shape != (n,):
        raise InvalidInputError(f"strata must have one label per fragment ({n}), got shape {s.shape}.")
    return s


def attribute_fragments(y: Any, confounds: Mapping[str, Any], nuisance: Any = None, strata: Any = None,
                        n_permutations: int = 999, seed: int | None = 0,
                        test_blocks: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-fragment attribution: commonality analysis + Freedman–Lane permutation test of each unique share.

    Parameters
    ----------
    y : array (n_fragments,)
        One response per fragment, e.g. its residual error as a target.
    confounds : dict name -> (n,) or (n, p) values (Series/DataFrame/array)
        Fragment-level confound blocks (numeric standardized, categorical one-hot).
    nuisance : array (n, q) or Series/DataFrame, optional
        Always in the model and never tested (e.g. cluster membership = the generating structure).
    strata : array (n,), optional
        Permute only within these groups (exchangeability blocks), e.g. the lab or the rest state.
    n_permutations : int
    seed : int
    test_blocks : sequence of str, optional
        Only these blocks get a permutation p-value (the others: NaN); all blocks stay in the model.

    Returns
    -------
    DataFrame indexed by confound: ``unique``, ``shared``, ``alone`` (fractions of the variance the
    nuisance leaves), ``n_columns``, ``F`` (partial F of the block given nuisance + other blocks),
    ``p_value`` (Freedman–Lane), sorted by ``unique``. ``attrs``: ``full_r2``, ``table``
    (commonality coefficients), ``n``, ``unit``, ``test``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lab = np.repeat(["x", "y"], 30); arousal = rng.standard_normal(60) + (lab == "y")
    >>> y = 0.8 * arousal + rng.standard_normal(60)
    >>> att = attribute_fragments(y, {"arousal": arousal, "lab": lab}, strata=lab, n_permutations=199)
    >>> att.index[0], bool(att.loc["arousal", "p_value"] < 0.01)
    ('arousal', True)
    """
    y, mats, N = _prepare(y, confounds, _nuisance_design(nuisance))
    n = y.size
    st = _strata(strata, n)
    if not mats:
        return _empty()
    rng = np.random.default_rng(seed)

    def permute_y(e: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.stack([e[permute_within(rng, st, n)] for _ in range(n_permutations)], axis=1)

    tests = _freedman_lane(y, mats, N, int(n_permutations), rng, permute_y, test_blocks)
    return _finish(_commonality(y, mats, N), tests, {
        "n": int(n), "unit": "fragment", "n_permutations": int(n_permutations),
        "test": "Freedman–Lane: reduced-model residuals permuted across fragments"
                + (" within strata" if st is not None else "") + "; statistic = partial F of the block"})


def attribute_pairs(E: Any, confounds: Mapping[str, Any], nuisance: Any = None, strata: Any = None,
                    n_permutations: int = 999, seed: int | None = 0,
                    terms: Sequence[str] = ("source", "target", "diff"), permute: str = "fragments",
                    test_blocks: Sequence[str] | None = None) -> pd.DataFrame:
    """Pairwise attribution of an (n, n) error matrix with a QAP Freedman–Lane test.

    Parameters
    ----------
    E : array (n, n)
        Errors (source row, target column); the diagonal is ignored.
    confounds : dict name -> fragment-level values (n,) or (n, p)
        Expanded to pair-level designs by :func:`pair_design` (source value, target value, |difference|
        / same level).
    nuisance : array (n,) of labels, or (n*(n-1), q) pair design, optional
        Fragment labels (e.g. error-map clusters) become (source label, target label) cell dummies:
        the generating structure the map already explains.
    strata : array (n,), optional
        Fragment permutations only exchange fragments of the same stratum.
    n_permutations, seed, terms, test_blocks
        As in :func:`attribute_fragments`; ``terms`` as in :func:`pair_design`.
    permute : "fragments" or "pairs"
        "fragments" (default): QAP, relabel fragments. "pairs": permute pair residuals independently —
        wrong for a pair matrix (anti-conservative); only for showing why.

    Returns
    -------
    As :func:`attribute_fragments`, with ``attrs["n"]`` = number of fragments (the exchangeable unit)
    and ``attrs["n_pairs"]``.

    Notes
    -----
    The reduced model's residual matrix is permuted by relabelling fragments (the same permutation on
    rows and columns, QAP), so under the null each pair keeps its dependence on the two fragments it
    shares with other pairs. Permuting the n(n-1) pair residuals independently would treat them as
    independent and give far too small p-values (see ``tests/test_attribution.py``).
    """
    M = np.asarray(getattr(E, "values", E), float)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise InvalidInputError(f"E must be a square (source, target) matrix, got shape {M.shape}.")
    n = M.shape[0]
    off = ~np.eye(n, dtype=bool)
    src, tgt = np.nonzero(off)
    y = M[off]
    if not np.isfinite(y).all():
        raise InvalidInputError("E has non-finite off-diagonal errors: drop those fragments first.")
    blocks = {k: pair_design(v, src, tgt, terms) for k, v in confounds.items()}
    if nuisance is None:
        N = None
    else:
        nu = np.asarray(nuisance)
        if nu.ndim == 1 and nu.size == n:
            lab = nu.astype(str)
            N = design_block(pd.Series(np.char.add(np.char.add(lab[src], "->"), lab[tgt])))
        else:
            N = nu.astype(float).reshape(y.size, -1)
    y, mats, N = _prepare(y, blocks, N)
    st = _strata(strata, n)
    if not mats:
        return _empty()
    rng = np.random.default_rng(seed)
    idx = np.full((n, n), -1)
    idx[off] = np.arange(y.size)

    if permute not in ("fragments", "pairs"):
        raise InvalidInputError(f"permute={permute!r}: use 'fragments' (QAP) or 'pairs'.")

    def permute_y(e: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty((e.size, n_permutations))
        for b in range(n_permutations):
            if permute == "pairs":
                out[:, b] = e[rng.permutation(e.size)]
                continue
            p = permute_within(rng, st, n)
            out[:, b] = e[idx[np.ix_(p, p)][off]]  # residual of pair (p_i, p_j) moves to pair (i, j)
        return out

    tests = _freedman_lane(y, mats, N, int(n_permutations), rng, permute_y, test_blocks)
    return _finish(_commonality(y, mats, N), tests, {
        "n": int(n), "n_pairs": int(y.size),
        "unit": ("pair (QAP over fragments)" if permute == "fragments"
                 else "pair (independent pairs: invalid)"),
        "n_permutations": int(n_permutations),
        "test": ("Freedman–Lane QAP: reduced-model residual matrix relabelled by fragment permutations"
                 + (" within strata" if st is not None else "") if permute == "fragments"
                 else "Freedman–Lane with pair residuals permuted independently (invalid for a pair matrix)")
                + "; statistic = partial F of the block"})
