"""broaden_rest: grow a rest window around its core while the state stays the same."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..errors import InvalidInputError
from ..model import validate_card
from .behavior import behavior_traces, stillness
from .candidates import blocked_intervals
from .extract import _read, annotate_segment

__all__ = ["broaden_rest"]


def _features(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nanmean(x, axis=0), np.log(np.nanvar(x, axis=0) + 1e-12)


def _distance(x: np.ndarray, ref_mean: np.ndarray, ref_logvar: np.ndarray, ref_sd: np.ndarray) -> float:
    m, lv = _features(x)
    dm = (m - ref_mean) / ref_sd
    dv = lv - ref_logvar
    return float(np.sqrt(np.nanmean(dm ** 2 + dv ** 2)))


def broaden_rest(
    session: Any,
    segment: xr.DataArray,
    *,
    max_duration: float | None = None,
    step_s: float | None = None,
    tolerance: float = 3.0,
    min_still_fraction: float = 0.8,
) -> xr.DataArray:
    """Extend ``segment`` on both sides, step by step, while the state stays the same.

    A step of ``step_s`` seconds is added on a side when (1) it stays inside the stream, (2) it
    overlaps no stimulus/task epoch, (3) behaviour (if any) is still for at least
    ``min_still_fraction`` of it, and (4) its per-channel mean and log-variance lie within the spread
    of same-length blocks of the core: distance ≤ median + ``tolerance`` × 1.4826·MAD of the core
    blocks' distances. Only the added steps are read.

    Parameters
    ----------
    session : Session
        The session the segment came from.
    segment : DataArray
        Output of :func:`extract_rest` (needs ``attrs["card"]``).
    max_duration : float, optional
        Stop growing at this total length (s).
    step_s : float, optional
        Step length (s); default a tenth of the core, between 5 and 60 s.

    Returns
    -------
    xarray.DataArray
        The broadened window; its card's ``broadening`` records the core, each added step and why
        each side stopped.

    Examples
    --------
    >>> seg = gw.extract_rest(s, min_duration=60)            # doctest: +SKIP
    >>> wide = gw.broaden_rest(s, seg)                        # doctest: +SKIP
    >>> wide.attrs["card"]["broadening"]["stopped"]           # doctest: +SKIP
    """
    card = segment.attrs.get("card") if isinstance(segment, xr.DataArray) else None
    if not card:
        raise InvalidInputError("segment must be a DataArray returned by extract_rest (with attrs['card']).")
    stream = card.get("stream") or segment.attrs.get("stream")
    info = session.stream_info(stream)
    start, stop = float(card["start"]), float(card["stop"])
    core = np.asarray(segment.values, float)
    core = core[:, np.isfinite(core).any(axis=0)]
    dur = stop - start
    step = float(step_s) if step_s else float(np.clip(dur / 10, 5.0, 60.0))
    bw = card.get("bin_width_s")
    ref_mean, ref_lv = _features(core)
    ref_sd = np.sqrt(np.exp(ref_lv))
    ref_sd[~(ref_sd > 1e-6)] = 1e-6
    n_step = max(1, int(round(step * core.shape[0] / max(dur, 1e-9))))
    blocks = [core[i:i + n_step] for i in range(0, core.shape[0] - n_step + 1, n_step)]
    d_core = np.array([_distance(b, ref_mean, ref_lv, ref_sd) for b in blocks]) if blocks else np.array([0.0])
    med = float(np.median(d_core))
    thr = med + tolerance * 1.4826 * float(np.median(np.abs(d_core - med)) or 0.1 * med or 1e-3)
    blocked = blocked_intervals(session.epochs)
    masks = [stillness(tr) for tr in behavior_traces(session)
             if tr.role in ("speed", "movement") and tr.detail.get("source_role") != "velocity"]
    keep_idx = np.flatnonzero(np.isfinite(np.asarray(segment.values, float)).any(axis=0))
    channels = segment.channel.values[keep_idx]

    def check(a: float, b: float) -> tuple[str | None, xr.DataArray | None, float | None]:
        if a < info.start_s - 1e-9 or b > info.stop_s + 1e-9:
            return "reached the edge of the stream", None, None
        for c0, c1 in blocked:
            if a < c1 and b > c0:
                return f"stimulus/task epoch at [{c0:.1f}, {c1:.1f}) s", None, None
        for t, m, _ in masks:
            sel = (t >= a) & (t < b)
            if sel.any() and float(np.mean(m[sel])) < min_still_fraction:
                return f"movement: still only {100 * float(np.mean(m[sel])):.0f} % of [{a:.1f}, {b:.1f}) s", None, None
        x = _read(session, stream, a, b, bw).sel(channel=channels)
        d = _distance(np.asarray(x.values, float), ref_mean, ref_lv, ref_sd)
        if d > thr:
            return f"state changed: distance {d:.2f} > threshold {thr:.2f} at [{a:.1f}, {b:.1f}) s", None, d
        return None, x, d

    left, right = start, stop
    pieces_l: list[xr.DataArray] = []
    pieces_r: list[xr.DataArray] = []
    added: list[dict[str, Any]] = []
    stopped: dict[str, str] = {}
    while len(stopped) < 2:
        for side in ("left", "right"):
            if side in stopped:
                continue
            if max_duration is not None and right - left + step > max_duration + 1e-9:
                stopped[side] = f"reached max_duration={max_duration} s"
                continue
            a, b = (left - step, left) if side == "left" else (right, right + step)
            reason, x, d = check(a, b)
            if reason:
                stopped[side] = reason
                continue
            (pieces_l if side == "left" else pieces_r).append(x)
            added.append({"side": side, "start": a, "stop": b, "distance": d})
            left, right = (a, right) if side == "left" else (left, b)
    seg = segment.isel(channel=keep_idx)
    if pieces_l or pieces_r:
        parts = [p.drop_attrs() if hasattr(p, "drop_attrs") else p for p in [*pieces_l[::-1], seg, *pieces_r]]
        seg = xr.concat(parts, dim="time", combine_attrs="override")
        seg.attrs = {k: v for k, v in segment.attrs.items() if k != "card"}
    details = dict(card.get("state", {}).get("details", {}))
    cand = {"start": left, "stop": right, "evidence": card["state"].get("evidence", "epochs"),
            "label": details.get("label"), "state": card["state"]["definition"],
            "detail": details.get("candidate", {})}
    out = annotate_segment(session, seg, cand, stream=stream, min_duration=card.get("min_duration_s", 600.0),
                           target_s=card["target_s"], nan_channels="drop")
    new = dict(out.attrs["card"])
    new["broadening"] = {"core": [start, stop], "step_s": step, "tolerance": tolerance, "threshold": thr,
                         "core_block_distances": d_core.tolist(), "added": added, "stopped": stopped,
                         "added_s": (start - left) + (right - stop)}
    out.attrs["card"] = validate_card(new)
    return out
