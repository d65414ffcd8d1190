"""The error map: cross-prediction error between every pair of fragments, with CIs, MDS and clusters.

Two ways to cross-predict (``paired``):

- **paired** (fragments recorded together: regions, modalities of one session): a translator
  (ridge by default, or any fit/predict estimator such as ``gw.translate.Translator``) maps the source's
  channels onto the target's channels at the same time points.
- **unpaired** (different sessions, days, animals, labs): every fragment is reduced to ``n_components``
  whitened latents and aligned into one frame (``gw.align.RestAligner`` when available); a generative
  rule learned on the source (ridge prediction of its latents ``horizon`` samples ahead) predicts the
  target's latents. Low error = the source's dynamics stand in for the target's.

Error = ``1 - R²`` of held-out predictions (contiguous-block cross-validation; the source model never
sees the target's test block, nor its own), pooled over target dimensions after standardization, so
fragments of any size compare. The diagonal is each fragment's own held-out error. Uncertainty is a
block bootstrap over test sub-blocks (the same resampling for every pair).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import xarray as xr

from ..errors import InvalidInputError
from ..model.fragment import Fragment, as_fragments, load_fragment
from ..model.validation import as_time_by_channel, check_positive_int
from .cluster import (
    ci_clusters,
    classical_mds,
    closeness_report,
    cluster_map,
    dissimilarity,
    kinship_distance,
)
from .latent import reduce_lagcov, reduce_pca
from .predict import source_row
from .tasks import compute

__all__ = ["error_map", "reduce_fragment", "load_reduce", "load_array", "canonical_frame", "align_latents",
           "map_from_latents"]


# ------------------------------------------------------------------ stage 1: per fragment (one task each)

REDUCTIONS = ("lagcov", "pca")


def reduce_fragment(x: Any, n_components: int, name: str = "fragment", reduction: str = "lagcov") -> np.ndarray:
    """Reduce a fragment to ``n_components`` whitened latents.

    ``reduction="lagcov"`` (default): signal subspace and whitening from lagged covariances, which white
    observation noise does not reach (:func:`.latent.reduce_lagcov`). ``"pca"``: z-scored principal
    components whitened by their (noisy) variance, the reduction before issue #21.
    """
    if reduction == "lagcov":
        return reduce_lagcov(x, n_components, name)
    if reduction == "pca":
        return reduce_pca(x, n_components, name)
    raise InvalidInputError(f"reduction={reduction!r}: use one of {REDUCTIONS}.")


def load_reduce(frag: Fragment, n_components: int, opener: Callable | None, reduction: str = "lagcov") -> np.ndarray:
    """Load one fragment (a task of its own) and reduce it to whitened latents."""
    return reduce_fragment(load_fragment(frag, opener), n_components, frag.name, reduction)


def load_array(frag: Fragment, opener: Callable | None) -> np.ndarray:
    """Load one fragment (a task of its own) as a (time, channels) float array."""
    return as_time_by_channel(load_fragment(frag, opener), name=frag.name, min_samples=10)


# ------------------------------------------------------------------ alignment into one frame

def canonical_frame(z: np.ndarray, lags: Sequence[int] = (1, 2, 4, 8)) -> np.ndarray:
    """Fallback aligner: rotate whitened latents to the eigenbasis of their symmetrized lagged covariance.

    Coordinates are sorted by slowness; signs are chosen so the antisymmetric (rotational) part of the
    lag-1 covariance has a consistent orientation. Same-generator fragments land in matching frames up
    to rotations inside degenerate (isotropic) planes, which a linear dynamics model does not feel.
    """
    z = z - z.mean(axis=0)
    T = z.shape[0]
    M = sum(z[l:].T @ z[:-l] / (T - l) for l in lags if l < T)
    w, V = np.linalg.eigh((M + M.T) / 2)
    V = V[:, np.argsort(w)[::-1]]
    y = z @ V
    K = (y[1:].T @ y[:-1] - y[:-1].T @ y[1:]) / (2 * (T - 1))
    signs = np.ones(V.shape[1])
    for j in range(1, V.shape[1]):
        p = int(np.argmax(np.abs(K[:j, j])))
        if signs[p] * K[p, j] < 0:
            signs[j] = -1.0
    return y * signs


def align_latents(latents: Sequence[np.ndarray], aligner: Any = "auto", n_components: int = 4,
                  reference: int | str = 0) -> tuple[list[np.ndarray], str]:
    """Put reduced latents into one frame; returns (aligned list, name of the aligner used).

    ``aligner``: "auto" (``gw.align.RestAligner`` if it imports and fits, else the canonical frame),
    "rest", "canonical", "none", or any object with ``fit(list)`` and ``transform(x, session=i)``.
    """
    if aligner in (None, "none"):
        return [np.asarray(z) for z in latents], "none"
    if aligner == "canonical":
        return [canonical_frame(z) for z in latents], "canonical"
    if aligner in ("auto", "rest"):
        try:
            from ..align import RestAligner  # sibling module; optional until it lands

            est = RestAligner(n_components=n_components, reference=reference)
        except Exception as exc:  # noqa: BLE001 - any import problem means: use the fallback
            if aligner == "rest":
                raise InvalidInputError(f"aligner='rest' needs glue_widgets.align.RestAligner: {exc}") from exc
            return [canonical_frame(z) for z in latents], "canonical"
        name = "RestAligner"
    else:
        est, name = aligner, type(aligner).__name__
    est.fit(list(latents))
    out = [np.asarray(getattr(z := est.transform(x, session=i), "values", z), float) for i, x in enumerate(latents)]
    return out, name


def map_from_latents(names: Sequence[str], data: Sequence[np.ndarray], *, paired: bool = False,
                     model: Any = "auto", alpha: float = 1.0, cv: int = 5, horizon: int = 5,
                     n_boot: int = 200, units_per_fold: int = 4, n_clusters: int | None = None,
                     weights: Sequence[np.ndarray] | None = None, scheduler: Any = None, progress: Any = None,
                     seed: int = 0, meta: dict | None = None, extra_attrs: dict | None = None,
                     clustering: str = "auto", ci_threshold: float = 1.0) -> xr.DataArray:
    """Error map of fragments already loaded (paired) or reduced and aligned (unpaired).

    ``weights`` (optional, one per fragment) weight the source model's training samples.
    ``clustering``: "ci" (:func:`ci_clusters`, needs bootstrap CIs and own errors), "silhouette"
    (:func:`cluster_map`), or "auto" (= "ci" for unpaired maps with ``n_boot > 0``, else "silhouette").
    A given ``n_clusters`` always uses the silhouette route with that k (on the kinship distance for
    unpaired moment maps, the automatic k then by the divisive rule of :func:`cluster_map`). "auto" = "silhouette" since
    issue #21 (the "ci" rule split noisy fragments off as clusters of their own).
    """
    if clustering not in ("auto", "ci", "silhouette"):
        raise InvalidInputError(f"clustering={clustering!r}: use 'auto', 'ci' or 'silhouette'.")
    import dask

    n = len(data)
    if paired and len({d.shape[0] for d in data}) > 1:
        raise InvalidInputError("paired=True needs fragments on one time base (same number of samples); "
                                f"got lengths {sorted({d.shape[0] for d in data})}.")
    min_len = min(d.shape[0] for d in data)
    if min_len < cv * units_per_fold * (horizon + 2):
        raise InvalidInputError(f"a fragment has {min_len} samples: too short for cv={cv} x "
                                f"{units_per_fold} sub-blocks with horizon={horizon}.")
    ddata = [dask.delayed(d, pure=True) for d in data]
    row = dask.delayed(source_row, pure=True)
    tasks = []
    for s in range(n):
        w = None
        if weights is not None and weights[s] is not None and not paired:
            w = np.asarray(weights[s], float)
        tasks.append(row(s, ddata, None, paired, model, alpha, cv, horizon, units_per_fold, w))
    rows = compute(tasks, scheduler=scheduler, progress=progress, desc="error map")
    SSR = np.stack([r[0] for r in rows])  # (source, target, unit)
    SST = np.stack([r[1] for r in rows])
    with np.errstate(invalid="ignore", divide="ignore"):
        E = SSR.sum(-1) / SST.sum(-1)
        rng = np.random.default_rng(seed)
        units = SSR.shape[-1]
        counts = rng.multinomial(units, np.full(units, 1.0 / units), size=n_boot).astype(float)  # (boot, unit)
        boot = np.einsum("bu,stu->bst", counts, SSR) / np.einsum("bu,stu->bst", counts, SST)
    if paired:
        np.fill_diagonal(E, 0.0)
        boot[:, np.arange(n), np.arange(n)] = 0.0
    lo, hi = np.nanquantile(boot, [0.025, 0.975], axis=0) if n_boot else (np.full_like(E, np.nan),) * 2
    moments = not paired and (model in ("auto", "iv")) and weights is None
    dmode: bool | str = not paired
    D = dissimilarity(E, relative=dmode)
    # unpaired moment maps: clusters on who-predicts-whom ranks + the latents' dynamics spectra (issue #21)
    Dk = kinship_distance(E, data, horizon) if moments else D
    rule = "silhouette" if clustering == "auto" else clustering
    if rule == "ci" and (paired or n_boot == 0):
        raise InvalidInputError("clustering='ci' needs an unpaired map (own errors on the diagonal) and n_boot > 0.")
    closeness = {} if paired else closeness_report(E, lo, hi, names)
    if n_clusters is None and rule == "silhouette" and closeness and len(closeness["indistinct"]) == n:
        labels = np.zeros(n, int)
        cinfo = {"n_clusters": 1, "method": "one cluster: no target is separable from noise (see closeness_note)"}
    elif n_clusters is not None or rule == "silhouette":
        labels, cinfo = cluster_map(Dk, n_clusters, rule="divisive" if moments else "silhouette")
        if moments:
            cinfo["distance"] = ("rank of the error within each target's column and source's row, plus the "
                                 "distance between the latents' IV dynamics spectra, each over its median")
    else:
        # normal-approximation half-width: steadier than percentile bounds when n_boot is small
        half = 1.96 * np.nanstd(boot[:, np.arange(n), np.arange(n)], axis=0)
        labels, cinfo = ci_clusters(E, half, ci_threshold)
        cinfo["own_ci_halfwidth"] = [float(v) for v in half]
    xy = classical_mds(D, 2)
    Eoff = E.copy()
    np.fill_diagonal(Eoff, np.inf)
    standin = [str(names[int(np.argmin(Eoff[:, t]))]) for t in range(n)]
    names = [str(v) for v in names]
    out = xr.DataArray(
        E, dims=("source", "target"), name="error",
        coords={"source": names, "target": names, "ci_low": (("source", "target"), lo),
                "ci_high": (("source", "target"), hi), "source_cluster": ("source", labels),
                "target_cluster": ("target", labels), "mds_x": ("source", xy[:, 0]),
                "mds_y": ("source", xy[:, 1]), "standin": ("target", standin)})
    out.attrs.update({
        "long_name": ("cross-prediction error of the target's signal (lagged moments, noise-debiased, held out)"
                      if moments else "cross-prediction error (1 - R², held out)"),
        "paired": bool(paired), "model": model if isinstance(model, str) else type(model).__name__,
        "alpha": alpha, "cv": f"{cv} contiguous blocks", "horizon_samples": None if paired else horizon,
        "n_boot": n_boot, "bootstrap": f"{units} test sub-blocks resampled with replacement, 95 % percentile CI",
        "clustering": cinfo, "dissimilarity_mode": dmode,
        "dissimilarity": {"null": "excess error over own / (null - own), symmetrized",
                          True: "relative excess error over own, symmetrized", False: "error symmetrized"}[dmode], "mds": "classical (Torgerson) on the dissimilarity",
        "standin": "per target, the source with the lowest error", "seed": seed,
    })
    out.attrs.update(closeness)
    if meta is not None:
        out.attrs["meta"] = meta
    if extra_attrs:
        out.attrs.update(extra_attrs)
    return out


# ------------------------------------------------------------------ public entry point

def error_map(
    fragments: Any,
    model: Any = "auto",
    cv: int = 5,
    n_boot: int = 200,
    scheduler: Any = None,
    *,
    paired: bool | None = None,
    n_components: int = 4,
    horizon: int = 5,
    aligner: Any = "auto",
    reduction: str = "lagcov",
    alpha: float = 1.0,
    n_clusters: int | None = None,
    clustering: str = "auto",
    ci_threshold: float = 1.0,
    progress: Any = None,
    seed: int = 0,
    opener: Callable | None = None,
) -> xr.DataArray:
    """Cross-prediction error between every pair of fragments.

    Parameters
    ----------
    fragments : list or dict
        Arrays / DataArrays (time, channels), :class:`~glue_widgets.model.fragment.Fragment` objects (data
        in memory, or a URI + stream + window that each task opens, reads and closes), or dicts of
        Fragment fields. Names become the coordinates.
    model : "auto", "ridge", "iv", "rrr" or estimator
        The translator. "auto" (default): ridge for paired maps; for unpaired maps the source's
        dynamics fitted with an instrumental variable (its lag-1 past), which white observation noise
        does not bias (:func:`.latent.iv_predictor`). Or reduced-rank regression, or any scikit-learn
        style regressor with fit/predict (cloned per fit), e.g. ``gw.translate.Translator(...)``.
    cv : int
        Contiguous time blocks for cross-validation.
    n_boot : int
        Block-bootstrap resamples for the 95 % CI.
    scheduler : None, "threads", "sync" or dask.distributed.Client
        Where the tasks run (threads by default).
    paired : bool, optional
        True: fragments share a time base and the translator maps source channels to target channels.
        False: different recordings; compared through aligned latent dynamics. None: True when every
        fragment is a DataArray with identical time coordinates and the same session (``attrs["session"]``
        or ``attrs["source"]``), else False.
    n_components : int
        Latent dimension of the unpaired comparison.
    horizon : int
        Samples ahead predicted by the unpaired dynamics model.
    aligner : "auto", "rest", "canonical", "none" or an aligner object
        How unpaired latents are put into one frame (see :func:`align_latents`).
    reduction : "lagcov" or "pca"
        How unpaired fragments become latents: "lagcov" (default) from lagged covariances, blind to white
        observation noise; "pca" the old z-scored PCA (noise enters the latents).
    n_clusters : int, optional
        Number of clusters (average linkage cut at k; default: chosen by ``clustering``).
    clustering : "auto", "ci" or "silhouette"
        How the number of clusters is chosen. "auto" = "silhouette". Unpaired maps (moment scoring)
        cluster on :func:`~glue_widgets.errormap.cluster.kinship_distance` (ranks of the errors within
        each target's column and source's row, plus the distance between the latents' IV dynamics
        spectra), k by divisive within-cluster silhouette (issue #21); paired maps on the
        dissimilarity, k by best global silhouette.
        "ci": average
        linkage on the excess cross-prediction error over the target's own error in units of its
        bootstrap CI half-width, cut at ``ci_threshold`` (a group merges while its members predict each
        other within their own-error CI; singletons allowed; see :func:`ci_clusters`).
    ci_threshold : float
        Cut of the "ci" rule, in CI half-widths.
    progress : None, True or callable(done, total, desc)

    Returns
    -------
    DataArray (source, target)
        ``E.sel(source=a, target=b)`` is the error of predicting b from a, with coords ``ci_low``/``ci_high``;
        per-fragment coords ``source_cluster``/``target_cluster``, ``mds_x``/``mds_y``, ``standin``
        (best source per target); ``attrs`` record every setting. Unpaired maps also carry
        ``own_error`` (each target's held-out self-prediction), ``predictable_range`` (null minus own:
        what a source can explain at most, the null source predicting the mean scores 1),
        ``indistinct`` (targets whose range is within their own-error CI: there prediction error
        cannot separate kinship from noise) and ``closeness_note`` saying so in words.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((3000, 2))
    >>> frags = {"a": z @ rng.standard_normal((2, 8)), "b": z @ rng.standard_normal((2, 6)),
    ...          "c": rng.standard_normal((3000, 5))}
    >>> E = error_map(frags, paired=True, n_boot=50)
    >>> bool(E.sel(source="a", target="b") < 0.05 and E.sel(source="a", target="c") > 0.9)
    True
    """
    frags = as_fragments(fragments)
    cv = check_positive_int(cv, name="cv")
    n_components = check_positive_int(n_components, name="n_components")
    horizon = check_positive_int(horizon, name="horizon")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise InvalidInputError(f"n_boot={n_boot!r} must be a non-negative integer.")
    if paired is None:
        paired = _same_time_base(frags)
    import dask

    names = [f.name for f in frags]
    lazy = [f.without_data() if f.is_lazy else f for f in frags]
    if paired:
        data = compute([dask.delayed(load_array)(f, opener) for f in lazy], scheduler, progress, "load")
        aligner_used = "none (paired)"
    else:
        if reduction not in REDUCTIONS:
            raise InvalidInputError(f"reduction={reduction!r}: use one of {REDUCTIONS}.")
        lat = compute([dask.delayed(load_reduce)(f, n_components, opener, reduction) for f in lazy], scheduler,
                      progress, "load+reduce")
        data, aligner_used = align_latents(lat, aligner, n_components)
    return map_from_latents(names, data, paired=paired, model=model, alpha=alpha, cv=cv, horizon=horizon,
                            n_boot=n_boot, n_clusters=n_clusters, clustering=clustering,
                            ci_threshold=ci_threshold, scheduler=scheduler, progress=progress,
                            seed=seed, meta={f.name: dict(f.meta) for f in frags},
                            extra_attrs={"aligner": aligner_used, "n_components": None if paired else n_components,
                                         "reduction": None if paired else reduction})


def _same_time_base(frags: Sequence[Fragment]) -> bool:
    """Paired only when every fragment comes from one recording: same time coords and same session id."""
    ids = {f.meta.get("session") or (f.data.attrs.get("source") if isinstance(f.data, xr.DataArray) else None)
           or f.uri for f in frags}
    if len(ids) != 1 or None in ids:
        return False
    times = []
    for f in frags:
        if not isinstance(f.data, xr.DataArray) or "time" not in f.data.coords:
            return False
        times.append(np.asarray(f.data.time.values))
    return all(t.shape == times[0].shape and np.allclose(t, times[0]) for t in times[1:])
