"""Transfer entropy (nats): Gaussian closed form and the KSG nearest-neighbour estimator.

TE(X -> Y) with history h is the conditional mutual information
``I(Y_t ; X_{t-1..t-h} | Y_{t-1..t-h}, Z_{t-1..t-h})`` (Schreiber 2000). For jointly Gaussian
variables it equals half the log-ratio of conditional (co)variances, which is Granger's
log-ratio / 2 (Barnett, Barrett & Seth 2009). The KSG estimator is the Kraskov-Stögbauer-Grassberger
algorithm 1 in its conditional form (Frenzel & Pompe 2007), max-norm, k neighbours.

Significance: the null is the TE of surrogates that break the source -> target link. ``"shift"``
circularly shifts the source against the target (keeps the source's own autocorrelation; calibrated
for the Gaussian estimator). ``"local"`` is Runge's (2018) local permutation: each sample's source past
is swapped with that of one of its ``k_perm`` nearest neighbours in the conditioning space, which keeps
the source's dependence on the target's past. KSG's bias grows with that dependence, so a shift null
under-estimates it (the reverse direction of a coupled VAR then looks significant); ``"auto"`` uses
"local" for KSG and "shift" for the Gaussian estimator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import solve_discrete_lyapunov
from scipy.spatial import cKDTree
from scipy.special import digamma

from ..errors import InvalidInputError
from ..model.validation import check_positive_int
from ._common import TestResult, as_2d, check_same_length, embed_past, summarize_null

__all__ = ["transfer_entropy", "var1_transfer_entropy", "gaussian_cmi", "ksg_cmi"]


# ---------------------------------------------------------------- estimators of I(A; B | C)

def _logdet_cond(cov: np.ndarray, a: np.ndarray, c: np.ndarray) -> float:
    """log det of Cov(A | C) from a joint covariance matrix (index arrays a, c)."""
    saa = cov[np.ix_(a, a)]
    if c.size:
        scc = cov[np.ix_(c, c)]
        sac = cov[np.ix_(a, c)]
        saa = saa - sac @ np.linalg.solve(scc, sac.T)
    sign, ld = np.linalg.slogdet(saa)
    if sign <= 0:
        raise InvalidInputError("conditional covariance is singular; drop constant or duplicate channels.")
    return float(ld)


def gaussian_cmi(a: np.ndarray, b: np.ndarray, c: np.ndarray | None = None) -> float:
    """Gaussian conditional mutual information ``I(A;B|C)`` in nats from samples (rows)."""
    c = np.empty((a.shape[0], 0)) if c is None else c
    joint = np.concatenate([a, b, c], axis=1)
    cov = np.cov(joint, rowvar=False).reshape(joint.shape[1], joint.shape[1])
    ia = np.arange(a.shape[1])
    ib = np.arange(a.shape[1], a.shape[1] + b.shape[1])
    ic = np.arange(a.shape[1] + b.shape[1], joint.shape[1])
    return 0.5 * (_logdet_cond(cov, ia, ic) - _logdet_cond(cov, ia, np.concatenate([ib, ic])))


def _count_within(x: np.ndarray, r: np.ndarray, workers: int) -> np.ndarray:
    """Number of points strictly closer than r (max-norm) to each point, itself included."""
    if x.shape[1] == 1:  # 1-D: two binary searches beat a tree
        v = x[:, 0]
        s = np.sort(v)
        return np.searchsorted(s, v + r, side="left") - np.searchsorted(s, v - r, side="right")
    tree = cKDTree(x)
    return np.asarray(tree.query_ball_point(x, r, p=np.inf, return_length=True, workers=workers))


def ksg_cmi(a: np.ndarray, b: np.ndarray, c: np.ndarray | None = None, k: int = 4,
            workers: int = 1) -> float:
    """KSG (algorithm 1) conditional mutual information ``I(A;B|C)`` in nats, max-norm.

    ``psi(k) - < psi(n_ac + 1) + psi(n_bc + 1) - psi(n_c + 1) >`` with the counts taken strictly
    inside the distance to the k-th neighbour in the joint space (Frenzel & Pompe 2007). Without C
    it is the KSG mutual information ``psi(k) + psi(N) - < psi(n_a + 1) + psi(n_b + 1) >``.
    """
    n = a.shape[0]
    joint = np.concatenate([a, b] + ([c] if c is not None and c.shape[1] else []), axis=1)
    dist, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf, workers=workers)
    eps = np.nextafter(dist[:, -1], 0)  # strict inequality
    if c is None or c.shape[1] == 0:
        na = _count_within(a, eps, workers)
        nb = _count_within(b, eps, workers)
        return float(digamma(k) + digamma(n) - np.mean(digamma(na) + digamma(nb)))
    nac = _count_within(np.concatenate([a, c], axis=1), eps, workers)
    nbc = _count_within(np.concatenate([b, c], axis=1), eps, workers)
    nc = _count_within(c, eps, workers)
    # counts include the point itself, so psi(n_sub + 1) with n_sub excluding it is psi(count)
    return float(digamma(k) - np.mean(digamma(nac) + digamma(nbc) - digamma(nc)))


# ---------------------------------------------------------------- public API

def _local_permutation(cond: np.ndarray, k_perm: int, rng: np.random.Generator,
                       nbrs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Runge (2018) local permutation of rows: each row takes an unused neighbour's index in ``cond``."""
    n = cond.shape[0]
    if nbrs is None:
        _, nbrs = cKDTree(cond).query(cond, k=k_perm, p=np.inf)
        nbrs = np.asarray(nbrs).reshape(n, -1)
    perm = np.empty(n, dtype=np.int64)
    used = np.zeros(n, dtype=bool)
    shuffled = np.take_along_axis(nbrs, rng.random(nbrs.shape).argsort(axis=1), axis=1)
    for i in rng.permutation(n):
        row = shuffled[i]
        free = row[~used[row]]
        j = free[0] if free.size else row[0]
        perm[i] = j
        used[j] = True
    return perm, nbrs


def _standardize(x: np.ndarray, jitter: float, rng: np.random.Generator) -> np.ndarray:
    sd = x.std(axis=0)
    if np.any(sd == 0):
        raise InvalidInputError("a channel is constant; transfer entropy needs varying signals.")
    z = (x - x.mean(axis=0)) / sd
    if jitter:  # break ties of discrete-valued data (binned counts) for the neighbour search
        z = z + jitter * rng.standard_normal(z.shape)
    return z


def transfer_entropy(
    source: Any,
    target: Any,
    history: int = 1,
    estimator: str = "gaussian",
    n_permutations: int = 100,
    condition: Any = None,
    k: int = 4,
    min_shift: int | None = None,
    surrogate: str = "auto",
    k_perm: int = 5,
    seed: int | None = 0,
    jitter: float = 1e-10,
    workers: int = 1,
) -> TestResult:
    """Transfer entropy from ``source`` to ``target`` in nats, with a circular-shift permutation null.

    Parameters
    ----------
    source, target : array (time, channels) or DataArray
        Simultaneous series on the same time base (1-D arrays are one channel).
    history : int
        Number of past samples of every series in the conditioning set (lags 1..history).
    estimator : {"gaussian", "ksg"}
        ``"gaussian"``: closed form from log-determinants of conditional covariances (exact for
        Gaussian processes; equals half the Granger log-ratio). ``"ksg"``: Kraskov-Stögbauer-
        Grassberger conditional MI with ``k`` neighbours (max-norm), model-free.
    n_permutations : int
        Surrogates for the null (0 skips it).
    surrogate : {"auto", "shift", "local"}
        ``"shift"``: circular shift of the source by at least ``min_shift`` samples (default
        ``max(10 * history, N // 20)``); ``"local"``: local permutation of the source past among the
        ``k_perm`` nearest neighbours in the conditioning space (Runge 2018). ``"auto"``: local for
        KSG, shift for Gaussian (see the module notes).
    condition : array (time, channels), optional
        Further series whose past is conditioned on (conditional TE).
    k : int
        Neighbours for KSG.
    seed : int or None
        Seed of the surrogate shifts (and of the tie-breaking jitter).

    Returns
    -------
    TestResult
        ``value`` (nats), ``p_value``, null summary and ``settings``. ``float(result)`` is the value.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(5000); y = np.zeros(5000)
    >>> for t in range(1, 5000): y[t] = 0.5 * y[t-1] + 0.4 * x[t-1] + rng.standard_normal()
    >>> te = transfer_entropy(x, y, n_permutations=20)
    >>> te.value > 0.05 and te.p_value < 0.1
    True
    """
    history = check_positive_int(history, name="history")
    if estimator not in ("gaussian", "ksg"):
        raise InvalidInputError(f"estimator={estimator!r}; use 'gaussian' or 'ksg'.")
    k = check_positive_int(k, name="k")
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 0:
        raise InvalidInputError(f"n_permutations={n_permutations!r} must be a non-negative integer.")
    x = as_2d(source, "source", min_samples=history + 3)
    y = as_2d(target, "target", min_samples=history + 3)
    z = as_2d(condition, "condition", min_samples=history + 3)
    n = check_same_length(source=x, target=y, condition=z)
    rng = np.random.default_rng(seed)
    if estimator == "ksg":
        x, y = _standardize(x, jitter, rng), _standardize(y, jitter, rng)
        z = None if z is None else _standardize(z, jitter, rng)

    fut = y[history:]
    cond = embed_past(y, history)
    if z is not None:
        cond = np.concatenate([cond, embed_past(z, history)], axis=1)

    def te_of(xs: np.ndarray) -> float:
        past = embed_past(xs, history)
        if estimator == "gaussian":
            return gaussian_cmi(fut, past, cond)
        return ksg_cmi(fut, past, cond, k=k, workers=workers)

    value = te_of(x)
    if surrogate == "auto":
        surrogate = "local" if estimator == "ksg" else "shift"
    if surrogate not in ("shift", "local"):
        raise InvalidInputError(f"surrogate={surrogate!r}; use 'auto', 'shift' or 'local'.")
    if min_shift is None:
        min_shift = max(10 * history, n // 20)
    null_vals = []
    if surrogate == "shift":
        if n_permutations and n - 2 * min_shift < 1:
            raise InvalidInputError(f"series of {n} samples is too short for min_shift={min_shift}.")
        shifts = rng.integers(min_shift, n - min_shift + 1, size=n_permutations) if n_permutations else []
        null_vals = [te_of(np.roll(x, int(s), axis=0)) for s in shifts]
    else:
        k_perm = check_positive_int(k_perm, name="k_perm")
        past = embed_past(x, history)
        nbrs = None
        for _ in range(n_permutations):
            perm, nbrs = _local_permutation(cond, k_perm, rng, nbrs)
            if estimator == "gaussian":
                null_vals.append(gaussian_cmi(fut, past[perm], cond))
            else:  # a neighbour reused by the permutation would be an exact tie: jitter it away
                xs = past[perm] + jitter * rng.standard_normal(past.shape) if jitter else past[perm]
                null_vals.append(ksg_cmi(fut, xs, cond, k=k, workers=workers))
    null = np.array(null_vals, dtype=float)
    settings = {
        "estimator": estimator, "history": history, "n_samples": int(n), "units": "nats",
        "n_permutations": int(n_permutations),
        "surrogate": "circular shift of source" if surrogate == "shift" else f"local permutation (k_perm={k_perm})",
        "min_shift": int(min_shift) if surrogate == "shift" else None, "seed": seed, "conditioned": z is not None,
        "source_channels": int(x.shape[1]), "target_channels": int(y.shape[1]),
    }
    if estimator == "ksg":
        settings.update(k=k, norm="max", standardized=True)
    return TestResult(value=float(value), settings=settings, **summarize_null(value, null))


def var1_transfer_entropy(A: Any, Q: Any, source: Any, target: Any, history: int = 1,
                          condition: Any = None) -> float:
    """Closed-form TE (nats) of a stationary Gaussian VAR(1) ``x_t = A x_{t-1} + e_t``, ``Cov(e) = Q``.

    The stationary covariance solves ``S = A S A' + Q``; lag-l covariances are ``A^l S``. TE is read
    from the joint covariance of the target's present and the lagged blocks.

    Parameters
    ----------
    source, target, condition : int or sequence of int
        Indices of the variables.

    Examples
    --------
    >>> A = np.array([[0.5, 0.0], [0.4, 0.5]])
    >>> round(var1_transfer_entropy(A, np.eye(2), 0, 1), 4) > 0
    True
    >>> var1_transfer_entropy(A, np.eye(2), 1, 0)
    0.0
    """
    A = np.atleast_2d(np.asarray(A, float))
    Q = np.atleast_2d(np.asarray(Q, float))
    d = A.shape[0]
    if A.shape != (d, d) or Q.shape != (d, d):
        raise InvalidInputError(f"A {A.shape} and Q {Q.shape} must be square of the same size.")
    if np.max(np.abs(np.linalg.eigvals(A))) >= 1:
        raise InvalidInputError("A is not stable (spectral radius >= 1); no stationary covariance.")
    history = check_positive_int(history, name="history")
    S = solve_discrete_lyapunov(A, Q)
    L = history + 1
    # block (i, j) = Cov(x_{t-i}, x_{t-j}) = A^{j-i} S for j >= i
    big = np.zeros((L * d, L * d))
    powers = [np.eye(d)]
    for _ in range(L):
        powers.append(A @ powers[-1])
    for i in range(L):
        for j in range(L):
            blk = powers[j - i] @ S if j >= i else (powers[i - j] @ S).T
            big[i * d:(i + 1) * d, j * d:(j + 1) * d] = blk
    idx = lambda v: np.atleast_1d(np.asarray(v, int))  # noqa: E731
    src, tgt = idx(source), idx(target)
    cnd = idx(condition) if condition is not None else np.array([], int)
    lagged = lambda vars_: np.concatenate([l * d + vars_ for l in range(1, L)])  # noqa: E731
    a = tgt
    c = np.concatenate([lagged(tgt), lagged(cnd)]) if cnd.size else lagged(tgt)
    b = lagged(src)
    te = 0.5 * (_logdet_cond(big, a, c) - _logdet_cond(big, a, np.concatenate([b, c])))
    return float(max(te, 0.0)) if abs(te) > 1e-12 else 0.0
