"""OpenNeuro BIDS EEG/iEEG datasets, streamed from the public S3 bucket over HTTPS.

``openneuro://<ds>[@<snapshot>]/<path>`` opens one run: the dataset's files are listed with
anonymous S3 ``ListObjectsV2`` (``?list-type=2&prefix=<ds>/...``, XML, paginated with continuation
tokens), the BIDS sidecars are fetched (a few KB, cached), and EDF/BDF/BrainVision samples are read
by HTTP range requests of just the records a window needs. EEGLAB ``.set``/``.fdt`` cannot be
ranged: that one run is downloaded into the cache and read with MNE.

**Snapshots.** The S3 bucket holds only the *latest published snapshot* of each dataset. A
``@<snapshot>`` in the URI is recorded in ``metadata["snapshot_requested"]`` and the URI, but the
bytes are whatever S3 serves now (``metadata["snapshot_note"]`` says so); pin exact versions with
DataLad/openneuro-py outside glue_widgets.

Base URL: ``$GLUE_OPENNEURO_URL`` (default ``https://s3.amazonaws.com/openneuro.org``).

Examples
--------
>>> import glue_widgets as gw
>>> gw.openneuro.list_files("ds004504", "sub-001/")                              # doctest: +SKIP
>>> s = gw.open("openneuro://ds004504/sub-001/eeg/sub-001_task-eyesclosed_eeg.set")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import GlueError, InvalidInputError, NetworkError, NotFoundError
from ..model.labels import rest_match
from .bids import DATA_EXTENSIONS, BidsSession, parse_bids_name
from .cache import DiskCache, cache_key
from .http import HttpClient, Meter
from .rangefile import RangeFile
from .remote_options import Archive, RemoteOptions, document_options

__all__ = ["open_openneuro", "list_files", "find_rest_runs", "parse_uri", "base_url"]

DEFAULT_URL = "https://s3.amazonaws.com/openneuro.org"
_BLOCK_SIZE = 16 * 1024  # range-read granularity of EDF/BDF/BrainVision samples
_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_SNAPSHOT_NOTE = ("OpenNeuro's S3 bucket holds only the latest published snapshot; the requested snapshot "
                  "is recorded but the bytes read are the latest ones.")


ARCHIVE = Archive("OpenNeuro", "openneuro", "GLUE_OPENNEURO_URL", DEFAULT_URL, r"(ds\d{6})",
                  form="openneuro://<ds>[@<snapshot>]/<path>",
                  example="openneuro://ds004504/sub-001/eeg/sub-001_task-eyesclosed_eeg.set",
                  id_hint="like 'ds004504' (ds + 6 digits)")
base_url = ARCHIVE.base_url
parse_uri = ARCHIVE.parse_uri
_check_ds = ARCHIVE.check_id


class _Bucket:
    """Listing + reading of one dataset in the bucket, with the cache used for offline fallback."""

    def __init__(self, ds: str, *, client: HttpClient, cache: DiskCache, base: str | None = None) -> None:
        self.ds = ds
        self.client = client
        self.cache = cache
        self.base = base or base_url()
        self._listings: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._files_dir = Path(cache.directory).parent / "files" / "openneuro" / ds
        self._lock = threading.Lock()

    def list(self, prefix: str = "", delimiter: str = "") -> tuple[list[dict[str, Any]], list[str]]:
        """(objects, common prefixes) under ``<ds>/<prefix>``; objects have key (relative), size, etag."""
        k = (prefix, delimiter)
        if k in self._listings:
            return self._listings[k], []  # prefixes are only needed once (browsing)
        full = f"{self.ds}/{prefix}"
        ckey = cache_key("s3list", self.base, full, delimiter)
        objects: list[dict[str, Any]] = []
        prefixes: list[str] = []
        token = None
        try:
            while True:
                params = {"list-type": "2", "prefix": full}
                if delimiter:
                    params["delimiter"] = delimiter
                if token:
                    params["continuation-token"] = token
                resp = self.client.get(self.base, params=params, what="S3 listing")
                try:
                    root = ET.fromstring(resp.content)
                except ET.ParseError:
                    raise NetworkError(f"S3 listing of {full!r} at {self.base} is not XML.") from None
                for c in root.iter(f"{_NS}Contents"):
                    key = c.findtext(f"{_NS}Key") or ""
                    objects.append({"key": key[len(self.ds) + 1:], "size": int(c.findtext(f"{_NS}Size") or 0),
                                    "etag": (c.findtext(f"{_NS}ETag") or "").strip('"'),
                                    "modified": c.findtext(f"{_NS}LastModified")})
                for p in root.iter(f"{_NS}CommonPrefixes"):
                    prefixes.append((p.findtext(f"{_NS}Prefix") or "")[len(self.ds) + 1:])
                if (root.findtext(f"{_NS}IsTruncated") or "false").lower() != "true":
                    break
                token = root.findtext(f"{_NS}NextContinuationToken")
                if not token:
                    break
        except NetworkError:
            cached = self.cache.get_json(ckey)
            if cached is None:
                raise
            objects, prefixes = cached["objects"], cached["prefixes"]  # offline: last known listing
        else:
            self.cache.put_json(ckey, {"objects": objects, "prefixes": prefixes})
        self._listings[k] = objects
        return objects, prefixes

    def url(self, rel: str) -> str:
        from urllib.parse import quote

        return f"{self.base}/{quote(self.ds + '/' + rel)}"


class S3Tree:
    """The :class:`~glue_widgets.sources.bids.Tree` interface over an OpenNeuro dataset in S3."""

    def __init__(self, bucket: _Bucket, objects: list[dict[str, Any]], *, block_size: int = _BLOCK_SIZE,
                 memory_bytes: int = 64 << 20, progress: Any = False) -> None:
        self.b = bucket
        self.progress = progress
        self.block_size = block_size
        self.memory_bytes = memory_bytes
        self._obj: dict[str, dict[str, Any]] = {o["key"]: o for o in objects}
        self._fetched: dict[str, bytes] = {}  # small files read by prefetch (kept even without a disk cache)

    def prefetch(self, rels: list[str], max_bytes: int = 4 << 20) -> None:
        """Read several small files (sidecars, headers) at once: one round trip instead of one each."""
        todo = []
        for rel in dict.fromkeys(rels):
            o = self._obj.get(rel)
            if o is None or o["size"] > max_bytes or rel in self._fetched:
                continue
            if self.b.cache.contains(cache_key("s3obj", self.b.base, self.b.ds, rel, o["etag"], o["size"])):
                continue
            todo.append(rel)
        datas = self.b.client.concurrently([lambda r=r: self._download(r) for r in todo])
        self._fetched.update(zip(todo, datas))

    @classmethod
    def for_run(cls, bucket: _Bucket, rel: str, *, block_size: int = _BLOCK_SIZE,
                memory_bytes: int = 64 << 20) -> "S3Tree":
        """List what sidecar lookup needs: the dataset root (one level) and the run's subject folder."""
        parts = rel.split("/")
        calls = [lambda: bucket.list("", "/")[0]]
        if len(parts) > 1:
            calls.append(lambda: bucket.list(parts[0] + "/")[0])
        listed = bucket.client.concurrently(calls)  # both listings in one round trip
        objs = [o for chunk in listed for o in chunk]
        return cls(bucket, objs, block_size=block_size, memory_bytes=memory_bytes)

    def listdir(self, reldir: str) -> list[str]:
        pre = f"{reldir}/" if reldir else ""
        return sorted(k[len(pre):] for k in self._obj if k.startswith(pre) and "/" not in k[len(pre):])

    def exists(self, rel: str) -> bool:
        return rel in self._obj

    def _need(self, rel: str) -> dict[str, Any]:
        o = self._obj.get(rel)
        if o is None:
            raise NotFoundError(f"{self.describe(rel)!r} is not in the dataset listing.")
        return o

    def read_bytes(self, rel: str) -> bytes:
        o = self._need(rel)
        key = cache_key("s3obj", self.b.base, self.b.ds, rel, o["etag"], o["size"])
        data = self._fetched.get(rel)
        if data is not None:
            return data
        data = self.b.cache.get(key)
        if data is not None:
            self.b.client.meter.add("cache_bytes", len(data))
            return data
        return self._download(rel)

    def _download(self, rel: str) -> bytes:
        o = self._need(rel)
        key = cache_key("s3obj", self.b.base, self.b.ds, rel, o["etag"], o["size"])
        data = self.b.client.get(self.b.url(rel), what="OpenNeuro file", expect_len=o["size"]).content
        if len(data) != o["size"]:
            raise NetworkError(f"{self.describe(rel)!r}: got {len(data)} bytes, the listing says {o['size']}.")
        self.b.cache.put(key, data)
        return data

    def range_source(self, rel: str) -> RangeFile:
        o = self._need(rel)
        return RangeFile(self.b.url(rel), client=self.b.client, cache=self.b.cache, size=o["size"],
                         cache_id=f"openneuro|{self.b.base}|{self.b.ds}|{rel}|{o['etag']}|{o['size']}",
                         block_size=self.block_size, memory_bytes=self.memory_bytes, name=self.describe(rel))

    def local_path(self, rel: str) -> str:
        """Download one file into the cache directory (once) and return its path."""
        o = self._need(rel)
        dest = self.b._files_dir / o["etag"] / rel
        if dest.is_file() and dest.stat().st_size == o["size"]:
            return str(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.b.client.download(self.b.url(rel), dest, size=o["size"], progress=self.progress)
        return str(dest)

    def describe(self, rel: str) -> str:
        return f"openneuro://{self.b.ds}/{rel}"


def _client(options: RemoteOptions | dict[str, Any]) -> tuple[HttpClient, DiskCache]:
    """A metered client and the cache; ``options`` may be the keywords (their option keys are popped)."""
    opts = options if isinstance(options, RemoteOptions) else RemoteOptions.pop_from(options)
    return opts.client(Meter()), opts.cache()


@document_options
def open_openneuro(uri: str, **kw: Any) -> BidsSession:
    """Open one run of an OpenNeuro dataset lazily (``openneuro://<ds>[@<snapshot>]/<path>``).

    Parameters
    ----------
    uri : str
        For example ``openneuro://ds004504/sub-001/eeg/sub-001_task-eyesclosed_eeg.set``.
    {remote_options}
    progress : bool or callable, optional
        Progress of whole-run downloads (EEGLAB): ``True`` for a tqdm bar, or ``f(done, total)``.

    Returns
    -------
    BidsSession
        ``s.stats`` counts network bytes, requests and round trips (``s.stats.last_read``: those of the
        latest window); ``s.metadata["snapshot_note"]`` explains snapshots. Opening lists the dataset
        root and the subject folder at once, then reads the sidecars together (one round trip each).
    """
    ds, snapshot, rel = parse_uri(uri)
    if not rel:
        raise InvalidInputError(f"{uri!r} names a dataset but no file; add the path of a run, e.g. "
                                f"openneuro://{ds}/sub-01/eeg/sub-01_task-rest_eeg.edf (see list_files).")
    if os.path.splitext(rel)[1].lower() not in DATA_EXTENSIONS:
        raise InvalidInputError(f"{uri!r}: {rel!r} is not an EEG/iEEG data file ({DATA_EXTENSIONS}).")
    progress = kw.pop("progress", False)
    opts = RemoteOptions.pop_from(kw)
    if kw:
        raise InvalidInputError(f"open_openneuro got unexpected keyword(s) {sorted(kw)}.")
    client, cache = _client(opts)
    bucket = _Bucket(ds, client=client, cache=cache)
    tree = S3Tree.for_run(bucket, rel, **opts.range_kw(_BLOCK_SIZE))
    tree.progress = progress
    if not tree._obj:
        raise NotFoundError(f"OpenNeuro dataset {ds!r} has no files at {bucket.base}; check the accession "
                            "number (e.g. ds004504).")
    if not tree.exists(rel):
        near = [k for k in tree._obj if k.endswith(os.path.splitext(rel)[1])][:5]
        raise NotFoundError(f"{rel!r} is not in OpenNeuro dataset {ds}; files with that extension include "
                            f"{near}. Use gw.openneuro.list_files({ds!r}) to browse.")
    is_bids = "dataset_description.json" in tree._obj
    s = BidsSession(tree, rel, uri=uri, is_bids=is_bids, remote=True, stats=client.meter,
                    extra_metadata={"dataset": ds, "snapshot_requested": snapshot,
                                    "snapshot_note": _SNAPSHOT_NOTE, "provider": "openneuro",
                                    "asset": rel})
    from .remote_nwb import _counted

    s._read_window = _counted(client, s._read_window)  # s.stats.last_read: the latest window's costs
    client.meter.last_read = {}
    return s


def list_files(ds: str, prefix: str = "", **kw: Any) -> pd.DataFrame:
    """Every file of dataset ``ds`` under ``prefix``: columns path, size, uri.

    Examples
    --------
    >>> gw.openneuro.list_files("ds004504", "sub-001/")   # doctest: +SKIP
    """
    ds = _check_ds(ds)
    client, cache = _client(kw)
    objs, _ = _Bucket(ds, client=client, cache=cache).list(prefix.lstrip("/"))
    if not objs:
        raise NotFoundError(f"no files in OpenNeuro dataset {ds!r} under prefix {prefix!r}.")
    return pd.DataFrame({"path": [o["key"] for o in objs], "size": [o["size"] for o in objs],
                         "uri": [f"openneuro://{ds}/{o['key']}" for o in objs]})


def find_rest_runs(ds: str, **kw: Any) -> pd.DataFrame:
    """EEG/iEEG runs of ``ds`` that are rest: ``task-rest`` or a task whose name/description means rest.

    Looks at the task entity and at each run's sidecar ``TaskName`` / ``TaskDescription`` (rest,
    resting, eyes open/closed, baseline, spontaneous, task-free...). Columns: uri, path, subject,
    session, task, run, datatype, format, reason.

    Examples
    --------
    >>> gw.openneuro.find_rest_runs("ds004504")   # doctest: +SKIP
    """
    ds = _check_ds(ds)
    client, cache = _client(kw)
    bucket = _Bucket(ds, client=client, cache=cache)
    objs, _ = bucket.list("")
    if not objs:
        raise NotFoundError(f"OpenNeuro dataset {ds!r} has no files at {bucket.base}.")
    tree = S3Tree(bucket, objs)
    rows = []
    for o in objs:
        path = o["key"]
        ents, suffix, ext = parse_bids_name(path)
        if suffix not in ("eeg", "ieeg") or ext.lower() not in DATA_EXTENSIONS or "task" not in ents:
            continue
        task = ents["task"]
        reason = f"task-{task}" if rest_match(task) or task.lower().startswith("rest") else None
        if reason is None:
            # the run's sidecar, else the dataset-level task sidecar (inheritance)
            for side in (path[: -len(ext)] + ".json", f"task-{task}_{suffix}.json"):
                if not tree.exists(side):
                    continue
                try:
                    meta = json.loads(tree.read_bytes(side).decode("utf-8"))
                except (GlueError, ValueError, UnicodeDecodeError):
                    continue
                m = rest_match(" ".join(str(meta.get(k, "")) for k in ("TaskName", "TaskDescription")))
                if m:
                    reason = f"sidecar says {m!r}"
                    break
        if reason:
            rows.append({"uri": f"openneuro://{ds}/{path}", "path": path, "subject": ents.get("sub"),
                         "session": ents.get("ses"), "task": task, "run": ents.get("run"), "datatype": suffix,
                         "format": ext.lstrip("."), "reason": reason})
    return pd.DataFrame(rows, columns=["uri", "path", "subject", "session", "task", "run", "datatype",
                                       "format", "reason"])
