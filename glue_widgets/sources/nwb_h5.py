"""Small h5py helpers for the NWB reader: strings, table columns, lazy searches in big datasets.

Everything here reads as little as possible: a remote HDF5 file costs one HTTP range request per
chunk touched, so searches in long timestamp arrays bisect over single elements instead of
loading the array.
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from ..errors import BadDataError, CorruptFileError, GlueError

__all__ = ["as_str", "read_scalar_str", "guarded", "lazy_searchsorted", "column", "ragged_column",
           "table_ids", "region_rows", "SMALL_READ"]

# arrays at most this many elements are read whole (one request) rather than bisected
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


def lazy_searchsorted(ds: h5py.Dataset, values: np.ndarray | list[float], lo: int = 0, hi: int | None = None,
                      side: str = "left", name: str = "timestamps") -> np.ndarray:
    """``np.searchsorted(ds[lo:hi], values) + lo`` without reading the whole range.

    Bisects over single elements until the range is at most :data:`SMALL_READ` elements, then
    reads that slice and checks it is increasing (a BadDataError otherwise).
    """
    hi = ds.shape[0] if hi is None else hi
    out = []
    for v in np.atleast_1d(values):
        a, b = lo, hi
        while b - a > SMALL_READ:
            mid = (a + b) // 2
            x = float(ds[mid])
            if x < v or (side == "right" and x == v):
                a = mid + 1
            else:
                b = mid
        part = np.asarray(ds[a:b], dtype=np.float64)
        if part.size > 1 and (np.diff(part) < 0).any():
            i = int(np.flatnonzero(np.diff(part) < 0)[0])
            raise BadDataError(
                f"{name} are not monotonic: element {a + i} = {part[i]!r} is followed by "
                f"{part[i + 1]!r}. Sort the samples or fix the clock in the file before reading."
            )
        out.append(a + int(np.searchsorted(part, v, side=side)))
    return np.asarray(out, dtype=np.int64)


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
