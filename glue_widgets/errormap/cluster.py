"""Map-level summaries: dissimilarity, classical MDS, and the two rules that cut clusters."""

from __future__ import annotations

import numpy as np

from ..model.validation import check_positive_int

__all__ = ["dissimilarity", "classical_mds", "cluster_map", "ci_excess", "ci_clusters", "relabel", "closeness_report"]


MIN_RANGE = 0.02  # smallest predictable range (null minus own error) a target is normalised by


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


def cluster_map(D: np.ndarray, n_clusters: int | None = None, max_clusters: int = 10) -> tuple[np.ndarray, dict]:
    """Average-linkage clustering of a dissimilarity matrix; k by best silhouette when not given."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.metrics import silhouette_score

    n = D.shape[0]
    if n < 3:
        return np.zeros(n, int), {"n_clusters": 1, "silhouette": None, "method": "average linkage"}
    Z = linkage(squareform(D, checks=False), method="average")
    if n_clusters is not None:
        lab = fcluster(Z, t=check_positive_int(n_clusters, name="n_clusters"), criterion="maxclust") - 1
        sil = silhouette_score(D, lab, metric="precomputed") if 1 < len(set(lab)) < n else None
        return lab, {"n_clusters": int(len(set(lab))), "silhouette": sil, "method": "average linkage"}
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
