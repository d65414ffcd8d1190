"""Candidate rest windows of a session, from every kind of evidence, ranked.

Evidence, strongest first: explicit epochs whose label means rest (``epochs``); a BIDS task whose
name means rest (``bids-task``: the whole run is rest); behaviour (``behavior``: speed, movement or
pupil low, outside stimulus and task epochs). Only behaviour streams are read here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from .behavior import behavior_traces, intervals_from_mask, merge_gaps, stillness, subtract_intervals
from ..model.labels import classify_label, is_rest_label, rest_label_rank, state_from_label

__all__ = ["find_rest_candidates", "choose_stream", "NEURAL_ORDER", "blocked_intervals", "CANDIDATE_COLUMNS",
           "rest_epochs"]

NEURAL_ORDER = ("spikes", "calcium", "ecog", "ieeg", "lfp", "eeg", "meg", "fmri")
EVIDENCE_WEIGHT = {"epochs": 3.0, "bids-task": 2.0, "behavior": 1.0}
CANDIDATE_COLUMNS = ("start", "stop", "duration_s", "evidence", "label", "state", "score", "detail")


def choose_stream(session: Any, stream: str | None = None) -> str:
    """The main neural stream of ``session`` (or check the one given).

    Modality order spikes > calcium > ecog > ieeg > lfp > eeg > meg > fmri, then most channels.
    A behaviour stream is refused: rest segments are cut from neural data.
    """
    streams = session.streams
    if stream is not None:
        info = session.stream_info(stream)
        if info.modality not in NEURAL_ORDER:
            neural = [n for n, s in streams.items() if s.modality in NEURAL_ORDER]
            raise InvalidInputError(
                f"stream {stream!r} holds {info.modality!r} data, not neural activity; rest segments are "
                f"cut from a neural stream. Pass one of {neural} (or stream=None to choose)."
            )
        return stream
    neural = [(NEURAL_ORDER.index(s.modality), -s.n_channels, n) for n, s in streams.items()
              if s.modality in NEURAL_ORDER]
    if not neural:
        raise InvalidInputError(
            f"session {session.uri} has no neural stream (streams: "
            f"{ {n: s.modality for n, s in streams.items()} }); rest segments need one of the modalities "
            f"{NEURAL_ORDER}."
        )
    return sorted(neural)[0][2]


def blocked_intervals(epochs: pd.DataFrame, pad: float = 0.0) -> list[tuple[float, float]]:
    """Stimulus and task epochs (padded by ``pad`` s): rest found from behaviour must avoid them."""
    if epochs is None or len(epochs) == 0:
        return []
    cls = epochs["label"].map(classify_label)
    blocked = cls.isin(["stimulus", "task"])
    if "source_table" in epochs.columns:
        # a trials/stimulus table's rows labelled by a neutral column ("A", "c1") are still task rows
        table = epochs["source_table"].map(classify_label).isin(["stimulus", "task"])
        blocked |= table & ~epochs["label"].map(is_rest_label)
    ep = epochs[blocked]
    return [(float(a) - pad, float(b) + pad) for a, b in zip(ep["start"], ep["stop"])]


def _bids_task(metadata: dict) -> str | None:
    for key in ("TaskName", "task_name", "task", "bids_task"):
        v = metadata.get(key)
        if v:
            return str(v)
    bids = metadata.get("bids")
    if isinstance(bids, dict):
        return _bids_task(bids)
    return None


def rest_epochs(epochs: pd.DataFrame, *, max_gap: float = 5.0) -> pd.DataFrame:
    """The rows of ``epochs`` whose label means rest, consecutive rows of one table merged.

    Rows of the same ``source_table`` with the same label that follow each other in that table (no
    other row of the table between them) and lie at most ``max_gap`` s apart become one window: a
    trials table whose ``phase`` column says "spontaneous activity" on ten consecutive rows yields
    one rest window. Columns ``start, stop, label, source_table, rows`` (+ the first row's other columns).

    Examples
    --------
    >>> ep = pd.DataFrame({"start": [0., 60, 120, 180], "stop": [60., 120, 180, 240],
    ...                    "label": ["spontaneous", "spontaneous", "task", "spontaneous"]})
    >>> rest_epochs(ep)[["start", "stop", "rows"]].to_dict("list")
    {'start': [0.0, 180.0], 'stop': [120.0, 240.0], 'rows': [2, 1]}
    """
    if epochs is None or len(epochs) == 0:
        return pd.DataFrame(columns=["start", "stop", "label", "source_table", "rows"])
    ep = epochs.copy()
    if "source_table" not in ep.columns:
        ep["source_table"] = "epochs"
    ep = ep[np.isfinite(ep["start"].astype(float)) & np.isfinite(ep["stop"].astype(float))]
    out: list[dict] = []
    for table, rows in ep.groupby("source_table", sort=False):
        rows = rows.sort_values(["start", "stop"], kind="stable")
        cur: dict | None = None
        for _, r in rows.iterrows():
            rest = is_rest_label(r["label"])
            if cur is not None and (not rest or str(r["label"]) != cur["label"]
                                    or float(r["start"]) - cur["stop"] > max_gap):
                out.append(cur)
                cur = None
            if not rest:
                continue
            if cur is None:
                cur = {**r.to_dict(), "label": str(r["label"]), "start": float(r["start"]),
                       "stop": float(r["stop"]), "rows": 1}
            else:
                cur["stop"] = max(cur["stop"], float(r["stop"]))
                cur["rows"] += 1
        if cur is not None:
            out.append(cur)
    if not out:
        return pd.DataFrame(columns=["start", "stop", "label", "source_table", "rows"])
    return pd.DataFrame(out).sort_values(["start", "stop"], kind="stable").reset_index(drop=True)


def _from_epochs(session: Any, span: tuple[float, float], max_gap: float = 5.0) -> list[dict]:
    ep = rest_epochs(session.epochs, max_gap=max_gap)
    rows = []
    for _, r in ep.iterrows():
        a, b = max(float(r["start"]), span[0]), min(float(r["stop"]), span[1])
        if b <= a:
            continue
        state = state_from_label(r["label"])
        # an explicit state column defines the state; a condition column only when it names a rest state
        for col in ("state", "state_definition", "condition"):
            v = r.get(col) if col in ep.columns else None
            if isinstance(v, str) and v.strip() and (col != "condition" or is_rest_label(v)):
                state = v.strip()
                break
        extra = {c: r[c] for c in ("illumination", "apparatus") if c in ep.columns and isinstance(r.get(c), str)}
        det = {"table": str(r.get("source_table", "epochs")), "label_rank": rest_label_rank(r["label"]),
               "rows": int(r["rows"]), **extra}
        if isinstance(r.get("label_column"), str) and r["label_column"] not in ("table", "tags"):
            det["column"] = r["label_column"]
        rows.append({"start": a, "stop": b, "evidence": "epochs", "label": str(r["label"]), "state": state,
                     "detail": det})
    return rows


def _from_bids(session: Any, span: tuple[float, float]) -> list[dict]:
    task = _bids_task(session.metadata)
    if task is None or not is_rest_label(task):
        return []
    iv = subtract_intervals([span], blocked_intervals(session.epochs))
    return [{"start": a, "stop": b, "evidence": "bids-task", "label": f"task-{task}",
             "state": state_from_label(task), "detail": {"TaskName": task}} for a, b in iv]


def _from_behavior(session: Any, span: tuple[float, float], *, max_gap: float, min_bout: float,
                   smooth_s: float, thresholds: dict[str, float] | None, pad: float) -> list[dict]:
    traces = behavior_traces(session)
    if not traces:
        return []
    # locomotion (running speed, wheel, position) and movement say "still"; a generic velocity (often a
    # task readout such as hand or cursor velocity) only when neither exists; pupil last (it also tracks
    # luminance, e.g. dilates in the dark)
    motor = [tr for tr in traces if tr.role in ("speed", "movement") and tr.detail.get("source_role") != "velocity"]
    use = (motor or [tr for tr in traces if tr.detail.get("source_role") == "velocity"]
           or [tr for tr in traces if tr.role == "pupil"])
    # a common 0.1-s grid over the neural span; a bin is still when every covariate is low there
    grid = np.arange(span[0], span[1], 0.1)
    still = np.ones(grid.size, bool)
    details = []
    for tr in use:
        thr = (thresholds or {}).get(tr.stream, (thresholds or {}).get(tr.role))
        t, mask, det = stillness(tr, thr, smooth_s=smooth_s)
        if det.get("unimodal"):
            det["note"] = "one behavioural mode only: no movement seen, every sample counts as still"
        idx = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, max(t.size - 1, 0))
        inside = (grid >= t[0]) & (grid <= t[-1] + (t[1] - t[0] if t.size > 1 else 0))
        still &= inside & mask[idx] if t.size else False
        details.append(det)
    iv = intervals_from_mask(grid, still)
    iv = [(a, b) for a, b in iv if b - a >= min_bout]
    iv = merge_gaps(iv, max_gap)
    iv = subtract_intervals(iv, blocked_intervals(session.epochs, pad))
    # quiet wakefulness is still AND calm: where locomotion decided, a high pupil (aroused) at the edges of
    # a window trims it; excursions inside the window do not split it
    pupils = [tr for tr in traces if tr.role == "pupil"]
    if motor and pupils:
        iv, trim = _trim_edges(iv, pupils[0], smooth_s=max(smooth_s, 5.0))
        details.append(trim)
    rows = []
    for a, b in iv:
        if b - a < min_bout:
            continue
        sel = (grid >= a) & (grid < b)
        rows.append({"start": a, "stop": b, "evidence": "behavior", "label": "still (behaviour)",
                     "state": "task-free, still", "detail": {
                         "covariates": details, "max_gap_s": max_gap, "min_bout_s": min_bout,
                         "still_fraction": float(still[sel].mean()) if sel.any() else 0.0}})
    return rows


def _trim_edges(iv: list[tuple[float, float]], pupil: Any, *, smooth_s: float) -> tuple[list, dict]:
    """Trim each window's edges to where the pupil is below its session split (Otsu, linear scale)."""
    from .behavior import otsu_threshold

    t = pupil.time
    v = pupil.value.astype(float)
    fs = 1.0 / float(np.median(np.diff(t))) if t.size > 1 else 1.0
    k = max(1, int(round(smooth_s * fs)))
    if k > 1 and v.size > k:
        from scipy.ndimage import uniform_filter1d
        v = uniform_filter1d(np.nan_to_num(v, nan=np.nanmedian(v)), k, mode="nearest")
    thr, eta = otsu_threshold(v, log=False)
    det: dict[str, Any] = {"stream": pupil.stream, "role": "pupil (edge trim)", "threshold": thr,
                           "separability": round(eta, 3), "threshold_method": "otsu(linear)"}
    if not np.isfinite(thr) or eta < 0.5:
        det["applied"] = False
        return iv, det
    out = []
    for a, b in iv:
        sel = np.flatnonzero((t >= a) & (t < b) & (v <= thr))
        if sel.size == 0:
            continue
        out.append((max(a, float(t[sel[0]])), min(b, float(t[sel[-1]]) + 1.0 / fs)))
    det["applied"] = True
    return out, det


def find_rest_candidates(
    session: Any,
    stream: str | None = None,
    *,
    min_duration: float = 600.0,
    evidence: tuple[str, ...] = ("epochs", "bids-task", "behavior"),
    max_gap: float = 5.0,
    min_bout: float = 10.0,
    smooth_s: float = 1.0,
    thresholds: dict[str, float] | None = None,
    pad: float = 0.0,
) -> pd.DataFrame:
    """Every candidate rest window of ``session``, ranked by evidence then by length.

    Parameters
    ----------
    session : Session
    stream : str, optional
        Neural stream whose time span bounds the windows (default: the main neural stream).
    min_duration : float
        The target length (s); the score rewards coverage of it.
    evidence : tuple of str
        Which kinds of evidence to use, among ``"epochs"``, ``"bids-task"``, ``"behavior"``.
    max_gap : float
        Still bouts closer than this (s) are merged (brief twitches do not end rest).
    min_bout : float
        Still bouts shorter than this (s) are ignored, before and after merging.
    smooth_s : float
        Moving-average width (s) applied to behavioural traces before thresholding.
    thresholds : dict, optional
        Fixed thresholds per behaviour stream name or role (``{"speed": 2.0}``); default Otsu.
    pad : float
        Seconds kept clear around stimulus/task epochs for behaviour-based windows.

    Returns
    -------
    pandas.DataFrame
        Columns ``start, stop, duration_s, evidence, label, state, score, detail``; best first.

    Examples
    --------
    >>> import glue_widgets as gw
    >>> cands = gw.find_rest_candidates(session)            # doctest: +SKIP
    >>> cands[["start", "stop", "evidence"]].head()          # doctest: +SKIP
    """
    name = choose_stream(session, stream)
    info = session.stream_info(name)
    span = (float(info.start_s), float(info.stop_s))
    unknown = set(evidence) - set(EVIDENCE_WEIGHT)
    if unknown:
        raise InvalidInputError(f"evidence kinds {sorted(unknown)} are unknown; use {sorted(EVIDENCE_WEIGHT)}.")
    rows: list[dict] = []
    if "epochs" in evidence:
        rows += _from_epochs(session, span, max_gap=max_gap)
    if "bids-task" in evidence:
        rows += _from_bids(session, span)
    if "behavior" in evidence:
        rows += _from_behavior(session, span, max_gap=max_gap, min_bout=min_bout, smooth_s=smooth_s,
                               thresholds=thresholds, pad=pad)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS})
    df = pd.DataFrame(rows)
    df["start"] = df["start"].clip(lower=span[0])
    df["stop"] = df["stop"].clip(upper=span[1])
    df = df[df["stop"] > df["start"]]
    if len(df) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS})
    df["duration_s"] = df["stop"] - df["start"]
    cov = np.minimum(df["duration_s"] / float(min_duration), 1.0)
    df["score"] = df["evidence"].map(EVIDENCE_WEIGHT) + cov
    # an epoch that merely contains several more specific rest epochs of different states (a BIDS
    # task-rest run holding "eyes open" and "eyes closed") is not one state: rank it below them
    starts, stops, states = df["start"].to_numpy(), df["stop"].to_numpy(), df["state"].to_numpy()
    for i in range(len(df)):
        inside = [j for j in range(len(df)) if j != i and starts[j] >= starts[i] - 1e-6
                  and stops[j] <= stops[i] + 1e-6 and (stops[j] - starts[j]) < (stops[i] - starts[i])]
        if len({states[j] for j in inside}) >= 2:
            df.loc[df.index[i], "score"] -= 1.5
            df.at[df.index[i], "detail"] = {**df.at[df.index[i], "detail"],
                                            "contains_states": sorted({str(states[j]) for j in inside})}
    df = df.sort_values(["score", "duration_s"], ascending=False).reset_index(drop=True)
    df["stream"] = name
    return df[[*CANDIDATE_COLUMNS, "stream"]]
