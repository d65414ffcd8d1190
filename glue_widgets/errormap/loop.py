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

Failure attribution (:mod:`glue_widgets.errormap.attribution`): the final map's off-diagonal errors are related
to the card confounds (arousal, lab, apparatus, species, state) with the generating structure the loop
found — the (source cluster, target cluster) cells — as nuisance. A commonality analysis splits what the
confounds explain into each one's unique and shared parts; each unique part is tested by a Freedman–Lane
permutation test in which whole fragments are relabelled (QAP, within clusters by default), because
pairs that share a fragment are not independent. A per-fragment variant (each fragment's mean error as
a target, one observation per fragment) is in ``attribution.attrs["per_fragment"]``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from sklearn.base import BaseEstimator

from ..errors import InvalidInputError
from ..model.card_fields import card_arousal
from ..model.fragment import as_fragments
from ..model.validation import check_positive_int
from .attribution import attribute_fragments, attribute_pairs, confound_blocks
from .cluster import dissimilarity
from .loop_result import LoopIteration, LoopResult
from .map import align_latents, load_reduce, map_from_latents
from .predict import lagged_pairs, make_predictor
from .tasks import compute

__all__ = ["CouplingLoop", "LoopResult", "LoopIteration", "variance_partition"]


# ------------------------------------------------------------------ variance partitioning

def variance_partition(y: Any, blocks: dict[str, Any], n_permutations: int = 500,
                       seed: int | None = 0, nuisance: Any = None, strata: Any = None) -> pd.DataFrame:
    """Unique and shared R² of each block of predictors, with Freedman–Lane permutation p-values.

    A per-fragment commonality analysis; see :func:`glue_widgets.errormap.attribution.attribute_fragments`
    (this is the same function, kept under its first name).

    Parameters
    ----------
    y : array (n,)
        The response (e.g. residual errors of fragments).
    blocks : dict name -> Series/DataFrame/array (n,) or (n, p)
        Numeric columns are standardized; categorical ones one-hot coded.
    nuisance, strata
        Terms always in the model; permutation strata.

    Returns
    -------
    DataFrame indexed by block: ``unique`` (R²_full - R²_without), ``shared``, ``alone`` (R² of the
    block alone), ``n_columns``, ``F``, ``p_value``, sorted by ``unique``; ``attrs`` hold ``full_r2``,
    ``shared`` (full R² minus the sum of unique parts), ``table`` (commonality coefficients) and ``n``.

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

    def rows(v: Any) -> Any:
        if isinstance(v, (pd.Series, pd.DataFrame)):
            return v.reset_index(drop=True)[ok]
        return np.asarray(v)[ok]

    out = attribute_fragments(y[ok], {k: rows(v) for k, v in blocks.items()},
                              nuisance=None if nuisance is None else rows(nuisance),
                              strata=None if strata is None else rows(strata),
                              n_permutations=n_permutations, seed=seed)
    out.attrs["shared"] = out.attrs.get("shared_total", 0.0)
    return out


# ------------------------------------------------------------------ the loop

class CouplingLoop(BaseEstimator):
    """Align -> translate -> error map -> refine, repeated until it settles.

    Parameters
    ----------
    n_components : int
        Dimension of the aligned latent frame.
    aligner : "auto", "rest", "canonical" or an aligner object
        See :func:`glue_widgets.errormap.align_latents` ("auto": ``gw.align.RestAligner`` when available).
    model : "auto", "ridge", "rrr" or estimator
        Translator / dynamics regressor ("auto": the error map's noise-robust instrumental-variable
        dynamics on lagged moments; the held-out pooled fits use ridge).
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
        Meta keys for failure attribution; "arousal" takes every numeric ``arousal*`` field of the cards
        (pupil / running-speed mean and SD, at most 4) as one block.
    n_permutations : int
        Freedman–Lane permutations of the attribution test.
    strata : "cluster", meta key(s) or None
        Exchangeability blocks of the attribution permutations: fragments are only relabelled within
        the same final cluster (default) and/or the same value of these meta keys (e.g. "lab", "state").
    reduction : "lagcov" or "pca"
        How fragments become latents (see :func:`glue_widgets.error_map`); "lagcov" ignores white
        observation noise.
    clustering : "auto", "ci" or "silhouette"
        How each map is clustered (see :func:`glue_widgets.error_map`).

    Examples
    --------
    >>> from glue_widgets.simulate import simulate_sessions
    >>> data, _ = simulate_sessions(subjects=2, days=2, duration_s=120, seed=1)
    >>> res = CouplingLoop(max_iter=3, n_boot=20).run(data)     # doctest: +SKIP
    >>> res.history                                             # doctest: +SKIP
    """

    def __init__(self, n_components: int = 4, aligner: Any = "auto", model: Any = "auto", horizon: int = 5,
                 max_iter: int = 4, tol: float = 1e-3, cv: int = 5, n_boot: int = 100, alpha: float = 1.0,
                 holdout: str = "subject", groups: Sequence[str] = ("day", "subject", "lab", "condition", "species"),
                 confounds: Sequence[str] = ("arousal", "lab", "apparatus", "species", "state"),
                 n_permutations: int = 500, strata: str | Sequence[str] | None = "cluster",
                 seed: int = 0, clustering: str = "auto", reduction: str = "lagcov") -> None:
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
        self.strata = strata
        self.seed = seed
        self.clustering = clustering
        self.reduction = reduction

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
            ti, to = lagged_pairs(Z[i].shape[0], h, np.arange(Z[i].shape[0]))
            Xs.append(Z[i][ti])
            Ys.append(Z[i][to])
            Ws.append(np.full(ti.size, weights[i] / ti.size))  # each fragment counts by its weight
        pred = make_predictor(self.model, self.alpha, np.concatenate(Xs), np.concatenate(Ys),
                               np.concatenate(Ws) * sum(len(x) for x in Xs))
        z = Z[test]
        ti, to = lagged_pairs(z.shape[0], h, np.arange(z.shape[0]))
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
        D = dissimilarity(E.values, relative=E.attrs.get("dissimilarity_mode", not E.attrs.get("paired", False)))
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
    def fit(self, fragments: Any, y: Any = None, **run_kw: Any) -> "CouplingLoop":
        """scikit-learn style: run the loop (``run_kw`` as in :meth:`run`), keep it as ``result_``; returns self."""
        self.result_ = self.run(fragments, **run_kw)
        return self

    def run(self, fragments: Any, *, scheduler: Any = None, progress: Any = None,
            opener: Callable | None = None) -> LoopResult:
        """Run the loop on fragments (see :func:`glue_widgets.error_map` for what a fragment is).

        ``scheduler`` and ``progress`` are as in :func:`glue_widgets.error_map`; ``opener`` opens lazy
        fragments' URIs (default: ``gw.open``). They are options of this call, not of the estimator.
        """
        import dask

        self._scheduler, self._progress = scheduler, progress

        frags = as_fragments(fragments)
        k = check_positive_int(self.n_components, name="n_components")
        max_iter = int(self.max_iter)
        if max_iter < 0:
            raise InvalidInputError(f"max_iter={self.max_iter!r} must be >= 0.")
        names = [f.name for f in frags]
        meta = pd.DataFrame([_fragment_meta(f) for f in frags], index=names)
        lazy = [f.without_data() if f.is_lazy else f for f in frags]
        latents = compute([dask.delayed(load_reduce)(f, k, opener, self.reduction) for f in lazy], scheduler,
                          progress, "load+reduce")
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
                                 n_boot=self.n_boot, scheduler=self._scheduler, progress=self._progress, seed=self.seed,
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
                      "attribution": "commonality analysis of pair errors given cluster cells; unique R² "
                                     f"tested by Freedman–Lane QAP, {self.n_permutations} fragment permutations "
                                     f"(strata: {self.strata})"})

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
        return confound_blocks(meta, self.confounds)

    def _strata(self, meta: pd.DataFrame, clusters: np.ndarray) -> np.ndarray | None:
        keys = [self.strata] if isinstance(self.strata, str) else list(self.strata or [])
        if not keys:
            return None
        parts = []
        for k in keys:
            if k == "cluster":
                parts.append(np.asarray(clusters).astype(str))
            elif k in meta.columns:
                parts.append(meta[k].astype(str).to_numpy())
            else:
                raise InvalidInputError(f"strata key {k!r} is neither 'cluster' nor a meta field "
                                        f"({sorted(map(str, meta.columns))}).")
        return np.array(["|".join(t) for t in zip(*parts)])

    def _attribute(self, final: LoopIteration, meta: pd.DataFrame) -> pd.DataFrame:
        """Pairwise failure attribution of the final map (see :func:`glue_widgets.errormap.attribution.attribute_pairs`).

        Response: every off-diagonal error. Nuisance (always in the model, never tested): the
        (source cluster, target cluster) cells, i.e. the generating structure the loop found. Confound
        blocks: numeric ones as [value of source, value of target, |difference|], categorical ones as
        [same level?, source level, target level]. Commonality analysis gives each block's unique and
        shared share of what the clusters leave; the unique share is tested by Freedman–Lane QAP
        permutations of fragments (within ``strata``).
        """
        cl = final.clusters.to_numpy()
        blocks = self._confound_table(meta)
        st = self._strata(meta, cl)
        out = attribute_pairs(final.error_map.values, blocks, nuisance=cl, strata=st,
                              n_permutations=self.n_permutations, seed=self.seed)
        out.attrs.update({"shared": out.attrs.get("shared_total", 0.0),
                          "response": "off-diagonal error; nuisance = (source cluster, target cluster) cells",
                          "strata": self.strata,
                          "per_fragment": self._attribute_fragments(final, meta, st)})
        return out

    def _attribute_fragments(self, final: LoopIteration, meta: pd.DataFrame, strata: np.ndarray | None
                             ) -> pd.DataFrame:
        """Per-fragment variant: each fragment's mean error as a target (over all other sources), with
        its cluster as nuisance; one observation per fragment."""
        E = np.asarray(final.error_map.values, float)
        n = E.shape[0]
        y = np.nanmean(np.where(np.eye(n, dtype=bool), np.nan, E), axis=0)
        cl = final.clusters.to_numpy().astype(str)
        ok = np.isfinite(y)
        blocks = {k: v[ok] for k, v in self._confound_table(meta).items()}
        if ok.sum() < 3 or not blocks:
            return pd.DataFrame(columns=["unique", "shared", "alone", "n_columns", "F", "p_value"])
        out = attribute_fragments(y[ok], blocks, nuisance=pd.Series(cl[ok]),
                                  strata=None if strata is None else strata[ok],
                                  n_permutations=self.n_permutations, seed=self.seed)
        out.attrs["response"] = "mean error of the fragment as a target; nuisance = its cluster"
        out.attrs["shared"] = out.attrs.get("shared_total", 0.0)
        return out


def _fragment_meta(f: Any) -> dict[str, Any]:
    """A fragment's meta, with the arousal fields re-read from its card when it has one (measured
    covariates only: see :func:`glue_widgets.model.card_fields.card_arousal`)."""
    meta = dict(f.meta)
    card = getattr(getattr(f, "data", None), "attrs", {}).get("card") if f.data is not None else None
    if isinstance(card, dict) and isinstance(card.get("arousal"), dict):
        fields = card_arousal(card)
        if fields:
            for k in [k for k in meta if str(k).startswith("arousal_")]:
                del meta[k]
            meta.update(fields)
    return meta


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    from sklearn.metrics import adjusted_rand_score

    return bool(len(a) == len(b) and adjusted_rand_score(a, b) == 1.0)
