"""On-disk cache for remote bytes and small metadata documents.

Each entry is one file ``<dir>/<kk>/<key>`` holding a 32-byte SHA-256 digest followed by the
payload. Writes go to a temporary file in the same directory and are published with
``os.replace``, so a process killed mid-write leaves at most an orphan ``*.tmp`` (ignored and
swept), never a half-written entry; the digest is verified on every read and a mismatching entry
is deleted and reported as a miss. Reads touch the file's mtime; when the total size passes the
cap, the least recently used entries are evicted under a :mod:`filelock` lock shared by all
processes using the directory.

Configuration: ``GLUE_CACHE_DIR`` (default ``~/.cache/glue_widgets``; entries go under its
``http/`` subdirectory) and ``GLUE_CACHE_MAX_BYTES`` (default 2 GiB).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..errors import InvalidInputError, StorageError

__all__ = ["DiskCache", "default_cache_dir", "cache_key", "get_default_cache"]

_DIGEST = 32
_DEFAULT_MAX = 2 << 30


def default_cache_dir() -> Path:
    """``$GLUE_CACHE_DIR`` or ``~/.cache/glue_widgets``."""
    env = os.environ.get("GLUE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "glue_widgets"


def cache_key(*parts: Any) -> str:
    """A stable hex key for any tuple of strings/numbers (URL, ETag, block index...)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


class DiskCache:
    """A size-capped, checksummed, LRU on-disk key -> bytes store, safe across processes.

    Parameters
    ----------
    directory : path, optional
        Root directory; default ``default_cache_dir() / "http"``.
    max_bytes : int, optional
        Size cap; default ``$GLUE_CACHE_MAX_BYTES`` or 2 GiB.

    Examples
    --------
    >>> import tempfile
    >>> c = DiskCache(tempfile.mkdtemp(), max_bytes=1 << 20)
    >>> c.put("k", b"hello")
    >>> c.get("k")
    b'hello'
    """

    def __init__(self, directory: str | os.PathLike | None = None, max_bytes: int | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir() / "http"
        if max_bytes is None:
            env = os.environ.get("GLUE_CACHE_MAX_BYTES")
            try:
                max_bytes = int(float(env)) if env else _DEFAULT_MAX
            except ValueError:
                raise InvalidInputError(f"GLUE_CACHE_MAX_BYTES={env!r} must be a number of bytes.") from None
        if int(max_bytes) <= 0:
            raise InvalidInputError(f"max_bytes={max_bytes!r} must be a positive number of bytes.")
        self.max_bytes = int(max_bytes)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # under a regular file, read-only, ...: say which path and what to do
            raise StorageError(f"cache directory {str(self.directory)!r} cannot be created ({exc.strerror or exc}); "
                               "set GLUE_CACHE_DIR (or cache_dir=) to a writable folder.") from None
        self._lock = FileLock(str(self.directory / ".lock"), timeout=60)
        self._tlock = threading.Lock()
        self._approx: int | None = None  # running estimate of the total size; rescanned on eviction

    def __repr__(self) -> str:
        return f"<DiskCache {str(self.directory)!r} max_bytes={self.max_bytes}>"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    # -- bytes ------------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        """The payload of ``key``, or None if absent or corrupt (a corrupt entry is deleted)."""
        p = self._path(key)
        try:
            raw = p.read_bytes()
        except OSError:
            return None
        data = raw[_DIGEST:]
        if len(raw) < _DIGEST or hashlib.sha256(data).digest() != raw[:_DIGEST]:
            try:
                p.unlink()
            except OSError:
                pass
            return None
        try:
            os.utime(p)  # LRU clock
        except OSError:
            pass
        return data

    def contains(self, key: str) -> bool:
        return self._path(key).exists()

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically; evicts old entries if the cap is passed."""
        data = bytes(data)
        if len(data) + _DIGEST > self.max_bytes:
            return  # larger than the whole cache: not worth keeping
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.parent / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(tmp, "wb") as fh:
                fh.write(hashlib.sha256(data).digest())
                fh.write(data)
            os.replace(tmp, p)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
            return  # a cache that cannot write is just a smaller cache
        with self._tlock:
            if self._approx is None:
                self._approx = self._scan_size()
            else:
                self._approx += len(data) + _DIGEST
            over = self._approx > self.max_bytes
        if over:
            self.evict()

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except OSError:
            pass

    # -- small JSON documents (URL resolutions, listings) -------------------------------------
    def get_json(self, key: str) -> Any | None:
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            self.delete(key)
            return None

    def put_json(self, key: str, obj: Any) -> None:
        self.put(key, json.dumps(obj, sort_keys=True).encode("utf-8"))

    # -- housekeeping -----------------------------------------------------------------------
    def _entries(self) -> list[tuple[float, int, Path]]:
        out = []
        for sub in self.directory.iterdir() if self.directory.exists() else []:
            if not sub.is_dir():
                continue
            for f in sub.iterdir():
                try:
                    st = f.stat()
                except OSError:
                    continue
                if f.name.endswith(".tmp"):
                    # an orphan from a killed writer; old ones are swept
                    if time.time() - st.st_mtime > 3600:
                        try:
                            f.unlink()
                        except OSError:
                            pass
                    continue
                out.append((st.st_mtime, st.st_size, f))
        return out

    def _scan_size(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def size(self) -> int:
        """Total bytes of the entries on disk."""
        return self._scan_size()

    def evict(self, target: int | None = None) -> int:
        """Delete least-recently-used entries until the total is under ``target`` (default 90 % of the cap)."""
        target = int(self.max_bytes * 0.9) if target is None else int(target)
        freed = 0
        with self._lock:
            entries = sorted(self._entries())
            total = sum(s for _, s, _ in entries)
            for _, size, f in entries:
                if total <= target:
                    break
                try:
                    f.unlink()
                    total -= size
                    freed += size
                except OSError:
                    pass
        with self._tlock:
            self._approx = total
        return freed

    def clear(self) -> None:
        """Delete every entry."""
        self.evict(target=0)

    def verify(self) -> list[str]:
        """Keys whose payload does not match its digest (deleted as found). Empty = healthy cache."""
        bad = []
        for _, _, f in self._entries():
            if self.get(f.name) is None:
                bad.append(f.name)
        return bad


_default: dict[tuple[str, int | None], DiskCache] = {}


def get_default_cache(cache_dir: str | os.PathLike | None = None, max_bytes: int | None = None) -> DiskCache:
    """A process-wide DiskCache per directory (``cache_dir`` or the default)."""
    d = str(Path(cache_dir) / "http") if cache_dir is not None else str(default_cache_dir() / "http")
    k = (d, max_bytes)
    if k not in _default:
        _default[k] = DiskCache(d, max_bytes)
    return _default[k]
