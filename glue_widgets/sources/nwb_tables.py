"""NWB tables the reader turns into pandas: TimeIntervals -> epochs, Units -> per-unit coordinates."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np
import pandas as pd

from ..model import empty_epochs
from .nwb_h5 import as_str, column, ragged_column, region_rows, table_ids

__all__ = ["read_intervals", "unit_coords", "LABEL_COLUMNS"]

# columns whose values name what happened in an interval, best first
LABEL_COLUMNS = ("label", "labels", "stimulus_name", "stim_name", "condition", "state", "epoch_name",
                 "trial_type", "stimulus_type", "behavior", "name")


def _is_time_intervals(g: Any) -> bool:
    return isinstance(g, h5py.Group) and "start_time" in g and "stop_time" in g


def _one_table(name: str, g: h5py.Group) -> pd.DataFrame:
    start = np.asarray(g["start_time"][()], dtype=np.float64)
    stop = np.asarray(g["stop_time"][()], dtype=np.float64)
    n = start.shape[0]
    df = pd.DataFrame({"start": start, "stop": stop})
    tags = ragged_column(g, "tags")
    label = None
    if tags is not None and any(len(t) for t in tags):
        label = np.array([",".join(str(x) for x in t) if t else name for t in tags], dtype=object)
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
    if label is None:
        for cand in LABEL_COLUMNS:
            col = next((k for k in extra if k.lower() == cand), None)
            if col is not None:
                label = np.array([as_str(x) if as_str(x) else name for x in extra[col]], dtype=object)
                break
    if label is None:
        label = np.full(n, name, dtype=object)
    df["label"] = label
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
