"""Map-level summaries: dissimilarity, classical MDS, and the two rules that cut clusters."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError
from ..model.validation import check_positive_int

__all__ = ["dissimilarity", "rank_dissimilarity", "spectrum_distance", "kinship_distance", "classical_mds",
           "cluster_map", "ci_excess", "ci_clusters", "relabel", "closeness_report"]


MIN_RANGE = 0.02  # smallest predictable range (null minus own error) a target is normalised by
MIN_SPLIT_SILHOUETTE = 0.45  # automatic k: a cluster splits while its branches' silhouette reaches this
MIN_SINGLETON_SILHOUETTE = 0.7  # ... or this, when one branch is a single fragment (its own silhouette is 0)


def dissimilarity(E: np.ndarray, relative: bool | str = True) -> np.ndarray:
    """Symmetric dissimilarity from an error map, averaged with its transpose, zero diagonal.

    ``relative="null"``: excess error over the target's own, as a fraction of the room between its own
    error and the null source's (error 1): ``(E[s,t] - E[t,t]) / (1 - E[t,t])`` (range floored at
    ``MIN_RANGE``), the closeness of the unpaired map. ``True``: ``E[s,t] / E[t,t] - 1``. ``False``: the
    raw error.
    """
    E = np.asarray(E, float)
    own = np.diag(E)
    if relative == "null":
        D = (E - own[None, :]) / np.maximum(1.0 - own, MIN_RANGE)[None, :]
    elif relative and np.all(np.isfinite(own)) and np.all(own > 0):
        D = E / own[None, :] - 1.0
    else:
        D = E.copy()
    D = np.nan_to_num((D + D.T) / 2, nan=np.nanmax(D) if np.isfinite(D).any() else 1.0)
    np.fill_diagonal(D, 0.0)
    return np.clip(D, 0.0, None)


def rank_dissimilarity(E: np.ndarray) -> np.ndarray:
    """Rank of each source within each target's column of the map (and of each target within each source's
    row), scaled to 0..1 and symmetrized: the order of the errors, not their size.

    A target's own noise scales its whole column, and a close group's excess is small on an absolute scale;
    the ranks keep only which fragments predict (and are predicted by) which best, so every target's evidence
    counts alike (issue #21: average linkage on the size merged groups with close dynamics).
    """
    from scipy.stats import rankdata

    E = np.asarray(E, float)
    n = E.shape[0]

    def cols(M):
        V = np.where(np.isfinite(M), M, np.inf)
        np.fill_diagonal(V, np.inf)
        R = np.apply_along_axis(rankdata, 0, V) / max(n - 1, 1)
        np.fill_diagonal(R, 0.0)
        return (R + R.T) / 2

    D = (cols(E) + cols(E.T)) / 2
    np.fill_diagonal(D, 0.0)
    return D


def spectrum_distance(latents, horizon: int = 5) -> np.ndarray:
    """Distance between the eigenvalues of each fragment's ``horizon``-step instrumental-variable dynamics in
    its own latents, matched one-to-one in the complex plane (root of the summed squared gaps, optimal
    matching): frame-free (a change of basis keeps the eigenvalues) and blind to white noise (the instrument
    is the lagged past). Comparing points rather than moduli and angles apart keeps a fast-decaying mode,
    whose angle is arbitrary, from counting as far."""
    from scipy.optimize import linear_sum_assignment

    from .latent import iv_fit
    from .predict import lagged_pairs

    evs = []
    for z in latents:
        z = np.asarray(z, float)
        ti, to = lagged_pairs(len(z), horizon, np.arange(len(z)))
        evs.append(np.linalg.eigvals(iv_fit(z, ti, to)))
    n = len(evs)
    D = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            C = np.abs(evs[i][:, None] - evs[j][None]) ** 2
            r, c = linear_sum_assignment(C)
            D[i, j] = D[j, i] = np.sqrt(C[r, c].sum())
    return D


def kinship_distance(E: np.ndarray, latents=None, horizon: int = 5) -> np.ndarray:
    """The distance clusters are cut on for unpaired maps: :func:`rank_dissimilarity` of the map plus, when
    latents are given, :func:`spectrum_distance` of their dynamics, each scaled by its median off-diagonal
    value (two independent views of kinship: who predicts whom best, and how alike the dynamics are)."""
    def scaled(D):
        off = D[~np.eye(len(D), dtype=bool)]
        med = np.median(off[off > 0]) if np.any(off > 0) else 1.0
        return D / med

    D = scaled(rank_dissimilarity(E))
    if latents is not None and len(latents) == len(D):
        D = D + scaled(spectrum_distance(latents, horizon))
    np.fill_diagonal(D, 0.0)
    return D


def classical_mds(D: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Torgerson (classical) MDS of a dissimilarity matrix: deterministic coordinates (n, n_components)."""
    n = D.shape[0]
    J = np.eye(n) - 1.0 / n
    Bm = -0.5 * J @ (D**2) @ J
    w, V = np.linalg.eigh(Bm)
    order = np.argsort(w)[::-1][:n_components]
    X = V[:, order] * np.sqrt(np.clip(w[order], 0, None))
    for j in range(X.shape[1]):  # deterministic sign
        if X[np.argmax(np.abs(X[:, j])), j] < 0:
            X[:, j] *= -1
    return X


def cluster_map(D: np.ndarray, n_clusters: int | None = None, max_clusters: int = 10, rule: str = "silhouette",
                min_split: float = MIN_SPLIT_SILHOUETTE,
                min_singleton: float = MIN_SINGLETON_SILHOUETTE) -> tuple[np.ndarray, dict]:
    """Average-linkage clustering of a dissimilarity matrix, cut at ``n_clusters`` or, when not given, by
    ``rule``: "silhouette" (the k of best global silhouette) or "divisive" (the default of unpaired maps):
    from the root of the tree down, a cluster splits into its two branches while their silhouette *within
    that cluster* is at least ``min_split``.

    The global silhouette favours the coarsest split when one group lies far from two close ones (it chose
    k = 2 there, issue #21); judging each split among its own members finds the close pair, and a cluster
    without structure stays whole (k = 1 is possible). ``min_split = 0.45`` was tuned on the kinship
    family's tuning seeds (true groups split at a median silhouette of 0.26, merged pairs at 0.48 or more).
    Splitting off a single fragment needs ``min_singleton``: a lone fragment's silhouette counts as 0, so
    the rest's alone would pass an outlier of its group (seen on the demo's coupling loop).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.repeat([0, 1, 2], 4)  # groups 1 and 2 close, group 0 far from both
    >>> D = np.where(g[:, None] == g[None], 1.0, np.where((g[:, None] > 0) & (g[None] > 0), 4.0, 10.0))
    >>> np.fill_diagonal(D, 0.0)
    >>> lab, info = cluster_map(D, rule="divisive")
    >>> info["n_clusters"], lab.tolist()
    (3, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    """
    from scipy.cluster.hierarchy import fcluster, linkage, to_tree
    from scipy.spatial.distance import squareform
    from sklearn.metrics import silhouette_score

    D = np.asarray(D, float)
    n = D.shape[0]
    if n < 3:
        return np.zeros(n, int), {"n_clusters": 1, "silhouette": None, "method": "average linkage"}
    Z = linkage(squareform(D, checks=False), method="average")
    if n_clusters is not None:
        lab = fcluster(Z, t=check_positive_int(n_clusters, name="n_clusters"), criterion="maxclust") - 1
        sil = silhouette_score(D, lab, metric="precomputed") if 1 < len(set(lab)) < n else None
        return lab, {"n_clusters": int(len(set(lab))), "silhouette": sil, "method": "average linkage"}
    if rule == "silhouette":
        return _best_silhouette(D, Z, n, max_clusters)
    if rule != "divisive":
        raise InvalidInputError(f"rule={rule!r}: use 'silhouette' or 'divisive'.")
    groups, splits, todo = [], [], [to_tree(Z)]
    while todo:
        node = todo.pop(0)
        left, right = (node.get_left(), node.get_right()) if not node.is_leaf() else (None, None)
        members = node.pre_order()
        sil = None
        if left is not None and len(members) >= 3 and len(groups) + len(todo) + 2 <= max_clusters:
            sub = np.r_[np.zeros(len(left.pre_order())), np.ones(len(right.pre_order()))]
            sil = float(silhouette_score(D[np.ix_(members, members)], sub, metric="precomputed"))
            splits.append({"size": len(members), "silhouette": sil})
        single = sil is not None and min(len(left.pre_order()), len(right.pre_order())) == 1
        if sil is not None and sil >= (min_singleton if single else min_split):
            todo += [left, right]
        else:
            groups.append(members)
    lab = np.zeros(n, int)
    for i, m in enumerate(sorted(groups, key=min)):
        lab[m] = i
    sil = float(silhouette_score(D, lab, metric="precomputed")) if 1 < len(groups) < n else None
    return lab, {"n_clusters": len(groups), "silhouette": sil, "splits": splits,
                 "method": f"average linkage, divisive: split while the branches' silhouette within their "
                           f"cluster is >= {min_split:g} ({min_singleton:g} to split off one fragment)"}


def _best_silhouette(D: np.ndarray, Z: np.ndarray, n: int, max_clusters: int) -> tuple[np.ndarray, dict]:
    """The cut of the average-linkage tree ``Z`` with the best global silhouette (k >= 2)."""
    from scipy.cluster.hierarchy import fcluster
    from sklearn.metrics import silhouette_score

    best = (-np.inf, np.zeros(n, int))
    scores = {}
    for kk in range(2, min(max_clusters, n - 1) + 1):
        lab = fcluster(Z, t=kk, criterion="maxclust") - 1
        if len(set(lab)) < 2:
            continue
        sc = float(silhouette_score(D, lab, metric="precomputed"))
        scores[kk] = sc
        if sc > best[0] + 1e-12:
            best = (sc, lab)
    lab = best[1]
    return lab, {"n_clusters": int(len(set(lab))), "silhouette": best[0] if scores else None,
                 "silhouette_by_k": scores, "method": "average linkage, k by silhouette"}


def ci_excess(E: np.ndarray, halfwidth: np.ndarray) -> np.ndarray:
    """Cross-prediction excess error in units of the target's own bootstrap uncertainty.

    ``X[s, t] = (E[s, t] - E[t, t]) / halfwidth[t]`` with ``halfwidth`` the 95 % CI half-width of each
    target's own held-out error (``1.96 x`` its bootstrap SD): below 1, source ``s`` predicts target
    ``t`` within the uncertainty of ``t``'s own error (s can stand in for t).
    Dividing by each target's own uncertainty puts targets of different modality / predictability on
    one scale (a calcium target's small own error and a spiking target's large one no longer dominate).
    Returns the symmetrized (mean of X and X.T), non-negative, zero-diagonal matrix.
    """
    E = np.asarray(E, float)
    own = np.diag(E)
    half = np.asarray(halfwidth, float)
    half = np.where(np.isfinite(half) & (half > 0), half, np.nan)
    X = (E - own[None, :]) / half[None, :]
    X = (X + X.T) / 2
    X = np.nan_to_num(X, nan=np.nanmax(X) if np.isfinite(X).any() else 1.0)
    np.fill_diagonal(X, 0.0)
    return np.clip(X, 0.0, None)


def ci_clusters(E: np.ndarray, halfwidth: np.ndarray, threshold: float = 1.0) -> tuple[np.ndarray, dict]:
    """Average-linkage clusters of :func:`ci_excess`, cut where merging costs more than the bootstrap CI.

    Two groups merge while their mean cross-prediction excess error is within ``threshold`` times the
    targets' own-error CI half-width (95 % upper bound); the number of clusters follows from the data's
    own uncertainty rather than from a score that favours few large clusters, and a fragment that no
    other fragment predicts within its CI stays a singleton.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    X = ci_excess(E, halfwidth)
    n = X.shape[0]
    if n < 2:
        lab = np.zeros(n, int)
    else:
        Z = linkage(squareform(X, checks=False), method="average")
        lab = fcluster(Z, t=float(threshold), criterion="distance") - 1
    lab = relabel(lab)
    return lab, {"n_clusters": int(len(set(lab))), "threshold": float(threshold),
                 "method": "average linkage on the cross-prediction excess error over the target's own, in "
                           "units of its 95 % CI half-width (1.96 bootstrap SD; symmetrized); cut at "
                           f"{float(threshold):g} (merge while within the own-error 95 % CI)"}


def relabel(lab: np.ndarray) -> np.ndarray:
    """Cluster ids 0, 1, ... in order of first appearance (deterministic)."""
    _, first, inv = np.unique(lab, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inv].astype(int)



def closeness_report(E: np.ndarray, lo: np.ndarray, hi: np.ndarray, names) -> dict:
    """What an unpaired map can and cannot say about closeness, for its attrs.

    Each target's held-out self-prediction (``own_error``) is the best a source can do; the null
    source (predicting the target's mean) scores 1. ``predictable_range = 1 - own_error`` is the room
    in which kinship can show. A target whose range is within its own-error 95 % CI half-width (or
    below 0.02) is ``indistinct``: prediction error cannot separate kinship from noise there, and its
    column of the map says nothing about closeness.
    """
    E = np.asarray(E, float)
    n = E.shape[0]
    own = np.diag(E).copy()
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    rng = 1.0 - own
    indistinct = []
    for t in range(n):
        others = [s for s in range(n) if s != t]
        separable = any(lo[s, t] > hi[t, t] for s in others) if np.all(np.isfinite(lo[:, t])) else True
        if not (rng[t] > MIN_RANGE and separable):
            indistinct.append(str(names[t]))
    off = E.copy()
    np.fill_diagonal(off, np.inf)
    self_best = float(np.mean(own <= off.min(axis=0))) if n > 1 else float("nan")
    note = ("every target is predictable beyond its noise: the map can separate kinship from noise"
            if not indistinct else
            f"prediction error cannot separate kinship from noise for {', '.join(indistinct)} (no source predicts "
            "them worse than they predict themselves beyond the 95 % CIs): read their columns as 'too noisy to "
            "tell', not as 'close to everything' or 'far from everything'")
    return {"own_error": [float(v) for v in own], "predictable_range": [float(v) for v in rng],
            "null_source": "predicts the target's mean (error 1)", "indistinct": indistinct,
            "self_best_fraction": self_best, "closeness_note": note,
            "closeness": "error = held-out error of the target's signal under the source's dynamics (instrumental "
                         "variables), scored on lagged moments with the target's past as instrument, on latents "
                         "from lagged covariances: white observation noise on either side enters neither; "
                         "dissimilarity = excess over the target's own error relative to it, symmetrized"}
