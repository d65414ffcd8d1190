"""rest_window: where a session's rest window is, and how that was decided (what the Rest page shows).

The dashboards and a notebook call the same function: ``extract_rest`` first, then (or without it)
the longest rest epoch from the one label vocabulary (:mod:`glue_widgets.model.labels`), consecutive
rest rows of a table merged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..model import REST_TARGET_S
from .candidates import rest_epochs
from .extract import check_session, window_text

__all__ = ["rest_window"]


def _result(start: float | None, stop: float | None, method: str, card: dict | None, note: str) -> dict[str, Any]:
    if start is None or stop is None:
        return {"start": None, "stop": None, "method": method, "card": card, "note": note.strip(),
                "coverage": None, "duration_s": None, "target_s": REST_TARGET_S, "window": None}
    target = float(card["target_s"]) if isinstance(card, dict) and card.get("target_s") else REST_TARGET_S
    dur = float(stop) - float(start)
    return {"start": float(start), "stop": float(stop), "method": method, "card": card, "note": note.strip(),
            "coverage": dur / target, "duration_s": dur, "target_s": target, "window": window_text(start, stop)}


def rest_window(session: Any, stream: str | None = None, *, use_extract: bool = True) -> dict[str, Any]:
    """Where the rest window of ``session`` is, how it was found, and how it covers the 10-min target.

    Parameters
    ----------
    session : Session
        A recording from ``gw.open(...)``.
    stream : str, optional
        Neural stream for :func:`extract_rest` (default: the main one).
    use_extract : bool
        Run :func:`extract_rest` first (reads data: slower, gives a RestCard). With False, or when it
        fails, the longest rest epoch of the session's epochs table is used (no data read).

    Returns
    -------
    dict
        ``start``, ``stop`` (s, or None); ``method``: ``"gw.extract_rest"``, ``"epochs"`` or ``"none"``;
        ``card``: the RestCard (extract_rest only); ``note``: why, in words; ``coverage``: duration over
        the target (a short window is reported, not refused); ``duration_s``; ``target_s``; ``window``:
        the window as text (``"120.0–720.0 s"``).

    Examples
    --------
    >>> import glue_widgets as gw
    >>> from glue_widgets.rest.window import rest_window
    >>> w = rest_window(gw.open("demo://arbor/m01/day0"), use_extract=False)   # doctest: +SKIP
    >>> w["method"], w["window"], round(w["coverage"], 2)                        # doctest: +SKIP
    ('epochs', '0.0–600.0 s', 1.0)
    """
    check_session(session, "rest_window")
    notes = []
    if use_extract:
        import warnings

        from .extract import extract_rest

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a short window is reported through its coverage
                seg = extract_rest(session, stream=stream)
            card = seg.attrs.get("card")
            t = np.asarray(seg.time.values, float)
            start = float(card["start"]) if isinstance(card, dict) and "start" in card else float(t[0])
            stop = float(card["stop"]) if isinstance(card, dict) and "stop" in card else float(t[-1])
            note = ""
            if isinstance(card, dict) and not card.get("meets_target", True):
                note = (f"shorter than the {card['target_s']:.0f}-s target: covers {card['coverage']:.0%} of it.")
            return _result(start, stop, "gw.extract_rest", card, note)
        except Exception as exc:  # the fallback below says why extraction failed
            notes.append(f"gw.extract_rest failed: {type(exc).__name__}: {exc}")
    ep = session.epochs
    if isinstance(ep, pd.DataFrame) and len(ep):
        rest = rest_epochs(ep)
        if len(rest):
            d = (rest["stop"] - rest["start"]).to_numpy(float)
            row = rest.iloc[int(np.argmax(d))]
            rows = int(row["rows"])
            what = f"epoch labelled {row['label']!r}" + (f" ({rows} consecutive rows of {row['source_table']!r})"
                                                          if rows > 1 else "")
            return _result(float(row["start"]), float(row["stop"]), "epochs", None, what + ". " + " ".join(notes))
    return _result(None, None, "none", None, "no rest window: no epoch labelled rest. " + " ".join(notes))
