"""Small h5py helpers for the NWB reader: strings, table columns, region references, error guards.

Everything here reads as little as possible: a remote HDF5 file costs one HTTP range request per
chunk touched. Searches in long sorted datasets (timestamps, spike trains) live in ``nwb_paged``.
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from ..errors import CorruptFileError, GlueError

__all__ = ["as_str", "read_scalar_str", "guarded", "column", "ragged_column",
           "table_ids", "region_rows", "SMALL_READ"]

# arrays at most this many elements are read whole (one request) rather than searched by pages
SMALL_READ = 1 << 16


def as_str(v: Any) -> str:
    """Decode bytes / numpy scalars / 1-element arrays to a plain ``str``."""
    if isinstance(v, np.ndarray):
        v = v.ravel()[0] if v.size else ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return "" if v is None else str(v)


def read_scalar_str(f: h5py.File, path: str) -> str | None:
    """A scalar (or 1-element) string dataset at ``path``, or None when absent/empty."""
    obj = f.get(path)
    if not isinstance(obj, h5py.Dataset):
        return None
    s = as_str(obj[()]).strip()
    return s or None


def guarded(what: str, func, *args, **kwargs):
    """Call ``func``; turn low-level HDF5 failures into a CorruptFileError naming ``what``."""
    try:
        return func(*args, **kwargs)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        if isinstance(exc, GlueError):  # BadDataError, or a NetworkError from a remote file object
            raise
        raise CorruptFileError(
            f"could not read {what}: {exc}. The file is probably truncated or damaged; "
            "re-download it or check it with `h5dump -H` / nwbinspector."
        ) from None


def column(table: h5py.Group, name: str) -> np.ndarray | None:
    """A 1-D column of a DynamicTable, strings decoded; None when absent."""
    ds = table.get(name)
    if not isinstance(ds, h5py.Dataset):
        return None
    a = ds[()]
    if a.dtype.kind in "OS":
        a = np.array([as_str(x) for x in np.ravel(a)], dtype=object)
    return a


def ragged_column(table: h5py.Group, name: str) -> list[list[Any]] | None:
    """A ragged column (``name`` + ``name_index``) as a list of lists; None when absent."""
    data, index = table.get(name), table.get(name + "_index")
    if not isinstance(data, h5py.Dataset) or not isinstance(index, h5py.Dataset):
        return None
    d = data[()]
    ends = np.asarray(index[()], dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    vals = [as_str(x) if isinstance(x, (bytes, str)) else x for x in np.ravel(d)]
    return [vals[a:b] for a, b in zip(starts, ends)]


def table_ids(table: h5py.Group) -> np.ndarray:
    """The ``id`` column of a DynamicTable (row numbers when absent)."""
    ids = table.get("id")
    if isinstance(ids, h5py.Dataset):
        return np.asarray(ids[()])
    n = max((d.shape[0] for d in table.values() if isinstance(d, h5py.Dataset) and d.ndim), default=0)
    return np.arange(n)


def region_rows(f: h5py.File, region: h5py.Dataset) -> tuple[h5py.Group | None, np.ndarray]:
    """Resolve a DynamicTableRegion: (the referenced table, the row indices)."""
    rows = np.asarray(region[()], dtype=np.int64)
    ref = region.attrs.get("table")
    table = None
    if isinstance(ref, h5py.Reference) and ref:
        try:
            table = f[ref]
        except (KeyError, ValueError, OSError):
            table = None
    return table, rows
