"""Anchors and signs: what a handful of shared events fix, chosen by leave-one-event-out validation.

One idea: rest statistics fix a session's frame only up to signs (and rotations within blocks whose
statistics are isotropic), and the per-session reduction itself may differ from the reference's by
more than a rotation (nonlinear readouts, different noise). Anchor events, time-matched across
sessions, are a small paired data set. Three maps from a session's latents to the reference frame
are candidates, from the most to the least constrained:

* ``"rest"``: the orthogonal map found from rest statistics; the anchors only set what rest leaves
  open (the sign of each axis, the angle of a free rotation plane, a block of near-equal timescales);
* ``"orthogonal"``: an orthogonal Procrustes map of the anchor responses (rest statistics unused);
* ``"cca"``: canonical correlation of the anchor responses (each side's canonical variates at unit
  variance, so the map is not shrunk by noise);
* ``"affine"``: a least-squares linear map plus offset of the anchor responses, corrected for the
  noise in the session's latents (errors in variables).

Each is fitted on all anchor samples but one contiguous block (the blocks are the events when the
anchors are eight events; the same blocks whether the anchors come as ``(events, time, channels)``
or concatenated ``(time, channels)``, so both give the same frame) and scored on the held-out block.
Candidates whose held-out error is more than ``KEEP_RATIO`` times the best are dropped (that
mechanism failed on these data); the maps that pass are averaged. On the tuning half of the scenario
suite this beat picking the single best map (whose choice among near-equal errors is noisy) and every
single mechanism in the worst case.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..errors import BadDataError, InvalidInputError
from ..model.validation import as_time_by_channel

__all__ = ["MAPS", "parse_anchors", "anchor_folds", "block_orthogonal", "orthogonal_map", "affine_map",
           "cca_map", "cross_validate", "fold_errors", "choose_map"]

MAPS = ("rest", "orthogonal", "cca", "affine")
N_FOLDS = 8
KEEP_RATIO = 2.0  # candidates within this factor of the best held-out error are averaged (tuning half)


def parse_anchors(anchors: Sequence[Any], n_channels: list[int], baseline: int,
                  pre: Callable[[np.ndarray, str], np.ndarray] | None = None) -> tuple[list[np.ndarray], int]:
    """One time-matched anchor array per session -> pooled ``(samples, channels)`` arrays.

    ``(events, time, channels)`` arrays are stacked event after event (never averaged: the events may
    be different conditions). With ``baseline > 0`` the first ``baseline`` samples of every event are
    its pre-event baseline: their mean is subtracted per event and channel and they are dropped.
    ``pre(array, name)`` (e.g. a square root for counts) is applied before the baseline is subtracted.
    Returns ``(pooled, n_events)``.
    """
    if isinstance(anchors, np.ndarray) or not isinstance(anchors, Sequence):
        raise InvalidInputError("anchors must be a list with one array per session "
                                f"(got {type(anchors).__name__}).")
    if len(anchors) != len(n_channels):
        raise InvalidInputError(f"anchors holds {len(anchors)} arrays for {len(n_channels)} sessions; "
                                f"pass one per session.")
    nb = int(baseline)
    if nb < 0:
        raise InvalidInputError(f"anchor_baseline={baseline!r} must be >= 0 samples.")
    out, n_ev = [], []
    for i, a in enumerate(anchors):
        raw = a.values if hasattr(a, "values") and not isinstance(a, np.ndarray) else a
        arr = np.asarray(raw, float)
        if arr.ndim == 3:
            if not np.isfinite(arr).all():
                raise BadDataError(f"anchors[{i}] contains NaN/inf values; drop or interpolate those samples.")
            ev = arr
        else:
            ev = as_time_by_channel(a, name=f"anchors[{i}]")[None]
        if ev.shape[2] != n_channels[i]:
            raise InvalidInputError(f"anchors[{i}] has {ev.shape[2]} channels, rest_list[{i}] {n_channels[i]}; "
                                    f"anchors must be recorded on the session's channels, in the same order.")
        if pre is not None:
            ev = pre(ev, f"anchors[{i}]")
        if nb:
            if ev.shape[1] <= nb:
                raise InvalidInputError(f"anchors[{i}] has {ev.shape[1]} samples per event, not more than "
                                        f"anchor_baseline={nb}; pass snippets with the event after the baseline.")
            ev = ev[:, nb:] - ev[:, :nb].mean(axis=1, keepdims=True)
        n_ev.append(ev.shape[0])
        out.append(ev.reshape(-1, ev.shape[2]))
    lengths = [len(a) for a in out]
    if len(set(lengths)) != 1:
        raise InvalidInputError(f"anchor arrays must be time-matched (same events, same length); got "
                                f"{lengths} samples per session.")
    return out, int(max(n_ev))


def anchor_folds(n_samples: int, n_folds: int = N_FOLDS) -> list[np.ndarray]:
    """Contiguous held-out blocks over the pooled anchor samples (at least 3 samples each)."""
    n_folds = int(min(n_folds, n_samples // 3))
    if n_folds < 3:
        return []
    return [np.asarray(f) for f in np.array_split(np.arange(n_samples), n_folds)]


def block_orthogonal(a: np.ndarray, b: np.ndarray, blocks: list[tuple[list[int], str]]) -> np.ndarray:
    """Block-diagonal orthogonal ``O`` with ``a O ~ b`` that only sets what rest left open.

    ``blocks``: ``(latents, kind)`` with kind ``"axis"`` (only the sign is open), ``"plane"`` (the SO(2)
    angle: rest fixes the sense of rotation) or ``"degenerate"`` (any O(d) map).
    """
    k = a.shape[1]
    O = np.eye(k)
    for idx, kind in blocks:
        A, B = a[:, idx], b[:, idx]
        if kind == "axis" or len(idx) == 1:
            s = np.sign(np.sum(A * B)) or 1.0
            O[idx, idx] = s
            continue
        U, _, Wt = np.linalg.svd(A.T @ B)
        D = np.eye(len(idx))
        if kind == "plane":
            D[-1, -1] = np.sign(np.linalg.det(U @ Wt)) or 1.0
        O[np.ix_(idx, idx)] = U @ D @ Wt
    return O


def orthogonal_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Orthogonal Procrustes: the ``O`` in O(k) minimising ``||a O - b||``."""
    U, _, Wt = np.linalg.svd(a.T @ b)
    return U @ Wt


def affine_map(a: np.ndarray, b: np.ndarray, noise: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``(M, c)`` minimising ``||a M + c - b||``, corrected for the noise in ``a``.

    Plain least squares shrinks the map by the noise in ``a`` (regression dilution), and a frozen
    decoder downstream reads the shrunk latents at the wrong scale. With ``noise`` (the per-sample
    noise covariance of ``a``), the errors-in-variables estimate ``(a'a - n noise)^-1 a'b`` is used
    (the correction is halved until the matrix stays well conditioned).
    """
    n, k = a.shape
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    ac, bc = a - mu_a, b - mu_b
    S = ac.T @ ac
    if noise is not None:
        for f in (1.0, 0.5, 0.25, 0.0):
            Sc = S - f * (n - 1) * noise
            ev = np.linalg.eigvalsh(Sc)
            if ev.min() > 0.1 * ev.max() / k:
                S = Sc
                break
    M = np.linalg.solve(S + 1e-9 * np.trace(S) * np.eye(k), ac.T @ bc)
    return M, mu_b - mu_a @ M


def cca_map(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(M, c)`` through canonical correlation: ``a``'s canonical variates mapped onto ``b``'s (unit variance
    on both sides, so the map is not shrunk by noise as least squares is; Gallego et al. 2020)."""
    from .paired_cca import cca_maps

    Wa, Wb, _ = cca_maps(a, b)
    M = Wa @ np.linalg.pinv(Wb)
    return M, b.mean(axis=0) - a.mean(axis=0) @ M


FitFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def cross_validate(fit: FitFn, a: np.ndarray, b: np.ndarray, folds: list[np.ndarray]) -> np.ndarray:
    """Held-out predictions of ``b``: every block predicted by the map fitted on the other blocks."""
    pred = np.zeros_like(b)
    for f in folds:
        train = np.ones(len(a), bool)
        train[f] = False
        M, c = fit(a[train], b[train])
        pred[f] = a[f] @ M + c
    return pred


def fold_errors(pred: np.ndarray, b: np.ndarray, folds: list[np.ndarray]) -> np.ndarray:
    """Summed squared held-out error per block."""
    return np.array([float(np.sum((pred[f] - b[f]) ** 2)) for f in folds])


def choose_map(preds: dict[str, np.ndarray], b: np.ndarray, folds: list[np.ndarray], forced: str = "auto",
               ratio: float | tuple[float, ...] = KEEP_RATIO) -> tuple[list[str], str, np.ndarray]:
    """Which candidate maps to trust, from their held-out predictions of the reference's anchor latents.

    ``"auto"``: every candidate whose total held-out error is within ``ratio`` times the best one's is
    kept and the kept maps are averaged (a mechanism that clearly fails on held-out events is dropped;
    among those that pass, averaging lowers the variance a choice among near-equals would add).
    Returns ``(kept, why, per-block errors of the blend)``.
    """
    errs = {m: fold_errors(p, b, folds) for m, p in preds.items()}
    tot = {m: float(e.sum()) for m, e in errs.items()}
    if forced != "auto":
        return [forced], f"anchor_map={forced!r} was requested", errs[forced]
    best = min(tot.values())
    ratios = tuple(ratio) if isinstance(ratio, (tuple, list)) else (float(ratio),)
    kept, blend, r_used = [], None, ratios[0]
    for r in ratios:  # several ratios: the kept set whose blend has the least held-out error
        k_r = [m for m in tot if tot[m] <= r * best]
        b_r = fold_errors(np.mean([preds[m] for m in k_r], axis=0), b, folds)
        if blend is None or b_r.sum() < blend.sum() - 1e-12:
            kept, blend, r_used = k_r, b_r, r
    dropped = [m for m in tot if m not in kept]
    ratio = r_used
    why = ("held-out anchor error (relative to the best): "
           + ", ".join(f"{m} {tot[m] / max(best, 1e-300):.2f}" for m in tot)
           + f"; kept {'+'.join(kept)} (within {ratio:g}x the best)"
           + (f", dropped {'+'.join(dropped)}" if dropped else ""))
    return kept, why, blend
