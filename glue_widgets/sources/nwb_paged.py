"""Windows of ragged spike trains from an HDF5 ``spike_times`` column, with few bytes and few requests.

A window of a spike train needs the indices of its first and last spike. Bisecting over single
elements costs one HTTP request per probe, and reading each unit's whole train (what the reader did
for trains under 2**16 spikes) moves every spike of every unit even for a 10-s window.

* :class:`PagedColumn` reads aligned *pages* (default 1024 float64 = 8 KiB, one RangeFile block):
  each page read tells whether the target is before, inside or after it; the next guess interpolates
  between the known times (spikes are roughly uniform in time; every other step bisects, so the worst
  case stays logarithmic), and the pages read are kept so the window's slice usually comes from them.
* :func:`read_spike_windows` uses it for short windows; for wide windows (and short trains) it reads
  consecutive trains together in bounded batches, one HDF5 read per batch, so a chunk shared by two
  units is fetched once.

Open the dataset with HDF5's chunk cache off so that a page read moves the page, not its whole chunk
(uncompressed data; a compressed chunk is always read whole).

Examples
--------
>>> import h5py, io, numpy as np
>>> buf = io.BytesIO()
>>> with h5py.File(buf, "w") as f:
...     _ = f.create_dataset("t", data=np.arange(0.0, 100.0, 0.01), chunks=(1024,))
>>> with h5py.File(buf, "r") as f:
...     col = PagedColumn(f["t"], 0, 10_000, page=256, t_range=(0.0, 100.0))
...     i0, i1 = col.searchsorted([50.0, 50.1])
...     int(i0), int(i1), col.slice(i0, i1).size, col.pages_read
(5000, 5010, 10, 1)
"""

from __future__ import annotations

import h5py
import numpy as np

from ..errors import BadDataError

__all__ = ["PagedColumn", "page_size", "read_spike_windows"]

DEFAULT_PAGE = 1024
BATCH_ELEMENTS = 1 << 19  # 4 MiB of float64: the most one batched read of whole trains holds in memory
WIDE_FRACTION = 0.25  # windows at least this fraction of the stream's extent read whole trains


def _check_sorted(x: np.ndarray, offset: int, name: str) -> np.ndarray:
    if x.size > 1 and (np.diff(x) < 0).any():
        i = int(np.flatnonzero(np.diff(x) < 0)[0])
        raise BadDataError(f"{name} are not monotonic: element {offset + i} = {x[i]!r} is followed by "
                           f"{x[i + 1]!r}. Sort the values or fix the clock in the file before reading.")
    return x


def page_size(ds: h5py.Dataset, default: int = DEFAULT_PAGE) -> int:
    """Elements per page: ``default``, or a divisor/multiple of the chunk length so pages never straddle chunks."""
    c = ds.chunks[0] if ds.chunks else None
    if not c or c % default == 0:
        return default
    return c if c <= 4 * default else default


class PagedColumn:
    """Elements ``[lo, hi)`` of a sorted 1-D dataset, read page by page on demand.

    Parameters
    ----------
    ds : h5py.Dataset
        Increasing values (a NaN-free spike train); open it without chunk cache for remote files.
    lo, hi : int
        The part of ``ds`` this column covers (one unit's ragged slice).
    page : int
        Elements per page; pages are aligned to multiples of ``page`` in ``ds``.
    t_range : (float, float), optional
        Expected first/last values (the stream's extent): the first guess interpolates in it.
    name : str
        For error messages.
    """

    def __init__(self, ds: h5py.Dataset, lo: int, hi: int, *, page: int = DEFAULT_PAGE,
                 t_range: tuple[float, float] | None = None, name: str = "values") -> None:
        self.ds = ds
        self.lo, self.hi = int(lo), int(hi)
        self.page = max(int(page), 1)
        self.t_range = t_range
        self.name = name
        self._pages: dict[int, np.ndarray] = {}  # page start -> values (clipped to [lo, hi))
        self.pages_read = 0

    # -- reading ---------------------------------------------------------------------------------
    def _bounds(self, i: int) -> tuple[int, int]:
        p0 = i // self.page * self.page
        return max(p0, self.lo), min(p0 + self.page, self.hi)

    def _read(self, a: int, b: int) -> np.ndarray:
        return _check_sorted(np.asarray(self.ds[a:b], dtype=np.float64), a, self.name)

    def _page_at(self, i: int) -> tuple[int, np.ndarray]:
        p0, p1 = self._bounds(i)
        x = self._pages.get(p0)
        if x is None:
            x = self._pages[p0] = self._read(p0, p1)
            self.pages_read += 1
        return p0, x

    # -- search ----------------------------------------------------------------------------------
    def _search_one(self, v: float, side: str) -> int:
        def before(x: np.ndarray | float) -> np.ndarray | bool:  # elements that come before the answer
            return (x <= v) if side == "right" else (x < v)

        a, b = self.lo, self.hi  # the answer lies in [a, b]
        ta, tb = self.t_range if self.t_range is not None else (None, None)
        step = 0
        while a < b:
            if step % 2 == 0 and ta is not None and tb is not None and tb > ta:
                g = a + int((min(max((v - ta) / (tb - ta), 0.0), 1.0)) * (b - a))
            else:
                g = (a + b) // 2
            p0, x = self._page_at(min(max(g, a), b - 1))
            p1 = p0 + x.size
            if not before(x[0]):
                b, tb = max(min(b, p0), a), float(x[0])
            elif before(x[-1]):
                a, ta = min(max(a, p1), b), float(x[-1])
            else:
                return p0 + int(np.searchsorted(x, v, side=side))
            step += 1
        return a

    def searchsorted(self, values: np.ndarray | list[float], side: str = "left") -> np.ndarray:
        """``np.searchsorted(ds[lo:hi], values, side) + lo``, reading only the pages it needs."""
        return np.asarray([self._search_one(float(v), side) for v in np.atleast_1d(values)], dtype=np.int64)

    def slice(self, i0: int, i1: int) -> np.ndarray:
        """``ds[i0:i1]`` as float64, from the pages already read where they cover it."""
        i0, i1 = max(int(i0), self.lo), min(int(i1), self.hi)
        if i1 <= i0:
            return np.zeros(0)
        parts = []
        i = i0
        while i < i1:
            p0, p1 = self._bounds(i)
            x = self._pages.get(p0)
            if x is None:
                break
            parts.append(x[i - p0:min(p1, i1) - p0])
            i = min(p1, i1)
        if i < i1:  # the rest in one read (the window's spikes beyond the pages the search touched)
            parts.append(self._read(i, i1))
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()


def read_spike_windows(ds: h5py.Dataset, starts: np.ndarray, ends: np.ndarray, ids: list[str], start: float,
                       stop: float, *, extent: tuple[float, float], page: int | None = None,
                       wide_fraction: float = WIDE_FRACTION,
                       batch_elements: int = BATCH_ELEMENTS, plan=None) -> dict[str, np.ndarray]:
    """Spike times in ``[start, stop)`` of every unit ``ids[k]`` stored at ``ds[starts[k]:ends[k]]``.

    A window shorter than ``wide_fraction`` of ``extent`` (the stream's first/last time) searches each
    train by pages (:class:`PagedColumn`); a wider one, and trains of at most two pages, are read whole,
    consecutive trains together in batches of at most ``batch_elements`` (one read per batch). Trains
    longer than a batch are always searched. Returns ``{unit id: float64 array}`` in the order of ``ids``.
    ``plan(ds, i0, i1)``, if given, is told each batch's rows before they are read (remote files fetch
    their chunks at once).
    """
    page = page or page_size(ds)
    wide = (stop - start) >= wide_fraction * max(extent[1] - extent[0], 1e-9)
    out: dict[str, np.ndarray] = {uid: np.zeros(0) for uid in ids}
    batch: list[tuple[str, int, int]] = []

    def flush() -> None:
        if not batch:
            return
        a0, b1 = batch[0][1], batch[-1][2]
        if plan is not None:
            plan(ds, a0, b1)
        t = np.asarray(ds[a0:b1], dtype=np.float64)
        for uid, a, b in batch:
            x = _check_sorted(t[a - a0:b - a0], a, f"spike_times of unit {uid}")
            i0, i1 = np.searchsorted(x, [start, stop], side="left")
            out[uid] = x[i0:i1].copy()
        batch.clear()

    for uid, a, b in zip(ids, np.asarray(starts, np.int64), np.asarray(ends, np.int64)):
        a, b = int(a), int(b)
        if b <= a:
            continue
        if (wide or b - a <= 2 * page) and b - a <= batch_elements:
            if batch and (a != batch[-1][2] or b - batch[0][1] > batch_elements):
                flush()
            batch.append((uid, a, b))
            continue
        col = PagedColumn(ds, a, b, page=page, t_range=extent, name=f"spike_times of unit {uid}")
        i0, i1 = col.searchsorted([start, stop])
        out[uid] = col.slice(i0, i1)
    flush()
    return out
