"""extract_rest: the best rest window of a session as a DataArray with its RestCard."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import BadDataError, NotFoundError, WindowError
from ..model import REST_TARGET_S
from .behavior import behavior_traces, stillness
from .candidates import choose_stream, find_rest_candidates
from .card import ShortRestWarning, build_card
from ..model.labels import REST_WORDS
from .quality import arousal_summary, artifact_fraction, infer_state, missing_fraction, stationarity

__all__ = ["extract_rest", "annotate_segment"]

MIN_WINDOW_S = 1.0


def _not_found(session: Any, stream: str) -> NotFoundError:
    ep = session.epochs
    labels = sorted({str(v) for v in ep["label"]})[:20] if len(ep) else []
    beh = [n for n, s in session.streams.items() if s.modality == "behavior"]
    task = {k: session.metadata[k] for k in ("TaskName", "task") if k in session.metadata}
    return NotFoundError(
        f"no rest window found in {session.uri} (stream {stream!r}). Looked for: epoch labels matching "
        f"{REST_WORDS}; a BIDS TaskName meaning rest; behaviour streams named speed/running/wheel/"
        f"velocity/position/movement/pupil with low values outside task and stimulus epochs. The session has: "
        f"epoch labels {labels or 'none'}; BIDS task {task or 'none'}; behaviour streams {beh or 'none'}; "
        f"streams { {n: s.modality for n, s in session.streams.items()} }. Pass explicit epochs "
        f"(start/stop) to annotate_segment, or add an epochs table with a rest label."
    )


def _read(session: Any, stream: str, start: float, stop: float, bin_width: float | None) -> xr.DataArray:
    info = session.stream_info(stream)
    kw = {"bin_width": bin_width or 0.04} if info.kind == "events" else {}
    return session.read(stream, start, stop, **kw)


def _alpha_refs(session: Any, stream: str, others: pd.DataFrame | None, seg: xr.DataArray) -> list[dict]:
    """Occipital alpha ratio of up to 3 other rest windows (≤ 60 s from each middle), for EEG/MEG only."""
    from .quality import occipital_alpha_ratio

    info = session.stream_info(stream)
    if others is None or len(others) == 0 or info.modality not in ("eeg", "meg") or not info.fs:
        return []
    refs = []
    for r in others.head(3).itertuples():
        mid = (r.start + r.stop) / 2
        half = min(30.0, (r.stop - r.start) / 2)
        if half < 4:
            continue
        x = session.read(stream, mid - half, mid + half)
        x = x.sel(channel=[c for c in seg.channel.values if c in set(x.channel.values)])
        ratio, _ = occipital_alpha_ratio(np.asarray(x.values, float), info.fs, [str(c) for c in x.channel.values])
        if ratio is not None:
            refs.append({"label": str(r.label), "start": float(r.start), "stop": float(r.stop), "alpha_ratio": ratio})
    return refs


def annotate_segment(session: Any, seg: xr.DataArray, cand: dict, *, stream: str, min_duration: float,
                     target_s: float = REST_TARGET_S, nan_channels: str = "raise",
                     others: pd.DataFrame | None = None) -> xr.DataArray:
    """Check ``seg``, compute its quality and attach the RestCard (``seg.attrs["card"]``)."""
    notes: list[str] = []
    vals = np.asarray(seg.values, float)
    all_nan = np.isnan(vals).all(axis=0) if vals.size else np.zeros(seg.sizes["channel"], bool)
    if all_nan.all():
        raise BadDataError(
            f"every channel of stream {stream!r} is NaN in [{cand['start']:.2f}, {cand['stop']:.2f}) s of "
            f"{session.uri}; there is no data to cut a rest segment from. Check the recording or pick another stream."
        )
    if all_nan.any():
        bad = seg.channel.values[all_nan].tolist()
        if nan_channels == "raise":
            raise BadDataError(
                f"{len(bad)} channel(s) of stream {stream!r} are entirely NaN in the rest window "
                f"({bad[:5]}...). Pass nan_channels='drop' to drop them (recorded in the card)."
            )
        seg = seg.isel(channel=np.flatnonzero(~all_nan))
        vals = vals[:, ~all_nan]
        notes.append(f"dropped {len(bad)} all-NaN channels: {bad[:10]}")
    traces = behavior_traces(session)
    # running vs still is judged from locomotion (speed, wheel, position), not from a task velocity readout
    masks = {tr.stream: stillness(tr) for tr in traces
             if tr.role in ("speed", "movement") and tr.detail.get("source_role") != "velocity"}
    arousal = arousal_summary(traces, float(cand["start"]), float(cand["stop"]), masks)
    modality = seg.attrs.get("modality", session.stream_info(stream).modality)
    quality = {"stationarity": stationarity(vals), "artifact_fraction": artifact_fraction(vals, modality),
               "missing_fraction": missing_fraction(vals),
               "artifact_method": "any channel > 8 robust SD (1.4826 MAD) from its median"}
    fs = seg.attrs.get("fs") or session.stream_info(stream).fs
    inferred, sdet = infer_state(vals, modality=modality, fs=fs, channels=[str(c) for c in seg.channel.values],
                                 arousal=arousal, alpha_refs=_alpha_refs(session, stream, others, seg))
    card = build_card(session, seg, stream=stream, cand=cand, min_duration=min_duration, target_s=target_s,
                      quality=quality, arousal=arousal, inferred=inferred, state_detail=sdet, notes=notes)
    seg = seg.copy()
    seg.attrs["card"] = card
    seg.attrs["stream"] = stream
    return seg


def extract_rest(
    session: Any,
    stream: str | None = None,
    min_duration: float = 600.0,
    *,
    target_s: float = REST_TARGET_S,
    bin_width: float | None = None,
    max_duration: float | None = None,
    nan_channels: str = "raise",
    candidates: pd.DataFrame | None = None,
    **candidate_kw: Any,
) -> xr.DataArray:
    """Find the best rest window of ``session`` and return it with its RestCard.

    Parameters
    ----------
    session : Session
        Any glue_widgets Session (``gw.open(...)`` or an ArraySession).
    stream : str, optional
        Neural stream to cut (default: the main neural stream, see ``choose_stream``).
    min_duration : float
        Wanted length (s). A shorter best window is still returned, with a :class:`ShortRestWarning`
        and a note in the card.
    target_s : float
        The standard length the card's ``coverage`` refers to (600 s).
    bin_width : float, optional
        Bin width (s) for spike-time streams (default 0.04 s); recorded in the card.
    max_duration : float, optional
        Crop a longer window to its central ``max_duration`` seconds.
    nan_channels : {"raise", "drop"}
        What to do with channels that are entirely NaN in the window.
    candidates : DataFrame, optional
        Output of :func:`find_rest_candidates` to choose from (default: computed).
    **candidate_kw
        Passed to :func:`find_rest_candidates` (``max_gap``, ``min_bout``, ``thresholds``, ``evidence``...).

    Returns
    -------
    xarray.DataArray
        ``("time", "channel")`` window; ``attrs["card"]`` is a validated RestCard dict.

    Raises
    ------
    NotFoundError
        No rest evidence: the message lists what was looked for and what the session has.
    WindowError
        The best window is shorter than one second.

    Examples
    --------
    >>> import glue_widgets as gw
    >>> seg = gw.extract_rest(gw.open("demo://arbor/m01/day0"))   # doctest: +SKIP
    >>> seg.attrs["card"]["coverage"]                              # doctest: +SKIP
    1.0
    """
    stream = choose_stream(session, stream)
    if candidates is None:
        candidates = find_rest_candidates(session, stream, min_duration=min_duration, **candidate_kw)
    if len(candidates) == 0:
        raise _not_found(session, stream)
    cand = candidates.iloc[0].to_dict()
    if max_duration is not None and cand["stop"] - cand["start"] > max_duration:
        mid = (cand["start"] + cand["stop"]) / 2
        cand["start"], cand["stop"] = mid - max_duration / 2, mid + max_duration / 2
    duration = float(cand["stop"] - cand["start"])
    if duration < MIN_WINDOW_S:
        raise WindowError(
            f"the best rest window of {session.uri} is [{cand['start']:.3f}, {cand['stop']:.3f}) s, only "
            f"{duration:.3f} s long; at least {MIN_WINDOW_S} s is needed for any rest statistic."
        )
    seg = _read(session, stream, float(cand["start"]), float(cand["stop"]), bin_width)
    if seg.sizes["time"] < 2:
        raise WindowError(f"the rest window [{cand['start']:.3f}, {cand['stop']:.3f}) s of stream {stream!r} "
                          f"holds {seg.sizes['time']} samples; it is too short to characterise.")
    # other rest windows of a different state serve as references for the eyes open/closed call
    others = candidates.iloc[1:]
    others = others[(others["state"] != cand.get("state")) & (others["evidence"] != "bids-task")]
    seg = annotate_segment(session, seg, cand, stream=stream, min_duration=min_duration, target_s=target_s,
                           nan_channels=nan_channels, others=others)
    if duration < min_duration:
        warnings.warn(
            f"rest window of {session.uri} is {duration:.1f} s, shorter than min_duration={min_duration:.0f} s "
            f"(coverage {duration / target_s:.0%} of the {target_s:.0f}-s target); the card says so.",
            ShortRestWarning, stacklevel=2,
        )
    return seg
