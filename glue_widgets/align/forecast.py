"""The transfer forecast and the plain-words account of what rest and anchors fixed.

One idea: before any behaviour is recorded on a new session, the held-out anchor events say how well
its mapped latents reproduce the reference's. Both sides carry per-sample noise that a decoder sees in
every session alike (it lowers the within-session R² as much as the transferred one), so the noise
expected from each session's reduction is removed from the held-out error before it is compared with
the reference's anchor signal:

``forecast = 1 - (held-out error - noise_ref - noise_session) / (anchor variance - noise_ref)``,

clipped to [-1, 1]. It is a fraction of the within-session R² (1: nothing lost).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .identifiability import Subspace

__all__ = ["forecast_transfer", "axis_report", "rest_only_note", "axes_not_predicted", "SNR_DRIVEN", "PREDICTED_R2"]

SNR_DRIVEN = 0.5  # an axis is "driven by the anchors" when its anchor signal variance exceeds this x its noise


def forecast_transfer(pred: np.ndarray | None, b: np.ndarray, folds: Sequence[np.ndarray], noise_ref: np.ndarray,
                      noise_mapped: np.ndarray, cols: Sequence[int] | None = None) -> tuple[float, str]:
    """Forecast (fraction of within-session R² a frozen decoder keeps) from held-out anchor predictions.

    Parameters
    ----------
    pred : ndarray (samples, k) or None
        Held-out predictions of ``b`` by the kept map (None: not validated).
    b : ndarray (samples, k)
        The reference's anchor latents in the frame.
    folds : list of index arrays
        The held-out blocks.
    noise_ref, noise_mapped : ndarray (k, k)
        Per-sample noise covariance of the reference's latents and of the session's mapped latents.
    cols : sequence of int, optional
        Latents the anchors can check (default all); the others carry no event-locked signal.

    Returns
    -------
    (float, str)
        The forecast (NaN when it cannot be made) and how it was made.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.random.default_rng(0).normal(size=(80, 2)) * 3
    >>> folds = np.array_split(np.arange(80), 8)
    >>> f, _ = forecast_transfer(b, b, folds, np.zeros((2, 2)), np.zeros((2, 2)))
    >>> round(f, 2)
    1.0
    """
    if pred is None or not len(folds):
        return float("nan"), "not enough anchor samples to hold any out"
    k = b.shape[1]
    cols = list(range(k)) if cols is None else list(cols)
    if not cols:
        return float("nan"), "no latent is predictable from held-out anchor events"
    idx = np.concatenate(list(folds))
    m = len(idx)
    bb = b[idx][:, cols] - b[idx][:, cols].mean(axis=0)
    nr = float(np.trace(noise_ref[np.ix_(cols, cols)]))
    nm = float(np.trace(noise_mapped[np.ix_(cols, cols)]))
    signal = float(np.sum(bb**2)) - m * nr
    if signal <= 0:
        return float("nan"), "the anchors' response is within the noise: no forecast"
    err = float(np.sum((pred[idx][:, cols] - b[idx][:, cols]) ** 2)) - m * (nr + nm)
    f = float(np.clip(1.0 - max(err, 0.0) / signal, -1.0, 1.0))
    part = "" if len(cols) == k else f" on latents {cols} (the others are not event-locked)"
    return f, (f"from {len(folds)} held-out anchor blocks ({m} samples){part}, noise-corrected "
               f"(anchor signal-to-noise {signal / max(m * nr, 1e-300):.1f})")


PREDICTED_R2 = 0.1  # a reference latent counts as fixed by the anchors when held-out events predict it this well


def axes_not_predicted(preds: dict[str, np.ndarray], b: np.ndarray, folds: Sequence[np.ndarray]) -> list[int]:
    """Latents of the reference frame that no anchor-only map predicts on held-out events (R² < PREDICTED_R2).

    Ongoing (not event-locked) activity in the anchor windows is not shared between sessions: a direction
    that only carries it is not fixed by the anchors, however large its variance.
    """
    idx = np.concatenate(list(folds))
    bb = b[idx] - b[idx].mean(axis=0)
    best = np.full(b.shape[1], -np.inf)
    for m in preds:
        if m != "rest":
            r2 = 1 - np.sum((preds[m][idx] - b[idx]) ** 2, axis=0) / np.maximum(np.sum(bb**2, axis=0), 1e-300)
            best = np.maximum(best, r2)
    return [int(j) for j in np.flatnonzero(best < PREDICTED_R2)]


def _driven(b: np.ndarray, noise_ref: np.ndarray) -> np.ndarray:
    var = np.mean(b**2, axis=0)
    nz = np.maximum(np.diag(noise_ref), 1e-12)
    return (var - nz) / nz > SNR_DRIVEN


def axis_report(kept: list[str], subspaces: list[Subspace], b: np.ndarray, noise_ref: np.ndarray) -> str:
    """Plain words: which latents rest oriented, which the anchors set, which neither fixes."""
    driven = _driven(b, noise_ref)
    k = len(driven)
    free = {j for s in subspaces if s.free for j in s.latents}
    oriented = sorted(set(range(k)) - free)
    weak = [j for j in range(k) if not driven[j]]
    out = []
    if "rest" in kept:
        out.append((f"rest statistics oriented latents {oriented} up to sign" if oriented else
                    "rest statistics oriented no axis on their own")
                   + (f", the anchors set the rotation within {sorted(free)}" if free else "")
                   + " and every sign")
    else:
        out.append("rest statistics lost the held-out anchor test here: the rest segment only chose the "
                   f"{k} dimensions of each session")
    others = [m for m in kept if m != "rest"]
    if others:
        out.append(f"the anchor responses set the map ({' and '.join(others)}"
                   + (", averaged with the rest frame" if "rest" in kept else "") + ")")
    if weak:
        by_rest = [j for j in weak if j in oriented and "rest" in kept]
        out.append(f"the anchors barely drive latents {weak}: "
                   + (f"rest orients {by_rest} but their sign is a guess; " if by_rest else "")
                   + "NEITHER rest nor anchors pins these directions down — trust a decoder that reads them less")
    return "; ".join(out) + "."


def rest_only_note(subspaces: list[Subspace]) -> str:
    """What a rest-only fit leaves open, in plain words."""
    free = [list(s.latents) for s in subspaces if s.free]
    txt = "rest statistics oriented every axis up to sign" if not free else \
        f"rest statistics oriented the axes outside {free}; the rotation within {free} is free"
    return (txt + "; no statistic of rest fixes a sign, so a frozen decoder may read some latents reversed: "
            "pass a few anchor events (the same stimulus or trial type in every session) to fix them.")
