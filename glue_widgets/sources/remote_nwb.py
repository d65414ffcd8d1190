"""Any NWB (HDF5) file at an ``http(s)://`` URL, streamed by range requests.

The bytes come through :class:`~glue_widgets.sources.rangefile.RangeFile` (explicit timeouts,
bounded retries, verified and resumable ranges, a checksummed disk cache) and are parsed by the local
NWB reader (:func:`glue_widgets.sources.nwb.open_nwb`) as a file object: opening reads the HDF5
metadata only, and ``read`` fetches the chunks of the window asked for.

Round trips: opening reads the head and the tail of the file in one round trip (two concurrent
ranges; for a URL they also tell its size), where h5py/pynwb files keep most of their metadata, and
the few metadata blocks outside them with a 64-KiB read-ahead. A window read plans its chunks
(``NWBSession._read_series``): the chunk index is walked with all children of a B-tree node fetched at
once, then the chunks' byte ranges are coalesced and fetched concurrently. ``s.stats`` counts network
``bytes``, ``requests``, ``round_trips``, ``retries`` and bytes served from the cache
(``cache_bytes``); ``s.stats.last_read`` holds the same counts for the latest ``read``.

Examples
--------
>>> import glue_widgets as gw
>>> s = gw.open("https://example.org/data/session.nwb", timeout=(5, 30))   # doctest: +SKIP
>>> s.stats.last_read                                                       # doctest: +SKIP
{'bytes': 2232000, 'requests': 3, 'retries': 0, 'cache_bytes': 0, 'round_trips': 3}
"""

from __future__ import annotations

from typing import Any

from ..errors import CorruptFileError, InvalidInputError, UnsupportedError
from .cache import DiskCache, cache_key
from .http import HttpClient, NetworkError
from .rangefile import DEFAULT_BLOCK_SIZE, RangeFile
from .remote_options import RemoteOptions, document_options

__all__ = ["open_url", "open_range_nwb"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# what opening reads in its first round trip (benchmarks/bench_streaming_latency.py): h5py/pynwb files
# keep the superblock and root objects at the head, and most other metadata just before the cached
# namespace specifications at the tail
OPEN_HEAD = 64 * 1024
OPEN_TAIL = 384 * 1024
OPEN_READAHEAD = 64 * 1024


def open_range_nwb(url: str, *, uri: str, client: HttpClient, cache: DiskCache | None, size: int | None = None,
                   cache_id: str | None = None, metadata: dict[str, Any] | None = None,
                   block_size: int = DEFAULT_BLOCK_SIZE, memory_bytes: int = 64 << 20, etag: str = "",
                   last_modified: str = "", ends: tuple[bytes, bytes] | None = None, **kw: Any):
    """Open the NWB file at ``url`` through a RangeFile and the local NWB reader (shared by DANDI and URLs).

    ``ends``: the head and tail bytes already read (by :meth:`HttpClient.probe_ends`).
    """
    rf = RangeFile(url, client=client, cache=cache, size=size, cache_id=cache_id, block_size=block_size,
                   memory_bytes=memory_bytes, name=uri, etag=etag, last_modified=last_modified)
    try:
        return _open(rf, uri, client, url, metadata, ends, kw)
    except BaseException:
        rf.close()
        raise


def _open(rf: RangeFile, uri: str, client: HttpClient, url: str, metadata: dict[str, Any] | None,
          ends: tuple[bytes, bytes] | None, kw: dict[str, Any]):
    if ends is not None:
        head_b, tail_b = ends
        with rf._lock:
            rf._store(0, head_b)
            rf._stage(0, head_b)
            if tail_b:
                rf._store(rf.size - len(tail_b), tail_b)
                rf._stage(rf.size - len(tail_b), tail_b)
            rf._write_behind()
    else:
        try:
            rf.prefetch_ends(OPEN_HEAD, OPEN_TAIL)
        except NetworkError:
            if rf.cache is None:
                raise  # offline with a cache: the blocks h5py asks for may all be cached
    head = rf.read_at(0, 8)
    if head != _HDF5_SIGNATURE:
        # the superblock may sit at 512, 1024, ... (user block); check the common offsets
        if not any(rf.read_at(o, 8) == _HDF5_SIGNATURE for o in (512, 1024, 2048) if o < rf.size):
            raise CorruptFileError(f"{uri!r} is not an HDF5 file (it starts with {head!r}); glue_widgets "
                                   "streams HDF5 NWB files only (not Zarr or NWB 1).")
    from .nwb import open_nwb

    rf.readahead = OPEN_READAHEAD
    try:
        s = _network_aware(rf, open_nwb)(rf, uri=uri, keep_alive=rf, **kw)
    finally:
        rf.readahead = 0
        rf.clear_staged()
    s._read_window = _counted(client, _network_aware(rf, s._read_window))
    if hasattr(s, "spike_times"):
        s.spike_times = _network_aware(rf, s.spike_times)
    s.stats = client.meter  # live counter: opening cost is already in it
    client.meter.last_read = {}
    s.metadata.update({"url": url.split("?", 1)[0], "size_bytes": rf.size, **(metadata or {})})
    return s


def _counted(client: HttpClient, fn):
    """Record the requests, bytes and round trips of each window read in ``meter.last_read``."""
    import functools

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any):
        before = client.meter.snapshot()
        try:
            return fn(*args, **kwargs)
        finally:
            client.meter.last_read = client.meter.since(before)

    return wrapped


def _network_aware(rf: RangeFile, fn):
    """Re-raise a failure caused by the network as NetworkError (h5py hides the original exception)."""
    import functools

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any):
        rf.last_error = None
        try:
            return fn(*args, **kwargs)
        except NetworkError:
            raise
        except Exception as exc:
            if rf.last_error is not None:
                raise NetworkError(str(rf.last_error)) from exc
            raise

    return wrapped


@document_options
def open_url(url: str, **kw: Any):
    """Open an NWB file at an ``http(s)://`` URL lazily.

    Parameters
    ----------
    url : str
    {remote_options}
    **kw
        Passed to the NWB reader (``bin_width``).
    """
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise InvalidInputError(f"url={url!r} must start with http:// or https://.")
    path = url.split("?", 1)[0].lower()
    if path.endswith(".zarr") or path.endswith(".zarr/"):
        raise UnsupportedError(f"{url!r} looks like a Zarr store; glue_widgets streams HDF5 NWB files only.")
    opts = RemoteOptions.pop_from(kw)
    client, cache = opts.client(), opts.cache()
    ckey = cache_key("url-resolve", url)
    ends = None
    try:
        # one round trip: size, validators, and the head and tail of the file (most of its metadata)
        info, head_b, tail_b = client.probe_ends(url, OPEN_HEAD, OPEN_TAIL)
        ends = (head_b, tail_b)
        res = {"url": info.url, "size": info.size, "etag": info.etag, "last_modified": info.last_modified}
        if "?" not in url:
            cache.put_json(ckey, res)
    except NetworkError:
        res = cache.get_json(ckey)  # offline: the last known size/validators of this URL
        if res is None:
            raise
    version = f"{res.get('etag', '')}|{res.get('last_modified', '')}"
    return open_range_nwb(res["url"], uri=url, client=client, cache=cache, size=res["size"],
                          cache_id=f"url|{url.split('?', 1)[0]}|{res['size']}|{version}",
                          etag=res.get("etag", ""), last_modified=res.get("last_modified", ""), ends=ends,
                          **opts.range_kw(DEFAULT_BLOCK_SIZE), **kw)
