"""The coupling loop: align -> translate -> error map -> refine, until it settles; then generalize and attribute.

Iteration 0 is the single pass: every fragment aligned to one reference, one error map. Each further
iteration reads the previous map: its clusters (which fragments can stand in for which) become
alignment groups, each cluster's reference is re-chosen as its medoid (the fragment the others predict
best from), fragments are re-weighted by how well their cluster predicts them, the aligner is re-fitted
per cluster, and a new map is made. The loop stops when the partition and the references no longer
change (converged) or the budget ``max_iter`` is spent. Every iteration is kept.

Held-out error of a state: for each fragment, a pooled dynamics model is trained on the other
fragments of its cluster that belong to other groups (leave-one-group-out over ``holdout``, e.g. the
subject) and predicts the fragment's aligned latents ``horizon`` samples ahead (1 - R²).

Failure attribution: the final map's residual errors (each pair's error minus the mean of its
cluster-pair cell, i.e. what the generating structure does not explain) are related to the card
confounds by variance partitioning (unique R² of each confound block given the others, with a
permutation p-value that shuffles the confound across fragments), saying which confound explains how
much. A per-fragment variant (held-out errors) is in ``attribution.attrs["per_fragment"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .dask_utils import as_fragments, compute
from .errormap import _make_predictor, _pairs, _load_reduce, align_latents, dissimilarity, map_from_latents
from .errors import InvalidInputError
from .model.validation import check_positive_int

__all__ = ["CouplingLoop", "LoopResult", "LoopIteration", "variance_partition"]


@dataclass
class LoopIteration:
    """One pass of the loop: its map, partition, references, weights and held-out error."""

    index: int
    error_map: xr.DataArray
    clusters: pd.Series
    references: dict[int, str]
    weights: pd.Series
    heldout: pd.Series
    heldout_error: float
    aligner: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "heldout_error": self.heldout_error, "n_clusters": int(self.clusters.nunique()),
                "references": dict(self.references), "aligner": self.aligner}


@dataclass
class LoopResult:
    """Everything the loop did and found.

    Attributes
    ----------
    iterations : list of LoopIteration
        ``iterations[0]`` is the single pass.
    converged : bool
    error_map : DataArray (source, target)
        The last map.
    latents : dict name -> ndarray (time, k)
        Final aligned latents (one frame per cluster).
    generalization : DataFrame
        Leave-one-group-out held-out error per grouping key and held-out group, final vs single pass.
    attribution : DataFrame
        Variance partitioning of the map's residual pair errors over confounds (``unique`` R²,
        ``alone`` R², ``p_value``), sorted by ``unique``; ``attrs`` hold ``full_r2``, ``shared`` and
        ``per_fragment`` (the same on per-fragment held-out errors).
    improvement : float
        Single-pass held-out error minus final held-out error (positive = the loop helped).
    """

    iterations: list[LoopIteration]
    converged: bool
    error_map: xr.DataArray
    latents: dict[str, np.ndarray]
    generalization: pd.DataFrame
    attribution: pd.DataFrame
    improvement: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def history(self) -> pd.DataFrame:
        """One row per iteration."""
        return pd.DataFrame([it.to_dict() for it in self.iterations]).set_index("index")

    @property
    def top_confound(self) -> str | None:
        """The confound with the largest unique share of the residual error variance (None if none)."""
        return None if self.attribution.empty else str(self.attribution.index[0])

    def summary(self) -> str:
        first, last = self.iterations[0], self.iterations[-1]
        lines = [f"coupling loop: {len(self.iterations)} iteration(s), converged={self.converged}",
                 f"held-out error (1 - R², {self.settings.get('holdout')}-out): single pass "
                 f"{first.heldout_error:.3f} -> final {last.heldout_error:.3f}",
                 f"clusters: {last.clusters.nunique()}; references: {last.references}"]
        if not self.attribution.empty:
            top = self.attribution.iloc[0]
            lines.append(f"residual errors: {self.top_confound} explains {100 * top['unique']:.0f} % "
                         f"(unique R², p = {top['p_value']:.3g})")
        return "\n".join(lines)


# ------------------------------------------------------------------ variance partitioning

def _design_block(values: pd.Series | pd.DataFrame) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        cols = [_design_block(values[c]) for c in values]
        return np.concatenate(cols, axis=1) if cols else np.empty((len(values), 0))
    v = values
    if pd.api.types.is_numeric_dtype(v) and v.nunique() > 2:
        x = v.astype(float).to_numpy()
        x = np.where(np.isfinite(x), x, np.nanmean(x))
        sd = x.std()
        return ((x - x.mean()) / (sd if sd > 0 else 1.0))[:, None]
    d = pd.get_dummies(v.astype(str), drop_first=True).to_numpy(float)
    return d


def _r2(y: np.ndarray, X: np.ndarray) -> float:
    if X.shape[1] == 0:
        return 0.0
    Xd = np.concatenate([np.ones((len(y), 1)), X], axis=1)
    b, *_ = np.linalg.lstsq(Xd, y, rcond=None)
    r = y - Xd @ b
    tot = np.sum((y - y.mean()) ** 2)
    return float(1 - r @ r / tot) if tot > 0 else 0.0


def variance_partition(y: Any, blocks: dict[str, Any], n_permutations: int = 500,
                       seed: int | None = 0) -> pd.DataFrame:
    """Unique R² of each block of predictors given all others, with permutation p-values.

    Parameters
    ----------
    y : array (n,)
        The response (e.g. residual errors of fragments).
    blocks : dict name -> Series/DataFrame/array (n,) or (n, p)
        Numeric columns are standardized; categorical ones one-hot coded.

    Returns
    -------
    DataFrame indexed by block: ``unique`` (R²_full - R²_without), ``alone`` (R² of the block alone),
    ``n_columns``, ``p_value`` (block rows permuted), sorted by ``unique``; ``attrs`` hold ``full_r2``
    and ``shared`` (full R² minus the sum of unique parts).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal(40); lab = np.repeat(["x", "y"], 20)
    >>> y = 2 * a + 0.3 * rng.standard_normal(40)
    >>> vp = variance_partition(y, {"arousal": a, "lab": lab}, n_permutations=200)
    >>> vp.index[0], bool(vp.loc["arousal", "unique"] > 0.8), bool(vp.loc["arousal", "p_value"] < 0.01)
    ('arousal', True, True)
    """
    y = np.asarray(y, float)
    ok = np.isfinite(y)
    mats = {}
    for k, v in blocks.items():
        if isinstance(v, (pd.Series, pd.DataFrame)):
            v = v.reset_index(drop=True)
        else:
            arr = np.asarray(v)
            v = pd.DataFrame(arr) if arr.ndim == 2 else pd.Series(arr)
        mats[k] = _design_block(v)[ok]
    y = y[ok]
    if not mats:
        return pd.DataFrame(columns=["unique", "alone", "n_columns", "p_value"])
    names = list(mats)

    def full_X(skip: str | None = None, repl: np.ndarray | None = None) -> np.ndarray:
        parts = [repl if (k == skip and repl is not None) else mats[k]
                 for k in names if not (k == skip and repl is None)]
        # one block left out of one: the reduced model is the intercept alone
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(y), 0))
    full = _r2(y, full_X())
    rng = np.random.default_rng(seed)
    rows = {}
    for k in names:
        without = _r2(y, full_X(skip=k))
        uniq = full - without
        null = np.array([_r2(y, full_X(skip=k, repl=mats[k][rng.permutation(len(y))])) - without
                         for _ in range(n_permutations)])
        p = float((1 + np.sum(null >= uniq - 1e-12)) / (1 + n_permutations)) if n_permutations else float("nan")
        rows[k] = {"unique": uniq, "alone": _r2(y, mats[k]), "n_columns": mats[k].shape[1], "p_value": p}
    out = pd.DataFrame.from_dict(rows, orient="index").sort_values("unique", ascending=False)
    out.attrs["full_r2"] = full
    out.attrs["shared"] = full - float(out["unique"].sum())
    out.attrs["n"] = int(len(y))
    return out


# ------------------------------------------------------------------ the loop

class CouplingLoop:
    """Align -> translate -> error map -> refine, repeated until it settles.

    Parameters
    ----------
    n_components : int
        Dimension of the aligned latent frame.
    aligner : "auto", "rest", "canonical" or an aligner object
        See :func:`glue_widgets.errormap.align_latents` ("auto": ``gw.align.RestAligner`` when available).
    model : "ridge", "rrr" or estimator
        Translator / dynamics regressor.
    horizon : int
        Samples ahead predicted by the dynamics models.
    max_iter : int
        Budget: refinement iterations after the single pass.
    tol : float
        Converged when the partition is unchanged and either the references are unchanged or the
        held-out error moved by less than ``tol``.
    cv, n_boot : int
        Cross-validation blocks and bootstrap resamples of each error map.
    holdout : str
        Meta key whose groups are left out for the held-out error (default "subject"; falls back to
        leave-one-fragment-out when the key is missing).
    groups : sequence of str
        Meta keys for the generalization report (those present with >= 2 values are used).
    confounds : sequence of str
        Meta keys for failure attribution; "arousal" takes every numeric ``arousal*`` field.
    scheduler, progress
        As in :func:`glue_widgets.error_map`.
    clustering : "auto", "ci" or "silhouette"
        How each map is clustered (see :func:`glue_widgets.error_map`).

    Examples
    --------
    >>> from glue_widgets.evidence.simulate import simulate_sessions
    >>> data, _ = simulate_sessions(subjects=2, days=2, duration_s=120, seed=1)
    >>> res = CouplingLoop(max_iter=3, n_boot=20).run(data)     # doctest: +SKIP
    >>> res.history                                             # doctest: +SKIP
    """

    def __init__(self, n_components: int = 4, aligner: Any = "auto", model: Any = "ridge", horizon: int = 5,
                 max_iter: int = 4, tol: float = 1e-3, cv: int = 5, n_boot: int = 100, alpha: float = 1.0,
                 holdout: str = "subject", groups: Sequence[str] = ("day", "subject", "lab", "condition", "species"),
                 confounds: Sequence[str] = ("arousal", "lab", "apparatus", "species"),
                 n_permutations: int = 500, scheduler: Any = None, progress: Any = None, seed: int = 0,
                 opener: Callable | None = None, clustering: str = "auto") -> None:
        self.n_components = n_components
        self.aligner = aligner
        self.model = model
        self.horizon = horizon
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_boot = n_boot
        self.alpha = alpha
        self.holdout = holdout
        self.groups = groups
        self.confounds = confounds
        self.n_permutations = n_permutations
        self.scheduler = scheduler
        self.progress = progress
        self.seed = seed
        self.opener = opener
        self.clustering = clustering

    # -------------------------------------------------------------- pieces
    def _align(self, latents: list[np.ndarray], clusters: np.ndarray, refs: dict[int, int]):
        out: list[np.ndarray | None] = [None] * len(latents)
        used = set()
        for c in np.unique(clusters):
            members = np.flatnonzero(clusters == c)
            if len(members) == 1:
                aligned, name = [latents[members[0]]], "none (singleton)"
            else:
                ref = int(np.flatnonzero(members == refs[int(c)])[0])
                aligned, name = align_latents([latents[i] for i in members], self.aligner, self.n_components,
                                              reference=ref)
            used.add(name)
            for i, z in zip(members, aligned):
                out[i] = np.asarray(z, float)
        return out, "+".join(sorted(used))

    def _pooled_error(self, Z: list[np.ndarray], train: np.ndarray, test: int, weights: np.ndarray) -> float:
        h = self.horizon
        Xs, Ys, Ws = [], [], []
        for i in train:
            ti, to = _pairs(Z[i].shape[0], h, np.arange(Z[i].shape[0]))
            Xs.append(Z[i][ti])
            Ys.append(Z[i][to])
            Ws.append(np.full(ti.size, weights[i] / ti.size))  # each fragment counts by its weight
        pred = _make_predictor(self.model, self.alpha, np.concatenate(Xs), np.concatenate(Ys),
                               np.concatenate(Ws) * sum(len(x) for x in Xs))
        z = Z[test]
        ti, to = _pairs(z.shape[0], h, np.arange(z.shape[0]))
        mu, sd = z.mean(0), z.std(0)
        sd[sd == 0] = 1
        y = (z[to] - mu) / sd
        return float(np.sum((y - (pred(z[ti]) - mu) / sd) ** 2) / np.sum(y**2))

    def _heldout(self, Z, clusters, weights, group_values) -> np.ndarray:
        n = len(Z)
        err = np.full(n, np.nan)
        for t in range(n):
            same = np.flatnonzero(clusters == clusters[t])
            train = [i for i in same if i != t and group_values[i] != group_values[t]]
            if not train:
                train = [i for i in same if i != t]
            if train:
                err[t] = self._pooled_error(Z, np.asarray(train), t, weights)
        return err

    @staticmethod
    def _refine(E: xr.DataArray) -> tuple[np.ndarray, dict[int, int], np.ndarray]:
        """Clusters of the map, each cluster's medoid as reference, weights from within-cluster fit."""
        D = dissimilarity(E.values, relative=not E.attrs.get("paired", False))
        labels = np.asarray(E.source_cluster.values)
        refs, weights = {}, np.ones(len(labels))
        for c in np.unique(labels):
            m = np.flatnonzero(labels == c)
            sub = D[np.ix_(m, m)]
            refs[int(c)] = int(m[np.argmin(sub.sum(axis=1))])
            if len(m) > 1:
                spread = sub.sum(axis=1) / (len(m) - 1)
                w = 1.0 / (1.0 + spread / (np.median(spread) + 1e-12))
                weights[m] = w / w.mean()
        return labels, refs, weights

    # -------------------------------------------------------------- run
    def run(self, fragments: Any) -> LoopResult:
        """Run the loop on fragments (see :func:`glue_widgets.error_map` for what a fragment is)."""
        import dask

        frags = as_fragments(fragments)
        k = check_positive_int(self.n_components, name="n_components")
        max_iter = int(self.max_iter)
        if max_iter < 0:
            raise InvalidInputError(f"max_iter={self.max_iter!r} must be >= 0.")
        names = [f.name for f in frags]
        meta = pd.DataFrame([dict(f.meta) for f in frags], index=names)
        lazy = [f.without_data() if f.is_lazy else f for f in frags]
        latents = compute([dask.delayed(_load_reduce)(f, k, self.opener) for f in lazy], self.scheduler,
                          self.progress, "load+reduce")
        if self.holdout in meta.columns:
            gvals = meta[self.holdout].astype(str).to_numpy()
            holdout = self.holdout
        else:
            gvals, holdout = np.asarray(names), "fragment"
        n = len(frags)
        clusters = np.zeros(n, int)
        refs = {0: int(np.argmax([z.shape[0] for z in latents]))}
        weights = np.ones(n)
        iterations: list[LoopIteration] = []
        converged = False
        Z: list[np.ndarray] = []
        for it in range(max_iter + 1):
            Z, aligner_used = self._align(latents, clusters, refs)
            E = map_from_latents(names, Z, model=self.model, alpha=self.alpha, cv=self.cv, horizon=self.horizon,
                                 n_boot=self.n_boot, scheduler=self.scheduler, progress=self.progress, seed=self.seed,
                                 clustering=self.clustering,
                                 meta={f.name: dict(f.meta) for f in frags},
                                 extra_attrs={"aligner": aligner_used, "iteration": it, "n_components": k})
            held = self._heldout(Z, clusters, weights, gvals)
            iterations.append(LoopIteration(
                index=it, error_map=E, clusters=pd.Series(clusters.copy(), index=names, name="cluster"),
                references={int(c): names[r] for c, r in refs.items()},
                weights=pd.Series(weights.copy(), index=names, name="weight"),
                heldout=pd.Series(held, index=names, name="heldout_error"),
                heldout_error=float(np.nanmean(held)), aligner=aligner_used))
            new_clusters, new_refs, new_weights = self._refine(E)
            same_partition = _same_partition(new_clusters, clusters)
            same_refs = same_partition and {names[r] for r in new_refs.values()} == {names[r] for r in refs.values()}
            settled = it > 0 and abs(iterations[-1].heldout_error - iterations[-2].heldout_error) < self.tol
            if it > 0 and same_partition and (same_refs or settled):
                converged = True
                break
            if it == max_iter:
                break
            clusters, refs, weights = new_clusters, new_refs, new_weights
        final = iterations[-1]
        gen = self._generalization(Z, np.asarray(final.clusters.values), np.asarray(final.weights.values),
                                   meta, latents)
        attribution = self._attribute(final, meta)
        return LoopResult(
            iterations=iterations, converged=converged, error_map=final.error_map,
            latents={nm: z for nm, z in zip(names, Z)}, generalization=gen, attribution=attribution,
            improvement=iterations[0].heldout_error - final.heldout_error,
            settings={"n_components": k, "horizon_samples": self.horizon, "cv": f"{self.cv} contiguous blocks",
                      "holdout": holdout, "max_iter": max_iter, "tol": self.tol, "model": str(self.model),
                      "aligner": final.aligner, "error": "1 - R² of held-out latent prediction",
                      "attribution": "unique R² of residual (error - cluster mean) per confound block, "
                                     f"{self.n_permutations} permutations"})

    def _generalization(self, Z, clusters, weights, meta: pd.DataFrame, latents) -> pd.DataFrame:
        rows = []
        single, _ = self._align(latents, np.zeros(len(Z), int), {0: int(np.argmax([z.shape[0] for z in latents]))})
        for key in self.groups:
            if key not in meta.columns or meta[key].nunique() < 2:
                continue
            vals = meta[key].astype(str).to_numpy()
            for g in pd.unique(vals):
                test = np.flatnonzero(vals == g)
                errs, errs1 = [], []
                for t in test:
                    tr = [i for i in np.flatnonzero(clusters == clusters[t]) if vals[i] != g]
                    tr1 = [i for i in range(len(Z)) if vals[i] != g]
                    if tr:
                        errs.append(self._pooled_error(Z, np.asarray(tr), t, weights))
                    if tr1:
                        errs1.append(self._pooled_error(single, np.asarray(tr1), t, np.ones(len(Z))))
                rows.append({"group_by": key, "held_out": g, "n_fragments": int(test.size),
                             "error": float(np.mean(errs)) if errs else np.nan,
                             "single_pass_error": float(np.mean(errs1)) if errs1 else np.nan})
        return pd.DataFrame(rows, columns=["group_by", "held_out", "n_fragments", "error", "single_pass_error"])

    def _confound_table(self, meta: pd.DataFrame) -> dict[str, pd.DataFrame]:
        blocks = {}
        for name in self.confounds:
            if name == "arousal":
                cols = [c for c in meta.columns if str(c).startswith("arousal")
                        and pd.api.types.is_numeric_dtype(meta[c])]
                # every numeric arousal summary of the cards (pupil mean/sd, speed mean/sd...), at most 3
                cols = [c for c in cols if c != "arousal"][:3] or (["arousal"] if "arousal" in cols else [])
                if cols and meta[cols].notna().any().any():
                    blocks["arousal"] = meta[cols]
            elif name in meta.columns and meta[name].nunique() > 1:
                blocks[name] = meta[[name]]
        return blocks

    def _attribute(self, final: LoopIteration, meta: pd.DataFrame) -> pd.DataFrame:
        """Pairwise variance partitioning of the final map's residual errors over the confounds.

        Response: every off-diagonal error minus the mean of its (source cluster, target cluster) cell,
        so the generating structure the loop found is removed first. A numeric confound (arousal)
        enters as [value of source, value of target, |difference|]; a categorical one as [same value?,
        source level, target level]. Permutations shuffle the confound across fragments.
        """
        E = final.error_map.values
        cl = final.clusters.to_numpy()
        n = len(cl)
        off = ~np.eye(n, dtype=bool)
        resid = np.full_like(E, np.nan)
        for a in np.unique(cl):
            for b in np.unique(cl):
                m = np.outer(cl == a, cl == b) & off
                if m.any():
                    resid[m] = E[m] - E[m].mean()
        y = resid[off]
        blocks = self._confound_table(meta)
        src, tgt = np.nonzero(off)

        def pair_block(tab: pd.DataFrame) -> np.ndarray:
            cols = []
            for c in tab.columns:
                v = tab[c]
                if pd.api.types.is_numeric_dtype(v) and v.nunique() > 2:
                    x = v.astype(float).to_numpy()
                    x = np.where(np.isfinite(x), x, np.nanmean(x))
                    cols += [x[src], x[tgt], np.abs(x[src] - x[tgt])]
                else:
                    lv = v.astype(str).to_numpy()
                    cols.append((lv[src] == lv[tgt]).astype(float))
                    d = pd.get_dummies(pd.Series(lv), drop_first=True).to_numpy(float)
                    cols += [d[src, j] for j in range(d.shape[1])] + [d[tgt, j] for j in range(d.shape[1])]
            return np.column_stack(cols)

        if not blocks:
            return pd.DataFrame(columns=["unique", "alone", "n_columns", "p_value"])
        mats = {k: pair_block(v) for k, v in blocks.items()}
        names = list(mats)
        full = _r2(y, np.concatenate([mats[k] for k in names], axis=1))
        rng = np.random.default_rng(self.seed)
        rows = {}
        for k in names:
            rest = np.concatenate([mats[j] for j in names if j != k], axis=1) if len(names) > 1 else np.empty((len(y), 0))
            without = _r2(y, rest)
            uniq = full - without
            null = []
            for _ in range(self.n_permutations):
                perm = blocks[k].iloc[rng.permutation(n)].reset_index(drop=True)
                null.append(_r2(y, np.concatenate([rest, pair_block(perm)], axis=1)) - without)
            null = np.asarray(null)
            p = float((1 + np.sum(null >= uniq - 1e-12)) / (1 + null.size)) if null.size else float("nan")
            rows[k] = {"unique": uniq, "alone": _r2(y, mats[k]), "n_columns": mats[k].shape[1], "p_value": p}
        out = pd.DataFrame.from_dict(rows, orient="index").sort_values("unique", ascending=False)
        out.attrs.update({"full_r2": full, "shared": full - float(out["unique"].sum()), "n_pairs": int(len(y)),
                          "response": "off-diagonal error minus its (source cluster, target cluster) mean",
                          "per_fragment": self._attribute_fragments(final, meta)})
        return out

    def _attribute_fragments(self, final: LoopIteration, meta: pd.DataFrame) -> pd.DataFrame:
        """Per-fragment variant: held-out error minus its cluster mean vs the confounds."""
        err = final.heldout.to_numpy(float)
        cl = final.clusters.to_numpy()
        resid = err.copy()
        for c in np.unique(cl):
            m = (cl == c) & np.isfinite(err)
            if m.any():
                resid[m] = err[m] - err[m].mean()
        blocks = {k: (v.iloc[:, 0] if v.shape[1] == 1 else v) for k, v in self._confound_table(meta).items()}
        out = variance_partition(resid, blocks, n_permutations=min(self.n_permutations, 200), seed=self.seed)
        out.attrs["response"] = "held-out error minus its cluster mean, per fragment"
        return out


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    from sklearn.metrics import adjusted_rand_score

    return bool(len(a) == len(b) and adjusted_rand_score(a, b) == 1.0)
