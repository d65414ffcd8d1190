"""extract_rest: the best rest window of a session as a DataArray with its RestCard."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import BadDataError, InvalidInputError, NotFoundError, WindowError
from ..model import REST_TARGET_S
from .behavior import behavior_traces, stillness, subtract_intervals
from .candidates import CANDIDATE_COLUMNS, choose_stream, find_rest_candidates
from .card import ShortRestWarning, build_card
from ..model.labels import REST_WORDS, state_from_label
from .quality import arousal_summary, artifact_fraction, infer_state, missing_fraction, stationarity

__all__ = ["extract_rest"]

MIN_WINDOW_S = 1.0
_SESSION_ATTRS = ("uri", "streams", "epochs", "metadata", "read", "stream_info")


def check_session(session: Any, func: str) -> None:
    """Refuse anything that is not a Session, with the call that makes one."""
    missing = [a for a in _SESSION_ATTRS if not hasattr(session, a)]
    if missing:
        shown = repr(session) if isinstance(session, (str, bytes, int, float)) else type(session).__name__
        hint = (f"open it first: gw.{func}(gw.open({session!r}))" if isinstance(session, str)
                else "open a recording with gw.open(...) or wrap arrays in glue_widgets.model.ArraySession")
        raise InvalidInputError(f"{func} needs a Session, got {shown} (a {type(session).__name__}); {hint}.")


def check_seconds(name: str, value: Any, *, func: str, allow_zero: bool = False, none_ok: bool = False) -> float | None:
    """``value`` as a finite float > 0 (or ≥ 0 with ``allow_zero``); InvalidInputError naming it otherwise."""
    if value is None and none_ok:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else float("nan")
    if not ok or not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise InvalidInputError(f"{func}: {name}={value!r} must be a finite number of seconds {bound}; "
                                f"e.g. {name}={REST_TARGET_S:.0f}.")
    return v


def _longest_gap(session: Any, stream: str) -> tuple[float, float] | None:
    """The longest stretch of the stream not covered by any epoch row (a place a user may look for rest)."""
    info = session.stream_info(stream)
    ep = session.epochs
    iv = [(float(a), float(b)) for a, b in zip(ep["start"], ep["stop"])] if len(ep) else []
    gaps = [g for g in subtract_intervals([(float(info.start_s), float(info.stop_s))], iv) if g[1] - g[0] >= 10]
    return max(gaps, key=lambda g: g[1] - g[0]) if gaps else None


def _not_found(session: Any, stream: str) -> NotFoundError:
    ep = session.epochs
    labels = sorted({str(v) for v in ep["label"]})[:20] if len(ep) else []
    cols = sorted({str(c) for c in ep.get("label_column", []) if str(c) not in ("table", "tags")})
    beh = [n for n, s in session.streams.items() if s.modality == "behavior"]
    task = {k: session.metadata[k] for k in ("TaskName", "task") if k in session.metadata}
    info = session.stream_info(stream)
    gap = _longest_gap(session, stream)
    if gap is not None:
        a, b = gap
        where = (f"The longest stretch outside every epoch is [{a:.1f}, {b:.1f}) s; if the subject was at rest "
                 f"there (check the lab notes: a pre-task baseline is rest, an inter-trial interval is not), say so:")
    else:
        a, b = float(info.start_s), min(float(info.stop_s), float(info.start_s) + REST_TARGET_S)
        where = "If you know when the subject was at rest (lab notes, video), name that window:"
    return NotFoundError(
        f"no rest window found in {session.uri} (stream {stream!r}). Looked for: epoch labels and text columns "
        f"of every intervals table matching {REST_WORDS}; a BIDS TaskName meaning rest; behaviour streams named "
        f"speed/running/wheel/velocity/position/movement/pupil with low values outside task and stimulus "
        f"epochs. The session has: epoch labels {labels or 'none'}"
        f"{f' (from columns {cols})' if cols else ''}; BIDS task {task or 'none'}; behaviour streams "
        f"{beh or 'none'}; streams { {n: s.modality for n, s in session.streams.items()} }. {where}\n"
        f"    import glue_widgets as gw\n"
        f"    s = gw.open({str(session.uri)!r})\n"
        f"    seg = gw.annotate_rest(s, {a:.1f}, {b:.1f}, state=\"quiet wakefulness\", stream={stream!r})\n"
        f"or add an intervals table (or a text column such as 'phase') whose label says rest."
    )


def normalize_candidates(candidates: Any, session: Any) -> pd.DataFrame:
    """A user's candidates frame with the columns :func:`find_rest_candidates` returns (defaults filled)."""
    if not isinstance(candidates, pd.DataFrame):
        raise InvalidInputError(f"candidates must be a pandas DataFrame with columns start, stop (s); got "
                                f"{type(candidates).__name__}. E.g. pd.DataFrame({{'start': [0.0], 'stop': [600.0]}}).")
    missing = [c for c in ("start", "stop") if c not in candidates.columns]
    if missing:
        raise InvalidInputError(f"candidates lacks column(s) {missing} (it has {list(candidates.columns)}); "
                                f"give start and stop in seconds, e.g. pd.DataFrame({{'start': [0.0], 'stop': [600.0]}}).")
    df = candidates.copy().reset_index(drop=True)
    try:
        st, sp = df["start"].astype(float).to_numpy(), df["stop"].astype(float).to_numpy()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"candidates start/stop must be numbers of seconds: {exc}.") from None
    bad = ~(np.isfinite(st) & np.isfinite(sp) & (sp > st))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"candidates row {i} has start={st[i]!r}, stop={sp[i]!r}; each row needs finite "
                                f"start < stop (s).")
    df["start"], df["stop"] = st, sp
    df["duration_s"] = sp - st
    if "label" not in df.columns:
        df["label"] = df["state"].astype(str) if "state" in df.columns else "user window"
    if "state" not in df.columns:
        df["state"] = [state_from_label(v) for v in df["label"]]
    if "evidence" not in df.columns:
        df["evidence"] = "user"
    if "detail" not in df.columns:
        df["detail"] = [{} for _ in range(len(df))]
    if "score" not in df.columns:
        df["score"] = np.nan
    return df[[*CANDIDATE_COLUMNS, *[c for c in df.columns if c not in CANDIDATE_COLUMNS]]]


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
                     others: pd.DataFrame | None = None, card_fields: dict | None = None) -> xr.DataArray:
    """Check ``seg``, compute its quality and attach the RestCard (``seg.attrs["card"]``).

    Internal: ``cand`` is a candidate row as a dict. Users call :func:`glue_widgets.annotate_rest`.
    """
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
                      quality=quality, arousal=arousal, inferred=inferred, state_detail=sdet, notes=notes,
                      fields=card_fields)
    seg = seg.copy()
    seg.attrs["card"] = card
    seg.attrs["stream"] = stream
    seg.attrs["coverage"] = card["coverage"]
    seg.attrs["target_s"] = card["target_s"]
    seg.attrs["window"] = window_text(card["start"], card["stop"])
    return seg


def window_text(start: float, stop: float) -> str:
    """A window as the Rest page states it: ``"120.0–720.0 s"``."""
    return f"{float(start):.1f}–{float(stop):.1f} s"


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
        Windows to choose from, best first: the output of :func:`find_rest_candidates`, or any frame
        with ``start`` and ``stop`` (s) (``label``, ``state``, ``evidence`` default to a user window).
    **candidate_kw
        Passed to :func:`find_rest_candidates` (``max_gap``, ``min_bout``, ``thresholds``, ``evidence``...).

    Returns
    -------
    xarray.DataArray
        ``("time", "channel")`` window; ``attrs["card"]`` is a validated RestCard dict,
        ``attrs["coverage"]`` its share of the ``target_s`` target and ``attrs["window"]`` the window
        as text (``"0.0–600.0 s"``). A window shorter than the target is returned, not refused.

    Raises
    ------
    NotFoundError
        No rest evidence: the message lists what was looked for and what the session has, and
        shows the :func:`annotate_rest` call that names a window by hand.
    InvalidInputError
        ``session`` is not a Session; ``min_duration``/``target_s``/``max_duration``/``bin_width`` not
        finite and > 0; a ``candidates`` frame without start/stop.
    WindowError
        The best window is shorter than one second.

    Examples
    --------
    >>> import glue_widgets as gw
    >>> seg = gw.extract_rest(gw.open("demo://arbor/m01/day0"))   # doctest: +SKIP
    >>> seg.attrs["card"]["coverage"]                              # doctest: +SKIP
    1.0
    """
    check_session(session, "extract_rest")
    min_duration = check_seconds("min_duration", min_duration, func="extract_rest")
    target_s = check_seconds("target_s", target_s, func="extract_rest")
    max_duration = check_seconds("max_duration", max_duration, func="extract_rest", none_ok=True)
    bin_width = check_seconds("bin_width", bin_width, func="extract_rest", none_ok=True)
    if nan_channels not in ("raise", "drop"):
        raise InvalidInputError(f"extract_rest: nan_channels={nan_channels!r}; use 'raise' or 'drop'.")
    stream = choose_stream(session, stream)
    if candidates is None:
        candidates = find_rest_candidates(session, stream, min_duration=min_duration, **candidate_kw)
    else:
        candidates = normalize_candidates(candidates, session)
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
    others = others[(others["state"].astype(str) != str(cand.get("state")))
                    & (others["evidence"] != "bids-task")]
    seg = annotate_segment(session, seg, cand, stream=stream, min_duration=min_duration, target_s=target_s,
                           nan_channels=nan_channels, others=others)
    if duration < min_duration:
        warnings.warn(
            f"rest window of {session.uri} is {duration:.1f} s, shorter than min_duration={min_duration:.0f} s "
            f"(coverage {duration / target_s:.0%} of the {target_s:.0f}-s target); the card says so.",
            ShortRestWarning, stacklevel=2,
        )
    return seg
