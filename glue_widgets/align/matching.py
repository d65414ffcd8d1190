"""UnitMatcher: recover which channel is which across sessions of the same units, from rest alone.

When sessions record the *same* neurons (or electrodes) in an unknown order, latent-space alignment
throws away what is known: the correspondence. :class:`UnitMatcher` estimates it from the rest
segments alone — per-unit features (rate, Fano factor, autocorrelation shape, spectral shape) and the
pairwise correlation graph — by graph matching (FAQ, Vogelstein et al. 2015, with the feature
similarity as a linear term), and says per match how sure it is (leave-one-chunk-out stability).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from scipy.optimize import linear_sum_assignment

from ..errors import BadDataError, InvalidInputError
from ..model.validation import check_positive_int
from .base import check_session_index, check_session_list

__all__ = ["UnitMatcher", "MatchReport", "unit_features", "FEATURES"]

FEATURES = ("rate", "fano", "autocorr", "spectrum")


def unit_features(x: np.ndarray, features: Sequence[str] = FEATURES, *, max_lag: int = 10,
                  n_bands: int = 6) -> np.ndarray:
    """Per-channel features of a ``(time, channels)`` rest segment, one row per channel.

    ``rate``: log mean; ``fano``: log variance/mean (burstiness of binned counts); ``autocorr``:
    autocorrelation at lags 1..``max_lag`` samples; ``spectrum``: Welch power in ``n_bands`` equal
    bands, log, mean-removed per channel (shape, not gain). Columns are returned raw; the matcher
    rank-normalises them within each session so that a global gain change does not matter.

    Examples
    --------
    >>> x = np.random.default_rng(0).poisson(2.0, (600, 5)).astype(float)
    >>> unit_features(x, ("rate", "fano")).shape
    (5, 2)
    """
    from scipy.signal import welch

    mu, var = x.mean(0), x.var(0)
    safe = np.maximum(var, 1e-12)
    cols = []
    for f in features:
        if f == "rate":
            cols.append(np.log(np.abs(mu) + 1e-3)[:, None])
        elif f == "fano":
            cols.append(np.log(var / np.maximum(np.abs(mu), 1e-9) + 1e-6)[:, None])
        elif f == "autocorr":
            xc = x - mu
            L = max(1, min(max_lag, len(x) // 4))
            cols.append(np.stack([(xc[l:] * xc[:-l]).mean(0) / safe for l in range(1, L + 1)], axis=1))
        elif f == "spectrum":
            nper = int(min(len(x), 64))
            _, P = welch(x, nperseg=nper, axis=0)
            bands = np.array_split(np.arange(1, P.shape[0]), min(n_bands, P.shape[0] - 1))
            sp = np.log(np.stack([P[b].sum(0) for b in bands], axis=1) + 1e-12)
            cols.append(sp - sp.mean(1, keepdims=True))
        else:
            raise InvalidInputError(f"unknown feature {f!r}; choose from {FEATURES}.")
    return np.hstack(cols)


def _rank_z(F: np.ndarray) -> np.ndarray:
    """Rank-normalise each feature column, then z-score (robust to gain and outliers)."""
    from scipy.stats import rankdata

    R = rankdata(F, axis=0) / len(F)
    return (R - R.mean(0)) / (R.std(0) + 1e-12)


def _graph(x: np.ndarray) -> np.ndarray:
    sd = x.std(0)
    xc = (x - x.mean(0)) / np.where(sd > 0, sd, 1.0)
    C = xc.T @ xc / len(x)
    np.fill_diagonal(C, 0.0)
    return C


def _lap(score: np.ndarray) -> np.ndarray:
    """Maximise sum score[r, c]: returns col for each row (rows <= cols)."""
    return linear_sum_assignment(-score)[1]


def _faq(A: np.ndarray, B: np.ndarray, S: np.ndarray, lam: float, P0: np.ndarray,
         maxiter: int = 30, tol: float = 1e-4) -> np.ndarray:
    """Frank-Wolfe on the doubly stochastic relaxation of max tr(A P B P^T) + lam <S, P>.

    scipy's ``quadratic_assignment`` (FAQ) has no linear term; this is the same algorithm with one.
    A and B are padded to the same size by the caller. Returns the permutation (col per row).
    """
    P = P0.copy()
    for _ in range(maxiter):
        G = A @ P @ B.T + A.T @ P @ B + lam * S
        Q = np.zeros_like(P)
        Q[np.arange(len(P)), _lap(G)] = 1.0
        D = Q - P
        DB = D @ B
        a = np.sum(A * (DB @ D.T))
        b = np.sum(A * (P @ B @ D.T)) + np.sum(A * (DB @ P.T)) + lam * np.sum(S * D)
        t = float(np.clip(-b / (2 * a), 0, 1)) if a < 0 else (1.0 if a + b > 0 else 0.0)
        if t * np.abs(D).sum() < tol:
            break
        P = P + t * D
    return _lap(P)


@dataclass
class MatchReport:
    """Which units the rest segments identify across sessions, and which they leave ambiguous."""

    method: str
    features: tuple
    min_confidence: float
    # per session: dict(reference, n_ref, n_channels, n_confident, median, n_unmatched, ambiguous)
    sessions: list = field(default_factory=list)

    @property
    def fraction_confident(self) -> float:
        """Share of reference units matched with confidence >= min_confidence, over non-reference sessions."""
        s = [d for d in self.sessions if not d["reference"]]
        return float(np.mean([d["n_confident"] / max(d["n_ref"], 1) for d in s])) if s else 1.0

    def __str__(self) -> str:
        lines = [f"Unit matching ({self.method}; features {', '.join(self.features) or 'none'}; "
                 f"confidence = leave-one-chunk-out agreement, ambiguous if < {self.min_confidence:.2f}):"]
        for i, d in enumerate(self.sessions):
            if d["reference"]:
                lines.append(f"  session {i}: reference ({d['n_ref']} units)")
                continue
            amb = d["ambiguous"]
            shown = ", ".join(map(str, amb[:12])) + (" ..." if len(amb) > 12 else "")
            lines.append(f"  session {i}: {d['n_confident']}/{d['n_ref']} units matched confidently "
                         f"(median confidence {d['median']:.2f}); {d['n_unmatched']} reference units have no "
                         f"counterpart; ambiguous reference units: [{shown}]")
        if self.fraction_confident < 0.5:
            lines.append("  most matches are not stable under resampling: the rest segments do not identify "
                         "these units (longer rest, or anchors / positions, are needed)")
        return "\n".join(lines)


class UnitMatcher(BaseEstimator):
    """Recover the unit correspondence between sessions of the same units from rest segments alone.

    Parameters
    ----------
    features : sequence of str
        Per-unit features used as the linear (node) similarity: any of ``"rate"``, ``"fano"``,
        ``"autocorr"``, ``"spectrum"`` (see :func:`unit_features`). Empty: graph only.
    method : {"faq", "linear"}
        ``"faq"``: graph matching of the rest correlation graphs (Frank-Wolfe FAQ) with the feature
        similarity as a linear term, started from the linear assignment on the features (or the
        barycentre when there are no features). ``"linear"``: linear assignment on features only.
    feature_weight : float
        Weight of the feature term relative to the graph term (both standardised).
    reference : int
        Session whose channel order is the reference order.
    n_chunks : int
        Rest is cut into this many contiguous chunks; each is left out once and the matching redone.
        ``match_confidence_`` is the fraction of these refits that reproduce each match.
    min_confidence : float
        Matches less stable than this are flagged ambiguous.
    ambiguous : {"keep", "nan", "zero", "mean"}
        What :meth:`transform` puts in a reference channel whose match is ambiguous: the best guess
        (``"keep"``), NaN, zeros, or the reference channel's rest mean (``"mean"``: after a reduction
        fitted on the reference's rest, that channel then contributes nothing). Reference channels
        with no counterpart (the session has fewer channels) get the same fill (``"keep"`` → NaN).
    max_lag : int
        Autocorrelation lags (samples) for the ``"autocorr"`` feature.

    Attributes
    ----------
    permutations_ : list of ndarray (n_ref,)
        ``permutations_[i][r]`` is the channel of session ``i`` matched to reference channel ``r``
        (-1: none).
    match_confidence_ : list of ndarray (n_ref,)
    ambiguous_ : list of ndarray of bool (n_ref,)
    report_ : MatchReport

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> src = rng.standard_normal((3000, 4)) @ rng.standard_normal((4, 12)) + rng.standard_normal((3000, 12))
    >>> perm = rng.permutation(12)
    >>> um = UnitMatcher(features=()).fit([src[:1500], src[1500:, perm]])
    >>> y = um.transform(src[1500:, perm], session=1)   # session 1 in the reference channel order
    """

    def __init__(self, features: Sequence[str] = FEATURES, *, method: str = "faq",
                 feature_weight: float = 1.0, reference: int = 0, n_chunks: int = 4,
                 min_confidence: float = 0.75, ambiguous: str = "keep", max_lag: int = 10):
        self.features = features
        self.method = method
        self.feature_weight = feature_weight
        self.reference = reference
        self.n_chunks = n_chunks
        self.min_confidence = min_confidence
        self.ambiguous = ambiguous
        self.max_lag = max_lag

    # -- fitting --------------------------------------------------------------------------------
    def _check(self) -> tuple:
        feats = tuple(self.features)
        for f in feats:
            if f not in FEATURES:
                raise InvalidInputError(f"UnitMatcher: unknown feature {f!r}; choose from {FEATURES}.")
        if self.method not in ("faq", "linear"):
            raise InvalidInputError(f"UnitMatcher: method={self.method!r}; use 'faq' or 'linear'.")
        if self.method == "linear" and not feats:
            raise InvalidInputError("UnitMatcher: method='linear' needs at least one feature.")
        if self.ambiguous not in ("keep", "nan", "zero", "mean"):
            raise InvalidInputError(f"UnitMatcher: ambiguous={self.ambiguous!r}; use 'keep', 'nan', 'zero' "
                                    "or 'mean'.")
        if not 0.0 <= float(self.min_confidence) <= 1.0:
            raise InvalidInputError(f"UnitMatcher: min_confidence={self.min_confidence!r} must be in [0, 1].")
        if float(self.feature_weight) < 0:
            raise InvalidInputError(f"UnitMatcher: feature_weight={self.feature_weight!r} must be >= 0.")
        check_positive_int(self.n_chunks, name="n_chunks")
        check_positive_int(self.max_lag, name="max_lag")
        return feats

    def fit(self, rest_list: Sequence[Any]) -> "UnitMatcher":
        """Match every session's channels to the reference session's, from rest segments alone.

        Parameters
        ----------
        rest_list : list of (time, channels) arrays or DataArrays
            One rest segment per session (binned counts, rates, ΔF/F...). Channel counts may differ.
        """
        feats = self._check()
        xs = check_session_list(rest_list, min_sessions=2)
        ref = check_session_index(self.reference, len(xs))
        for i, x in enumerate(xs):
            with np.errstate(over="ignore", invalid="ignore"):
                finite_stats = bool(np.isfinite(x.std(0)).all())
            if not finite_stats:  # squares overflow: every statistic below would be inf/NaN
                raise InvalidInputError(f"rest_list[{i}] has values too large to square (max |x| = "
                                        f"{np.nanmax(np.abs(x)):.3g}); rescale it (e.g. to rates or z-scores).")
            if len(x) < 4 * self.n_chunks:
                raise InvalidInputError(f"rest_list[{i}] has {len(x)} samples; at least {4 * self.n_chunks} "
                                        f"are needed for n_chunks={self.n_chunks} (lower n_chunks or pass "
                                        "longer rest).")
            if x.shape[1] < 2:
                raise InvalidInputError(f"rest_list[{i}] has {x.shape[1]} channel; matching needs at "
                                        "least 2.")
        self.channel_ids_ = [self._ids(r, x.shape[1]) for r, x in zip(rest_list, xs)]
        self.n_channels_ = [x.shape[1] for x in xs]
        self.reference_ = ref
        self.reference_mean_ = xs[ref].mean(0)
        full = [self._stats(x, feats) for x in xs]
        chunks = [np.array_split(np.arange(len(x)), self.n_chunks) for x in xs]
        perms, confs = [], []
        for i, x in enumerate(xs):
            n_ref = xs[ref].shape[1]
            if i == ref:
                perms.append(np.arange(n_ref))
                confs.append(np.ones(n_ref))
                continue
            p = self._match(full[ref], full[i], feats)
            agree = np.zeros(n_ref)
            if self.n_chunks > 1:
                for k in range(self.n_chunks):
                    keep_r = np.concatenate([c for j, c in enumerate(chunks[ref]) if j != k])
                    keep_i = np.concatenate([c for j, c in enumerate(chunks[i]) if j != k])
                    pk = self._match(self._stats(xs[ref][keep_r], feats), self._stats(x[keep_i], feats),
                                     feats)
                    agree += (pk == p) & (p >= 0)
                conf = agree / self.n_chunks
            else:
                conf = (p >= 0).astype(float)
            # a channel silent/constant in either session has no features or edges: any partner fits
            flat = (np.ptp(xs[ref], axis=0) == 0) | np.isin(p, np.flatnonzero(np.ptp(x, axis=0) == 0))
            conf[flat] = 0.0
            perms.append(p)
            confs.append(conf)
        self.permutations_ = perms
        self.match_confidence_ = confs
        self.ambiguous_ = [(c < self.min_confidence) | (p < 0) for p, c in zip(perms, confs)]
        rep = MatchReport(self.method, feats, float(self.min_confidence))
        for i, (p, c, a) in enumerate(zip(perms, confs, self.ambiguous_)):
            amb = [str(self.channel_ids_[ref][r]) for r in np.flatnonzero(a & (p >= 0))]
            rep.sessions.append({"reference": i == ref, "n_ref": len(p), "n_channels": self.n_channels_[i],
                                 "n_confident": int((~a).sum()), "median": float(np.median(c)),
                                 "n_unmatched": int((p < 0).sum()), "ambiguous": amb})
        self.report_ = rep
        return self

    @staticmethod
    def _ids(x: Any, n: int) -> np.ndarray:
        try:
            import xarray as xr

            if isinstance(x, xr.DataArray) and "channel" in x.coords:
                return np.asarray(x["channel"].values)
        except ImportError:  # pragma: no cover
            pass
        return np.array([f"ch{j}" for j in range(n)])

    def _stats(self, x: np.ndarray, feats: tuple) -> tuple[np.ndarray | None, np.ndarray]:
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise BadDataError("UnitMatcher: rest segments contain NaN or inf; interpolate or drop those "
                               "samples.")
        F = _rank_z(unit_features(x, feats, max_lag=self.max_lag)) if feats else None
        return F, _graph(x)

    def _match(self, sr: tuple, si: tuple, feats: tuple) -> np.ndarray:
        """Permutation for one session: channel of session i per reference channel (-1: none)."""
        (Fr, Cr), (Fi, Ci) = sr, si
        nr, ni = Cr.shape[0], Ci.shape[0]
        n = max(nr, ni)
        S = np.zeros((n, n))
        if Fr is not None:
            S[:nr, :ni] = -((Fr[:, None, :] - Fi[None, :, :]) ** 2).mean(-1)
            S[:nr, :ni] = (S[:nr, :ni] - S[:nr, :ni].mean()) / (S[:nr, :ni].std() + 1e-12)
        if self.method == "linear":
            col = _lap(S[:nr, :ni]) if nr <= ni else None
            if col is None:  # more reference channels than session channels: assign session -> reference
                p = -np.ones(nr, int)
                p[_lap(S[:nr, :ni].T)] = np.arange(ni)
                return p
            return col
        A, B = np.zeros((n, n)), np.zeros((n, n))
        A[:nr, :nr], B[:ni, :ni] = Cr / (np.linalg.norm(Cr) + 1e-12), Ci / (np.linalg.norm(Ci) + 1e-12)
        # the graph term is O(1) after normalising; scale the standardised feature term to match it
        lam = float(self.feature_weight) / n if Fr is not None else 0.0
        if Fr is not None:
            P0 = np.zeros((n, n))
            P0[np.arange(n), _lap(S)] = 1.0
            P0 = 0.5 * P0 + 0.5 / n  # seeded by the feature assignment, kept inside the polytope
        else:
            P0 = np.full((n, n), 1.0 / n)
        col = _faq(A, B, S, lam, P0)
        p = col[:nr].copy()
        p[p >= ni] = -1  # matched to padding: no counterpart
        return p

    # -- applying -------------------------------------------------------------------------------
    def transform(self, x: Any, session: int) -> Any:
        """Session ``session``'s data ``(time, its channels)`` in the reference channel order.

        Returns ``(time, n_ref)``; a DataArray input gives a DataArray with the reference channel
        ids and a ``source_channel`` coord naming the session's channel used for each.
        """
        if not hasattr(self, "permutations_"):
            raise InvalidInputError("UnitMatcher is not fitted: call fit(rest_list) first.")
        i = check_session_index(session, len(self.permutations_))
        xin = x
        arr = check_session_list([x], name="x")[0]
        if arr.shape[1] != self.n_channels_[i]:
            raise InvalidInputError(f"x has {arr.shape[1]} channels; session {i} was fitted with "
                                    f"{self.n_channels_[i]}.")
        p = self.permutations_[i]
        out = arr[:, np.where(p >= 0, p, 0)].astype(np.float64)
        fills = {"zero": np.zeros(len(p)), "mean": self.reference_mean_}
        fill = fills.get(self.ambiguous, np.full(len(p), np.nan))
        gone = (p < 0) | (self.ambiguous_[i] if self.ambiguous != "keep" else False)
        out[:, gone] = fill[gone]
        try:
            import xarray as xr
        except ImportError:  # pragma: no cover
            return out
        if not isinstance(xin, xr.DataArray):
            return out
        src = np.array([str(self.channel_ids_[i][c]) if c >= 0 else "" for c in p])
        coords = {"channel": [str(c) for c in self.channel_ids_[self.reference_]],
                  "source_channel": ("channel", src),
                  "match_confidence": ("channel", self.match_confidence_[i])}
        if "time" in xin.coords:
            coords["time"] = xin["time"].values
        return xr.DataArray(out, dims=("time", "channel"), coords=coords, attrs=dict(xin.attrs))

    def fit_transform(self, rest_list: Sequence[Any]) -> list[Any]:
        """Fit, then return every rest segment in the reference channel order."""
        self.fit(rest_list)
        return [self.transform(x, session=i) for i, x in enumerate(rest_list)]
