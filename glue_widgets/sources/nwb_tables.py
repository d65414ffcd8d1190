"""NWB tables the reader turns into pandas: TimeIntervals -> epochs, Units -> per-unit coordinates.

Every TimeIntervals table of the file becomes rows of one epochs frame. A row's ``label`` is what the
row says happened: its tags, else the first text column named like a label (``label``, ``phase``,
``condition``, ``stimulus_name``, ``state``, ``behavior``...), else the table's name. A text column whose
value on a row means rest (``phase == "spontaneous activity"``) labels that row whatever the other
columns say, so a trials table that holds a rest phase yields rest rows (``label_column`` tells which
column spoke).
"""

from __future__ import annotations

from typing import Any

import re

import h5py
import numpy as np
import pandas as pd

from ..model import empty_epochs
from ..model.labels import is_rest_label
from .nwb_h5 import as_str, column, ragged_column, region_rows, table_ids

__all__ = ["read_intervals", "unit_coords", "LABEL_COLUMNS", "row_labels"]

# columns whose values name what happened in an interval, best first
LABEL_COLUMNS = ("label", "labels", "stimulus_name", "stim_name", "condition", "state", "phase", "trial_phase",
                 "epoch_name", "epoch", "block", "block_type", "period", "trial_type", "stimulus_type",
                 "behavior", "behaviour", "task", "context", "environment", "name")
# other text columns read for a rest word (names like these; free-text notes/descriptions are not)
_TEXT_NAME = re.compile(r"label|phase|condition|state|stim|behav|epoch|block|period|task|context|type|name|"
                        r"environment|tag|kind|category|class|mode|segment", re.IGNORECASE)
_NOT_LABEL = re.compile(r"note|comment|description|file|path|url", re.IGNORECASE)


def _texts(vals: np.ndarray) -> list[str] | None:
    """A column as stripped strings ('' for missing), or None when it is not a text column."""
    if vals.dtype.kind not in "OSU":
        return None
    out = []
    for v in vals:
        if v is None or (isinstance(v, float) and v != v):
            out.append("")
        elif isinstance(v, (str, bytes)):
            out.append(as_str(v).strip())
        else:
            return None
    return out


def row_labels(name: str, n: int, tags: list[list[Any]] | None,
               columns: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's label and the column it came from (``"tags"``, a column name or ``"table"``).

    A text column whose value means rest (:func:`glue_widgets.model.labels.is_rest_label`) wins on
    its row; otherwise tags, then the first of :data:`LABEL_COLUMNS` with a value, then ``name``.
    """
    texts = {k: t for k, v in columns.items() if _TEXT_NAME.search(k) and not _NOT_LABEL.search(k)
             for t in [_texts(np.asarray(v))] if t is not None}
    order = [k for c in LABEL_COLUMNS for k in texts if k.lower() == c]
    order += [k for k in texts if k not in order]
    label = np.full(n, name, dtype=object)
    source = np.full(n, "table", dtype=object)
    for i in range(n):
        rest = next((k for k in order if texts[k][i] and is_rest_label(texts[k][i])), None)
        if rest is not None:
            label[i], source[i] = texts[rest][i], rest
            continue
        if tags is not None and tags[i]:
            label[i], source[i] = ",".join(str(x) for x in tags[i]), "tags"
            continue
        first = next((k for k in order if k.lower() in LABEL_COLUMNS and texts[k][i]), None)
        if first is not None:
            label[i], source[i] = texts[first][i], first
    return label, source


def _is_time_intervals(g: Any) -> bool:
    return isinstance(g, h5py.Group) and "start_time" in g and "stop_time" in g


def _one_table(name: str, g: h5py.Group) -> pd.DataFrame:
    start = np.asarray(g["start_time"][()], dtype=np.float64)
    stop = np.asarray(g["stop_time"][()], dtype=np.float64)
    n = start.shape[0]
    df = pd.DataFrame({"start": start, "stop": stop})
    tags = ragged_column(g, "tags")
    extra: dict[str, np.ndarray] = {}
    for key, obj in g.items():
        if key in ("start_time", "stop_time", "id", "tags", "tags_index", "timeseries", "timeseries_index"):
            continue
        if not isinstance(obj, h5py.Dataset) or obj.ndim != 1 or obj.shape[0] != n:
            continue
        if key + "_index" in g or key.endswith("_index"):
            continue  # ragged columns other than tags do not fit one row each
        if obj.dtype.kind in "OV" and obj.dtype.kind != "O":
            continue  # compound / references
        if obj.attrs.get("neurodata_type") in (b"DynamicTableRegion", "DynamicTableRegion"):
            continue
        try:
            extra[key] = column(g, key)
        except (TypeError, ValueError):
            continue
    label, source = row_labels(name, n, tags, extra)
    df["label"] = label
    df["label_column"] = source
    df["source_table"] = name
    for key, vals in extra.items():
        if key in df.columns:
            key = f"{name}.{key}"
        df[key] = vals
    return df


def read_intervals(f: h5py.File) -> pd.DataFrame:
    """Every TimeIntervals table (``/intervals/*``, including ``epochs`` and ``trials``) as one epochs frame."""
    frames = []
    tables: list[tuple[str, h5py.Group]] = []
    iv = f.get("intervals")
    if isinstance(iv, h5py.Group):
        tables += [(k, g) for k, g in iv.items() if _is_time_intervals(g)]
    # NWB < 2.1 kept epochs / trials at the root
    for k in ("epochs", "trials"):
        g = f.get(k)
        if _is_time_intervals(g) and all(k != t for t, _ in tables):
            tables.append((k, g))
    for name, g in tables:
        frames.append(_one_table(name, g))
    frames = [fr for fr in frames if len(fr)]
    if not frames:
        return empty_epochs()
    df = pd.concat(frames, ignore_index=True, sort=False)
    return df.sort_values(["start", "stop"], kind="stable").reset_index(drop=True)


def unit_coords(f: h5py.File, units: h5py.Group, n: int) -> dict[str, np.ndarray]:
    """Per-unit coordinates: ``region`` (location), ``quality``, ``x``/``y`` when the table has them."""
    out: dict[str, np.ndarray] = {}
    loc = column(units, "location")
    if loc is None and isinstance(units.get("electrodes"), h5py.Dataset):
        region = units["electrodes"]
        table, rows = region_rows(f, region)
        if "electrodes_index" in units:  # ragged: take each unit's first electrode
            ends = np.asarray(units["electrodes_index"][()], dtype=np.int64)
            starts = np.concatenate([[0], ends[:-1]])
            rows = np.array([rows[a] if b > a else -1 for a, b in zip(starts, ends)])
        if table is not None and rows.shape[0] == n:
            eloc = column(table, "location")
            if eloc is not None:
                loc = np.array([eloc[r] if 0 <= r < len(eloc) else "" for r in rows], dtype=object)
    if loc is None and isinstance(units.get("electrode_group"), h5py.Dataset):
        refs = units["electrode_group"][()]
        vals = []
        for r in refs:
            try:
                vals.append(as_str(f[r].attrs.get("location", "")))
            except (KeyError, ValueError, TypeError, OSError):
                vals.append("")
        loc = np.array(vals, dtype=object)
    if loc is not None and len(loc) == n and any(str(x) for x in loc):
        out["region"] = np.array([str(x) for x in loc], dtype=object)
    for key in ("quality", "x", "y"):
        col = column(units, key)
        if col is not None and col.ndim == 1 and len(col) == n:
            out[key] = col
    return out


def unit_ids(units: h5py.Group) -> list[str]:
    return [str(as_str(i) if isinstance(i, bytes) else i) for i in table_ids(units)]
