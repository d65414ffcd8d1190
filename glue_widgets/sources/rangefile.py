"""A read-only, seekable file object over HTTP range requests, with a block cache tuned for HDF5.

Why not remfile: remfile (0.1.15) sends its data requests without a timeout (a stalled server hangs
the reader), does not check ``Content-Range`` (a server answering the wrong bytes with the right
length corrupts data silently), keeps its own retry policy and has no byte/request meter. HDF5
reading needs a small, predictable file object, so :class:`RangeFile` is written on top of the one
HTTP layer (:mod:`.http`: timeouts, deadlines, bounded retries, resumable and verified ranges, meter)
and the on-disk cache (:mod:`.cache`: checksummed, atomic, LRU).

Block layout: the file is cut into fixed ``block_size`` blocks (default 8 KiB). A read fetches
only the blocks it lacks, coalescing adjacent missing blocks into one request. A read of at least
one block (an HDF5 chunk, EDF records) fetches exactly its bytes, so bytes moved equal bytes needed;
HDF5's many small metadata reads fetch whole blocks (``readahead`` bytes while a file is being opened).
Whole blocks live in a bounded in-memory LRU and in the disk cache.

Few round trips: a reader that knows what it will read asks :meth:`RangeFile.prefetch` first (the NWB
reader plans a window's chunks): the ranges are coalesced (gaps below ``GAP_BYTES`` merged while the
extra bytes stay under ``GAP_FRACTION`` of the payload) and fetched concurrently (at most
``MAX_WORKERS`` at once), then *staged* so the reader's own reads are served from memory.
:meth:`RangeFile.prefetch_ends` reads the head and the tail of a file (where HDF5 files written by
h5py/pynwb keep most of their metadata) in one round trip at open. When HDF5 reads an internal node
of a version-1 B-tree (``TREE``: chunk indexes and group indexes), all its children are fetched
concurrently, so walking a chunk index costs one round trip per level instead of one per node.

This file is long because :class:`RangeFile` is one mechanism: the read plan, the staged extents,
the block cache and the background writer share one file state that h5py reads through.
"""

from __future__ import annotations

import bisect
import io
import struct
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..errors import InvalidInputError, NetworkError
from .cache import DiskCache, cache_key
from .http import MAX_WORKERS, HttpClient, RemoteInfo

__all__ = ["RangeFile", "LocalRangeSource", "DEFAULT_BLOCK_SIZE", "coalesce", "GAP_BYTES", "GAP_FRACTION"]

DEFAULT_BLOCK_SIZE = 8 * 1024
_MAX_REQUEST = 32 << 20  # split very large fetches so a retry never repeats more than this
# Coalescing (benchmarks/bench_streaming_latency.py): a gap this small costs less to read than a
# request, and merging while the wasted bytes stay under 5 % of the payload keeps the byte ratio <= 1.1
GAP_BYTES = 64 * 1024
GAP_FRACTION = 0.05
MAX_STAGED = 512 << 20  # most bytes a planned read stages in memory (larger plans are not prefetched)
_WRITER: ThreadPoolExecutor | None = None  # one background thread writes fetched blocks to the disk cache
_WRITER_LOCK = threading.Lock()
_PENDING: dict[str, bytes] = {}  # blocks handed to the writer and not yet on disk (read-after-write)


def _writer() -> ThreadPoolExecutor:
    global _WRITER
    with _WRITER_LOCK:
        if _WRITER is None:
            _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glue-cache-writer")
        return _WRITER


def coalesce(ranges: list[tuple[int, int]], *, gap: int = GAP_BYTES, fraction: float = GAP_FRACTION,
             max_runs: int = MAX_WORKERS, max_request: int = _MAX_REQUEST) -> list[tuple[int, int]]:
    """Merge ``(offset, length)`` ranges into few requests.

    Overlapping and touching ranges always merge. Gaps are then merged smallest first while they are
    at most ``gap`` bytes, or while there are more runs than ``max_runs`` (one round trip of the pool),
    as long as the bytes read in gaps stay under ``fraction`` of the payload. Runs longer than
    ``max_request`` are split.

    Examples
    --------
    >>> coalesce([(0, 100), (100, 50), (10_000_000, 10)], gap=1000)
    [(0, 150), (10000000, 10)]
    >>> coalesce([(0, 100_000), (100_500, 100_000)], gap=1000)
    [(0, 200500)]
    """
    rs = sorted((int(o), int(n)) for o, n in ranges if n > 0)
    if not rs:
        return []
    runs: list[list[int]] = []
    for o, n in rs:
        if runs and o <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], o + n)
        else:
            runs.append([o, o + n])
    payload = sum(b - a for a, b in runs)
    budget = fraction * payload
    while len(runs) > 1:
        gaps = sorted((runs[i + 1][0] - runs[i][1], i) for i in range(len(runs) - 1))
        g, i = gaps[0]
        if g > budget or (g > gap and len(runs) <= max_runs):
            break
        budget -= g
        runs[i][1] = runs[i + 1][1]
        del runs[i + 1]
    out: list[tuple[int, int]] = []
    for a, b in runs:
        while b - a > max_request:
            out.append((a, max_request))
            a += max_request
        out.append((a, b - a))
    return out


class RangeFile(io.RawIOBase):
    """Seekable read-only view of a remote file.

    Parameters
    ----------
    url : str
        Final (redirect-resolved) URL of the bytes.
    client : HttpClient
        Does the requests and counts them (``client.meter``).
    cache : DiskCache, optional
        Where blocks persist across sessions and processes; None for memory only.
    size : int, optional
        File size; probed with one request if omitted.
    cache_id : str, optional
        Identity of the content for cache keys (a content hash, asset id or ETag); default
        ``url`` + size + ETag. Use it when the URL carries an expiring signature.
    block_size : int
        Cache granularity in bytes.
    memory_bytes : int
        Bound of the in-memory block LRU.

    Examples
    --------
    >>> rf = RangeFile("https://example.org/x.nwb", client=HttpClient())  # doctest: +SKIP
    >>> import h5py; f = h5py.File(rf, "r")                               # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        client: HttpClient | None = None,
        cache: DiskCache | None = None,
        size: int | None = None,
        etag: str = "",
        last_modified: str = "",
        cache_id: str | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        memory_bytes: int = 64 << 20,
        name: str | None = None,
    ) -> None:
        super().__init__()
        if block_size <= 0:
            raise InvalidInputError(f"block_size={block_size!r} must be a positive number of bytes.")
        self.client = client if client is not None else HttpClient()
        self.cache = cache
        if size is None:
            info: RemoteInfo = self.client.probe(url)
            url, size, etag, last_modified = info.url, info.size, info.etag, info.last_modified
        self.url = url
        self.size = int(size)
        self.block_size = int(block_size)
        self.name = name or url
        #: the version being read: every answer must carry these (empty ones are learned on first answer)
        self.validator = {"etag": etag or "", "last_modified": last_modified or ""}
        # the version's identity: the ETag when there is one, else Last-Modified (with the size)
        self._id = cache_id or f"{url.split('?', 1)[0]}|{self.size}|{etag or ('lm:' + last_modified if last_modified else '')}"
        #: small reads fetch at least this many bytes (raised while a file is opened)
        self.readahead = 0
        self._staged: list[tuple[int, bytes]] = []  # (offset, bytes) fetched for the read in progress
        self._staged_starts: list[int] = []
        self._seen_trees: set[int] = set()
        self._to_write: list[tuple[str, bytes]] = []  # whole blocks waiting for the background writer
        self._writes: list[Future] = []
        self._pos = 0
        self._mem: OrderedDict[int, bytes] = OrderedDict()
        self._mem_max = max(0, int(memory_bytes) // self.block_size)  # 0: no memory cache
        self._lock = threading.RLock()
        # the last network failure: h5py turns exceptions raised in read() into its own errors, so
        # callers above h5py look here to report a NetworkError instead of a "corrupt file"
        self.last_error: NetworkError | None = None
        self._partial: dict[int, tuple[int, bytes]] = {}  # edge pieces used by the read in progress
        self._pieces: OrderedDict[int, list[tuple[int, bytes]]] = OrderedDict()  # kept edge pieces

    def __repr__(self) -> str:
        return f"<RangeFile {self.url.split('?', 1)[0]!r} size={self.size} block={self.block_size}>"

    # -- io.RawIOBase ---------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise InvalidInputError(f"whence={whence!r} must be 0, 1 or 2.")
        if pos < 0:
            raise InvalidInputError(f"cannot seek to negative position {pos}.")
        self._pos = int(pos)
        return self._pos

    def readinto(self, b: Any) -> int:
        mv = memoryview(b).cast("B")
        data = self.read_at(self._pos, len(mv))
        n = len(data)
        mv[:n] = data
        self._pos += n
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._pos
        data = self.read_at(self._pos, size)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    # -- ranged access --------------------------------------------------------------------
    def _key(self, idx: int) -> str:
        return cache_key("block", self._id, self.block_size, idx)

    def _block_len(self, idx: int) -> int:
        return min(self.block_size, self.size - idx * self.block_size)

    def _remember(self, idx: int, data: bytes) -> None:
        self._mem[idx] = data
        self._mem.move_to_end(idx)
        while len(self._mem) > self._mem_max:
            self._mem.popitem(last=False)

    def _lookup(self, idx: int) -> bytes | None:
        data = self._mem.get(idx)
        if data is not None:
            self._mem.move_to_end(idx)
            return data
        if self.cache is not None:
            key = self._key(idx)
            with _WRITER_LOCK:
                data = _PENDING.get(key)
            if data is None:
                data = self.cache.get(key)
            if data is not None and len(data) == self._block_len(idx):
                self._remember(idx, data)
                return data
        return None

    def _piece_key(self, idx: int) -> str:
        return cache_key("piece", self._id, self.block_size, idx)

    def _store_piece(self, idx: int, rel: int, data: bytes) -> None:
        """Keep a trimmed edge of a block, merged with its other pieces (adjacent HDF5 chunks share
        a block: one chunk's tail and the next chunk's head together make the whole block)."""
        pieces = self._pieces_of(idx) + [(rel, data)]
        pieces.sort(key=lambda t: t[0])
        merged: list[tuple[int, bytes]] = []
        for r, d in pieces:
            if merged and r <= merged[-1][0] + len(merged[-1][1]):
                r0, d0 = merged[-1]
                tail = d[r0 + len(d0) - r:] if r + len(d) > r0 + len(d0) else b""
                merged[-1] = (r0, d0 + tail)
            else:
                merged.append((r, d))
        if len(merged) == 1 and merged[0][0] == 0 and len(merged[0][1]) == self._block_len(idx):
            blk = merged[0][1]  # the pieces now make the whole block
            self._pieces.pop(idx, None)
            self._remember(idx, blk)
            if self.cache is not None:
                self.cache.put(self._key(idx), blk)
                self.cache.delete(self._piece_key(idx))
            return
        if self._mem_max > 0:  # memory_bytes=0 keeps nothing in memory, pieces included
            self._pieces[idx] = merged
            self._pieces.move_to_end(idx)
            while len(self._pieces) > 4096:
                self._pieces.popitem(last=False)
        if self.cache is not None:
            self.cache.put(self._piece_key(idx), b"".join(
                r.to_bytes(8, "little") + len(d).to_bytes(8, "little") + d for r, d in merged))

    def _pieces_of(self, idx: int) -> list[tuple[int, bytes]]:
        got = self._pieces.get(idx)
        if got is None and self.cache is not None:
            raw = self.cache.get(self._piece_key(idx))
            got = []
            pos = 0
            while raw is not None and pos + 16 <= len(raw):
                r = int.from_bytes(raw[pos:pos + 8], "little")
                n = int.from_bytes(raw[pos + 8:pos + 16], "little")
                got.append((r, raw[pos + 16:pos + 16 + n]))
                pos += 16 + n
            if got and self._mem_max > 0:
                self._pieces[idx] = got
        return list(got or [])

    def _lookup_piece(self, idx: int, n0: int, n1: int) -> tuple[int, bytes] | None:
        """A stored piece of block ``idx`` covering its bytes ``[n0, n1)``, if any."""
        for r, d in self._pieces_of(idx):
            if r <= n0 and r + len(d) >= n1:
                return r, d
        return None

    def _store(self, start: int, data: bytes, *, collect: dict[int, bytes] | None = None) -> None:
        """Keep the bytes ``[start, start + len(data))``: whole blocks cached, edge pieces kept as pieces."""
        stop = start + len(data)
        if not data:
            return
        for idx in range(start // self.block_size, (stop - 1) // self.block_size + 1):
            b0 = idx * self.block_size
            b1 = b0 + self._block_len(idx)
            p0, p1 = max(b0, start), min(b1, stop)
            piece = data[p0 - start:p1 - start]
            if p0 == b0 and p1 == b1:
                if collect is not None:
                    collect[idx] = piece
                self._remember(idx, piece)
                if self.cache is not None:
                    self._to_write.append((self._key(idx), piece))
            else:
                if collect is not None:
                    collect[-(idx + 1)] = piece
                self._partial[idx] = (p0 - b0, piece)
                self._store_piece(idx, p0 - b0, piece)

    def _write_behind(self) -> None:
        """Hand the blocks fetched by this read to the background writer (the read does not wait)."""
        if not self._to_write or self.cache is None:
            return
        items, self._to_write = self._to_write, []
        cache = self.cache
        with _WRITER_LOCK:
            _PENDING.update(items)

        def write() -> None:
            for key, data in items:
                cache.put(key, data)
                with _WRITER_LOCK:
                    if _PENDING.get(key) is data:
                        del _PENDING[key]

        self._writes = [f for f in self._writes if not f.done()] + [_writer().submit(write)]

    def flush(self) -> None:
        """Wait until every fetched block is in the disk cache."""
        self._write_behind()
        for f in self._writes:
            f.result()
        self._writes = []

    def close(self) -> None:
        try:
            self.flush()
        finally:
            super().close()

    def _get(self, start: int, length: int) -> bytes:
        try:
            data = self.client.read_range(self.url, start, length, expect_size=self.size, validator=self.validator)
        except NetworkError as exc:
            self.last_error = exc
            raise
        if len(data) != length:  # read_range guarantees it; never hand out short data
            raise NetworkError(f"short read of {self.name!r}: {len(data)} of {length} bytes")
        return data

    def _fetch(self, first: int, last: int, lo: int | None = None, hi: int | None = None) -> dict[int, bytes]:
        """Fetch blocks ``first..last`` (inclusive) in as few requests as the size cap allows.

        ``lo``/``hi`` (absolute byte bounds) trim the edge blocks to what a large read needs: whole
        blocks are cached, trimmed edge pieces are returned for this read only (keyed by
        ``-(idx + 1)`` with their start offset inside the block, see :meth:`read_at`).
        """
        got: dict[int, bytes] = {}
        per = max(1, _MAX_REQUEST // self.block_size)
        for a in range(first, last + 1, per):
            b = min(last, a + per - 1)
            start = a * self.block_size
            stop = min(self.size, (b + 1) * self.block_size)
            if lo is not None:
                start = max(start, lo)
            if hi is not None:
                stop = min(stop, hi)
            self._store(start, self._get(start, stop - start), collect=got)
        self._write_behind()
        return got

    # -- planned reads ----------------------------------------------------------------------
    def _covered(self, offset: int, length: int) -> bool:
        """Whether ``[offset, offset + length)`` can be served without the network."""
        if self._staged_hit(offset, length) is not None:
            return True
        for idx in range(offset // self.block_size, (offset + length - 1) // self.block_size + 1):
            if self._lookup(idx) is not None:
                continue
            b0 = idx * self.block_size
            n0 = max(offset, b0) - b0
            n1 = min(offset + length, b0 + self._block_len(idx)) - b0
            if self._lookup_piece(idx, n0, n1) is None:
                return False
        return True

    def _staged_hit(self, offset: int, length: int) -> bytes | None:
        """The bytes ``[offset, offset + length)`` from staged extents (one, or several back to back)."""
        i = bisect.bisect_right(self._staged_starts, offset) - 1
        if i < 0:
            return None
        s0, data = self._staged[i]
        if offset + length <= s0 + len(data):
            return data[offset - s0:offset - s0 + length]
        parts, pos, stop = [], offset, offset + length
        while i < len(self._staged):
            s0, data = self._staged[i]
            if s0 > pos or s0 + len(data) <= pos:
                return None
            parts.append(data[pos - s0:min(stop, s0 + len(data)) - s0])
            pos = min(stop, s0 + len(data))
            if pos >= stop:
                return b"".join(parts)
            i += 1
        return None

    def _stage(self, start: int, data: bytes) -> None:
        """Stage an extent; extents never nest (a lookup looks at the one starting last before it)."""
        end = start + len(data)
        if any(s0 <= start and end <= s0 + len(d) for s0, d in self._staged):
            return
        kept = [(s0, d) for s0, d in self._staged if not (start <= s0 and s0 + len(d) <= end)]
        kept.append((start, data))
        kept.sort(key=lambda t: t[0])
        self._staged = kept
        self._staged_starts = [s0 for s0, _ in kept]

    def clear_staged(self) -> None:
        """Forget the bytes staged by :meth:`prefetch` (they stay in the block caches)."""
        with self._lock:
            self._staged, self._staged_starts = [], []

    def prefetch(self, ranges: list[tuple[int, int]], *, whole_blocks: bool = False, **coalesce_kw: Any) -> int:
        """Fetch ``(offset, length)`` ranges a reader is about to ask for; returns the bytes moved.

        Ranges already cached are skipped; the rest are coalesced (:func:`coalesce`) and read
        concurrently (one round trip per ``MAX_WORKERS`` requests), stored in the block caches and
        staged in memory until :meth:`clear_staged`, so the reader's own ``read_at`` calls do not touch
        the network. ``whole_blocks`` widens each range to its blocks (for metadata).
        """
        want = []
        for o, n in ranges:
            o, n = max(0, int(o)), int(n)
            n = min(n, self.size - o)
            if n <= 0:
                continue
            if whole_blocks:
                a = o // self.block_size * self.block_size
                n, o = min(self.size, -(-(o + n) // self.block_size) * self.block_size) - a, a
            if not self._covered(o, n):
                want.append((o, n))
        if not want or sum(n for _, n in want) > MAX_STAGED:
            return 0
        plan = coalesce(want, **coalesce_kw)
        try:
            datas = self.client.read_ranges(self.url, plan, expect_size=self.size, validator=self.validator)
        except NetworkError as exc:
            self.last_error = exc
            raise
        with self._lock:
            self._partial = {}
            for (o, n), data in zip(plan, datas):
                if len(data) != n:
                    raise NetworkError(f"short read of {self.name!r}: {len(data)} of {n} bytes")
                self._store(o, data)
                self._stage(o, data)
            self._partial = {}
            self._write_behind()
        return sum(n for _, n in plan)

    def prefetch_ends(self, head: int, tail: int) -> int:
        """Read the first ``head`` and last ``tail`` bytes in one round trip (HDF5 metadata lives there)."""
        if head + tail >= self.size:
            return self.prefetch([(0, self.size)])
        return self.prefetch([(0, head), (self.size - tail, tail)], max_runs=2)

    def _tree_children(self, offset: int, data: bytes) -> None:
        """``data`` read at ``offset`` is an HDF5 v1 B-tree node: fetch all its children at once."""
        if offset in self._seen_trees or len(data) < 24:
            return
        self._seen_trees.add(offset)
        ntype, level, used = data[4], data[5], struct.unpack_from("<H", data, 6)[0]
        if used == 0 or ntype not in (0, 1) or (ntype == 1 and level == 0):
            return  # leaves of a chunk index point at chunks: those are planned by the reader
        candidates = [8] if ntype == 0 else [8 + 8 * (r + 1) for r in range(1, 33)]
        for ks in candidates:
            need = 24 + ks + used * (ks + 8)
            if need > len(data) or (ntype == 1 and (len(data) - 24 - ks) % (2 * (ks + 8))):
                continue
            kids, ok = [], True
            for i in range(used):
                k = 24 + i * (ks + 8)
                if ntype == 1 and struct.unpack_from("<Q", data, k + ks - 8)[0] != 0:
                    ok = False  # the last key offset (the element-size dimension) is always 0
                    break
                addr = struct.unpack_from("<Q", data, k + ks)[0]
                if not 0 < addr < self.size:
                    ok = False
                    break
                kids.append(addr)
            if ok:
                n = len(data) if (ntype == 1 or level > 0) else 1024  # group leaves point at SNOD nodes
                self.prefetch([(a, n) for a in kids[:256]], whole_blocks=True)
                return

    def read_at(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer only at end of file).

        Small reads (HDF5 metadata) fetch whole blocks, a cheap read-ahead (``readahead`` bytes while
        opening); reads of at least one block (chunk data, EDF records) fetch exactly their bytes,
        caching the whole blocks inside. Staged bytes of a planned read are served first.
        """
        offset, length = int(offset), int(length)
        if offset < 0 or length < 0:
            raise InvalidInputError(f"read_at({offset}, {length}): offset and length must be >= 0.")
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b""
        with self._lock:
            hit = self._staged_hit(offset, length)
        if hit is not None:
            data = hit
        else:
            data = self._read_at(offset, length)
        if data[:4] == b"TREE" and length < self.block_size:
            try:
                self._tree_children(offset, data)
            except NetworkError:
                pass  # a failed read-ahead is not an error: the reader fetches what it needs itself
        return data

    def _read_at(self, offset: int, length: int) -> bytes:
        first = offset // self.block_size
        last = (offset + length - 1) // self.block_size
        exact = length >= self.block_size
        with self._lock:
            self._partial = {}
            blocks: dict[int, bytes] = {}
            missing: list[int] = []
            cached_bytes = 0
            for idx in range(first, last + 1):
                d = self._lookup(idx)
                if d is not None:
                    blocks[idx] = d
                    cached_bytes += len(d)
                    continue
                b0 = idx * self.block_size
                n0, n1 = max(offset, b0) - b0, min(offset + length, b0 + self._block_len(idx)) - b0
                piece = self._lookup_piece(idx, n0, n1)
                if piece is not None:
                    self._partial[idx] = piece
                    cached_bytes += n1 - n0
                else:
                    missing.append(idx)
            if cached_bytes:
                self.client.meter.add("cache_bytes", cached_bytes)
            if missing and not exact and self.readahead > self.block_size:
                # opening: one miss fetches the metadata around it too (up to the next cached block)
                n_ahead = self.readahead // self.block_size
                top = min((self.size - 1) // self.block_size, missing[-1] + n_ahead - 1)
                extra = missing[-1] + 1
                while extra <= top and self._lookup(extra) is None:
                    extra += 1
                if extra - 1 > missing[-1]:
                    got = self._fetch(missing[0], extra - 1)
                    blocks.update({k: v for k, v in got.items() if k >= 0})
                    missing = [i for i in missing if i not in blocks]
            # group missing blocks into contiguous runs: one request per run
            run_start = None
            prev = None
            for idx in missing + [None]:
                if idx is not None and prev is not None and idx == prev + 1:
                    prev = idx
                    continue
                if run_start is not None:
                    got = (self._fetch(run_start, prev, offset, offset + length) if exact
                           else self._fetch(run_start, prev))
                    blocks.update({k: v for k, v in got.items() if k >= 0})
                run_start = prev = idx
            out = bytearray(length)
            for idx in range(first, last + 1):
                b0 = idx * self.block_size
                if idx in blocks:
                    blk, s0 = blocks[idx], b0
                else:
                    rel, blk = self._partial[idx]
                    s0 = b0 + rel
                lo, hi = max(offset, s0), min(offset + length, s0 + len(blk))
                out[lo - offset:hi - offset] = blk[lo - s0:hi - s0]
            self._partial = {}
        return bytes(out)


class LocalRangeSource:
    """The ``read_at(offset, length)`` interface over a local file (for the EEG format readers)."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self._fh = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        self._fh.seek(0, io.SEEK_END)
        self.size = self._fh.tell()
        self._lock = threading.Lock()

    def read_at(self, offset: int, length: int) -> bytes:
        with self._lock:
            self._fh.seek(offset)
            return self._fh.read(length)

    def close(self) -> None:
        self._fh.close()

    def __repr__(self) -> str:
        return f"<LocalRangeSource {self.path!r}>"
