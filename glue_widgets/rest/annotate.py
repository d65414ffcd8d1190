"""annotate_rest: the user names the rest window; the segment and its RestCard are built as for extract_rest."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..errors import InvalidInputError
from ..model import REST_TARGET_S
from .candidates import choose_stream
from .extract import _read, annotate_segment, check_seconds, check_session

__all__ = ["annotate_rest", "ANNOTATE_FIELDS"]

#: metadata keys annotate_rest puts into the RestCard (``region`` is an alias of ``regions``)
ANNOTATE_FIELDS = ("lab", "species", "subject", "session", "regions", "region", "apparatus", "illumination",
                   "institution", "experimenter", "subject_age", "subject_sex", "notes")
_LISTS = ("regions", "experimenter", "notes")


def _time(name: str, value: Any) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else float("nan")
    if not np.isfinite(v):
        raise InvalidInputError(f"annotate_rest: {name}={value!r} must be a finite time in seconds "
                                f"(e.g. {name}={0.0 if name == 'start' else REST_TARGET_S})")
    return v


def _fields(metadata: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(metadata) - set(ANNOTATE_FIELDS))
    if unknown:
        raise InvalidInputError(f"annotate_rest: unknown metadata key(s) {unknown}; the RestCard takes "
                                f"{list(ANNOTATE_FIELDS)} (e.g. lab='Peyrache', region='ADN', "
                                f"apparatus='open field', illumination='dark').")
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if value is None:
            continue
        name = "regions" if key == "region" else key
        if name in _LISTS:
            vals = [value] if isinstance(value, str) else value
            if not isinstance(vals, (list, tuple)) or not all(isinstance(v, str) for v in vals):
                raise InvalidInputError(f"annotate_rest: {key}={value!r} must be a string or a list of strings.")
            out[name] = [*out.get(name, []), *vals]
        elif isinstance(value, str):
            out[name] = value
        else:
            raise InvalidInputError(f"annotate_rest: {key}={value!r} must be a string (got {type(value).__name__}).")
    return out


def annotate_rest(
    session: Any,
    start: float,
    stop: float,
    state: str = "rest",
    stream: str | None = None,
    *,
    target_s: float = REST_TARGET_S,
    bin_width: float | None = None,
    nan_channels: str = "raise",
    **metadata: Any,
) -> xr.DataArray:
    """Build the rest segment and its RestCard from a window the user names.

    Use it when :func:`extract_rest` finds no rest evidence in the file but you know (lab notes,
    video, protocol) when the subject was at rest. The segment is read, checked and characterised
    exactly as ``extract_rest`` does (quality, arousal, inferred state); the card's evidence is
    ``"user"``. A window shorter than ``target_s`` is kept, with its coverage in the card.

    Parameters
    ----------
    session : Session
        A recording from ``gw.open(...)`` (or an ArraySession).
    start, stop : float
        The rest window in seconds of the recording's clock, ``start < stop``, inside the stream.
    state : str
        The state definition (``"eyes-closed rest"``, ``"head-fixed task-free"``, ``"dark"``...).
    stream : str, optional
        Neural stream to cut (default: the main neural stream).
    target_s : float
        The standard length the card's ``coverage`` refers to (600 s).
    bin_width : float, optional
        Bin width (s) for spike-time streams (default 0.04 s).
    nan_channels : {"raise", "drop"}
        What to do with channels that are entirely NaN in the window.
    **metadata
        Card fields to set or override: ``lab``, ``species``, ``subject``, ``session``,
        ``region``/``regions``, ``apparatus``, ``illumination``, ``institution``, ``experimenter``,
        ``subject_age``, ``subject_sex``, ``notes``. Other keys are refused.

    Returns
    -------
    xarray.DataArray
        ``("time", "channel")``; ``attrs["card"]`` the validated RestCard, ``attrs["coverage"]`` and
        ``attrs["window"]`` as for :func:`extract_rest`.

    Raises
    ------
    InvalidInputError
        Not a Session; start/stop not finite, ``start >= stop`` or outside the stream; an unknown
        stream or metadata key.

    Examples
    --------
    >>> import glue_widgets as gw
    >>> s = gw.open("demo://arbor/m01/day0")                                        # doctest: +SKIP
    >>> seg = gw.annotate_rest(s, 0.0, 300.0, state="head-fixed task-free", lab="arbor")  # doctest: +SKIP
    >>> seg.attrs["card"]["coverage"], seg.attrs["window"]                          # doctest: +SKIP
    (0.5, '0.0–300.0 s')
    """
    check_session(session, "annotate_rest")
    a, b = _time("start", start), _time("stop", stop)
    if a >= b:
        raise InvalidInputError(f"annotate_rest: start={start!r} must be before stop={stop!r}; swap them or "
                                f"give the window as (start, stop) in seconds.")
    if not isinstance(state, str) or not state.strip():
        raise InvalidInputError(f"annotate_rest: state={state!r} must name the rest state, e.g. "
                                f"state='eyes-closed rest' or 'head-fixed task-free'.")
    target_s = check_seconds("target_s", target_s, func="annotate_rest")
    bin_width = check_seconds("bin_width", bin_width, func="annotate_rest", none_ok=True)
    if nan_channels not in ("raise", "drop"):
        raise InvalidInputError(f"annotate_rest: nan_channels={nan_channels!r}; use 'raise' or 'drop'.")
    if stream is not None and stream not in session.streams:
        raise InvalidInputError(f"annotate_rest: stream {stream!r} is not in {session.uri}; its streams are "
                                f"{sorted(session.streams)}. Pass one of these (or stream=None to choose).")
    fields = _fields(metadata)
    stream = choose_stream(session, stream)
    info = session.stream_info(stream)
    lo, hi = float(info.start_s), float(info.stop_s)
    tol = 1e-6 * max(1.0, abs(hi))
    if a < lo - tol or b > hi + tol:
        raise InvalidInputError(f"annotate_rest: the window [{a:g}, {b:g}) s lies outside stream {stream!r} of "
                                f"{session.uri}, which runs [{lo:.3f}, {hi:.3f}] s; pick start/stop inside it.")
    cand = {"start": a, "stop": b, "evidence": "user", "label": state.strip(), "state": state.strip(),
            "detail": {"annotated_by": "user"}}
    seg = _read(session, stream, a, b, bin_width)
    if seg.sizes["time"] < 2:
        raise InvalidInputError(f"annotate_rest: the window [{a:g}, {b:g}) s of stream {stream!r} holds "
                                f"{seg.sizes['time']} sample(s); widen it.")
    return annotate_segment(session, seg, cand, stream=stream, min_duration=target_s, target_s=target_s,
                            nan_channels=nan_channels, card_fields=fields)
