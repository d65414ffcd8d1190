"""Helpers every dashboard shares: finding an analysis, honest "not available yet" panes, timing."""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from typing import Any, Iterator

import numpy as np
import pandas as pd

__all__ = ["find_analysis", "unavailable", "timed", "TIMING_LOGGER", "rest_window_of", "REST_LABEL_WORDS"]

TIMING_LOGGER = logging.getLogger("glue_widgets.apps.timing")

# epoch labels that mean "spontaneous / rest" across labs (gray screen, dark, eyes open/closed, BIDS task-rest)
REST_LABEL_WORDS = ("rest", "spontaneous", "spon", "gray screen", "grey screen", "dark", "eyes open",
                    "eyes closed", "eyes-open", "eyes-closed", "eyesclosed", "eyesopen", "task-free")


def find_analysis(target: str) -> tuple[Any | None, str]:
    """Import ``"module:attr"`` if it exists; return ``(obj, "")`` or ``(None, reason)``.

    Dashboards call this at page creation so an analysis that lands later is picked up without a
    change here, and one that is missing shows an honest message instead of fake numbers.
    """
    module, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module)
        if attr:
            for part in attr.split("."):
                obj = getattr(obj, part)
        return obj, ""
    except ModuleNotFoundError as exc:
        return None, f"`{target}` is not available yet ({exc.name} is not installed in this checkout)."
    except AttributeError as exc:
        return None, f"`{target}` is not available yet ({exc})."
    except Exception as exc:  # half-written analysis module: say so, do not crash the page
        return None, f"`{target}` failed to import: {type(exc).__name__}: {exc}"


def unavailable(title: str, reason: str):
    """A visible pane that says a view is not available yet, and why."""
    import panel as pn
    return pn.pane.Alert(f"**{title}: not available yet.** {reason}", alert_type="warning",
                         sizing_mode="stretch_width", css_classes=["gw-unavailable"])


@contextlib.contextmanager
def timed(what: str, sink: list | None = None, **fields: Any) -> Iterator[None]:
    """Time a server-side step; log it on ``glue_widgets.apps.timing`` and append ms to ``sink``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        ms = (time.perf_counter() - t0) * 1e3
        if sink is not None:
            sink.append((what, ms))
        TIMING_LOGGER.info("%s %.1f ms", what, ms, extra={"gw_step": what, "gw_ms": ms, **fields})


def _is_rest_label(label: object) -> bool:
    s = str(label).lower().replace("_", " ")
    return any(w in s for w in REST_LABEL_WORDS)


def detect_rest_cached(catalog, uri: str) -> dict:
    """``rest_window_of`` with ``gw.extract_rest`` on a Session of its own, cached per catalog and URI.

    The result (a plain dict) is shared read-only between pages through ``pn.state.as_cached``,
    so the second visitor of a session does not wait for the detection again.
    """
    import panel as pn

    def compute():
        s = catalog.open(uri)
        try:
            return rest_window_of(s, None, use_analysis=True)
        finally:
            s.close()

    return pn.state.as_cached(f"gw-rest:{type(catalog).__name__}:{id(catalog) if type(catalog).__name__ == 'MappingCatalog' else ''}:{uri}", compute)


def rest_window_of(session, stream: str | None = None, *, use_analysis: bool = True) -> dict:
    """Where the session's rest window is, and how that was decided.

    Returns ``{"start", "stop", "method", "card", "note"}``. ``method`` is ``"gw.extract_rest"``
    when the rest analysis exists and succeeds, ``"epochs"`` (the longest epoch whose label means
    rest) otherwise, or ``"none"``.
    """
    notes = []
    if use_analysis:
        extract, why = find_analysis("glue_widgets.rest:extract_rest")
        if extract is not None:
            try:
                seg = extract(session, stream=stream)
                t = np.asarray(seg.time.values, float)
                card = seg.attrs.get("card")
                start = float(card["start"]) if isinstance(card, dict) and "start" in card else float(t[0])
                stop = float(card["stop"]) if isinstance(card, dict) and "stop" in card else float(t[-1])
                return {"start": start, "stop": stop, "method": "gw.extract_rest", "card": card, "note": ""}
            except Exception as exc:
                notes.append(f"gw.extract_rest failed: {type(exc).__name__}: {exc}")
        else:
            notes.append(why)
    ep = session.epochs
    if isinstance(ep, pd.DataFrame) and len(ep):
        rest = ep[ep["label"].map(_is_rest_label)]
        if len(rest):
            d = (rest["stop"] - rest["start"]).to_numpy()
            row = rest.iloc[int(np.argmax(d))]
            return {"start": float(row["start"]), "stop": float(row["stop"]), "method": "epochs",
                    "card": None, "note": f"epoch labelled {row['label']!r}. " + " ".join(notes)}
    return {"start": None, "stop": None, "method": "none", "card": None,
            "note": "no rest window: no epoch labelled rest. " + " ".join(notes)}
