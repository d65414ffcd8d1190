"""Which sessions a dashboard may open: the allowed sources and their URIs.

A catalog is the only door from a page (and its URL query string) to data. It lists sessions per
source and opens a URI only after :meth:`SessionListing.check_uri` accepted it, so an arbitrary local path
or foreign URL typed into a deep link never reaches :func:`glue_widgets.open`.

The user's own files enter only through :class:`DataDirs` (``glue-widgets serve --data-dir DIR``): the
NWB, BIDS/EDF/BDF, BrainVision and EEGLAB recordings under DIR are listed as ``local://<path relative
to DIR>``; a name that resolves outside DIR (``..``, an absolute path, a symbolic link leading out) is
refused. Without a data directory no local file is reachable from a page.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from ..errors import InvalidInputError, NotFoundError
from ..model import Session

__all__ = ["SessionListing", "DefaultListing", "MappingListing", "DataDirs", "SOURCE_LABELS", "LOCAL_SUFFIXES"]

SOURCE_LABELS = {"demo": "Demo corpus", "dandi": "DANDI", "openneuro": "OpenNeuro", "toy": "Toy sessions",
                 "local": "Local files"}

# recordings a data directory may offer (the suffixes glue_widgets.open reads from a local path)
LOCAL_SUFFIXES = (".nwb", ".edf", ".bdf", ".vhdr", ".set")
_MAX_LOCAL_FILES = 5000

# URI forms accepted for the archives (see glue_widgets.sources): no "..", no query, no host tricks.
_ARCHIVE_PATTERNS = {
    "dandi": re.compile(r"^dandi://\d{6}(@[0-9A-Za-z.+\-]+)?/[0-9A-Za-z_\-.]+(/[0-9A-Za-z_\-.]+)*\.nwb$"),
    "openneuro": re.compile(
        r"^openneuro://ds\d{6}(@[0-9A-Za-z.+\-]+)?/[0-9A-Za-z_\-.]+(/[0-9A-Za-z_\-.]+)*"
        r"\.(edf|bdf|vhdr|set)$"),
}
_MAX_URI = 300


class SessionListing:
    """Base class: ``sources()``, ``list(source)``, ``check_uri(source, uri)``, ``open(uri)``."""

    def sources(self) -> list[str]:
        raise NotImplementedError

    def list(self, source: str) -> list[str]:
        raise NotImplementedError

    def note(self, source: str) -> str:
        """A short line shown beside the session list (why it is empty, how to add one...)."""
        return ""

    def cache_scope(self) -> str:
        """What distinguishes this catalog's URIs from another catalog's of the same class (cache keys)."""
        return ""

    def redact(self, text: str) -> str:
        """``text`` for a page: server paths of local files replaced by their ``local://`` names."""
        return text

    def check_source(self, source: object) -> str:
        if not isinstance(source, str) or source not in self.sources():
            raise InvalidInputError(
                f"source {str(source)[:40]!r} is not one of the allowed sources {self.sources()}."
            )
        return source

    def check_uri(self, source: str, uri: object) -> str:
        """Return ``uri`` if this catalog may open it from ``source``; raise InvalidInputError otherwise."""
        source = self.check_source(source)
        if not isinstance(uri, str) or not uri or len(uri) > _MAX_URI:
            raise InvalidInputError(f"session {str(uri)[:60]!r} is not a valid session name.")
        if any(c in uri for c in "\\\x00\n\r\t") or ".." in uri:
            raise InvalidInputError(f"session {uri[:60]!r} contains a path traversal or control character; refused.")
        if uri not in self.list(source):
            pattern = _ARCHIVE_PATTERNS.get(source)
            if pattern is None or not pattern.match(uri):
                raise InvalidInputError(
                    f"session {uri[:60]!r} is not an allowed {SOURCE_LABELS.get(source, source)} session; "
                    "dashboards open only sessions listed by their source (no file paths or URLs)."
                )
        return uri

    def open(self, uri: str) -> Session:
        raise NotImplementedError


class MappingListing(SessionListing):
    """Sessions from factories in memory: ``{source: {uri: () -> Session}}`` (tests, embedding).

    Examples
    --------
    >>> from glue_widgets.apps.toy import toy_session
    >>> cat = MappingListing({"toy": {"toy://a": lambda: toy_session("toy://a")}})
    >>> cat.list("toy")
    ['toy://a']
    """

    def __init__(self, factories: Mapping[str, Mapping[str, Callable[[], Session]]],
                 notes: Mapping[str, str] | None = None) -> None:
        self._factories = {k: dict(v) for k, v in factories.items()}
        self._notes = dict(notes or {})

    def sources(self) -> list[str]:
        return list(self._factories)

    def list(self, source: str) -> list[str]:
        return list(self._factories.get(source, {}))

    def note(self, source: str) -> str:
        return self._notes.get(source, "")

    def cache_scope(self) -> str:
        return str(id(self))

    def open(self, uri: str) -> Session:
        for f in self._factories.values():
            if uri in f:
                return f[uri]()
        raise NotFoundError(f"session {uri!r} is not in this catalog.")


def _demo_list() -> tuple[list[str], str]:
    try:
        from ..sources import demo
        return list(demo.list()), ""
    except Exception as exc:  # the demo corpus is optional for the page to render
        return [], f"demo corpus not available: {type(exc).__name__}: {exc}"


class DataDirs:
    """The recordings under one or more data directories, named ``local://<path relative to DIR>``.

    With several directories the name starts with the directory's own name
    (``local://<DIR name>/<path>``) so that two files with the same relative path stay apart.
    :meth:`resolve` is the only way from a name to a file: it refuses absolute paths, ``..``,
    control characters, unknown file types and anything whose real path (symbolic links followed)
    is not inside its directory.

    Parameters
    ----------
    dirs : sequence of path
        Existing directories (``glue-widgets serve --data-dir DIR``, repeatable).
    ttl : float
        Seconds a directory listing is reused before the directories are walked again.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "sub-1").mkdir(); (d / "sub-1" / "a.nwb").write_bytes(b"")
    0
    >>> DataDirs([d]).list()
    ['local://sub-1/a.nwb']
    >>> DataDirs([d]).resolve("local://../etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glue_widgets.errors.InvalidInputError: session 'local://../etc/passwd' is outside the data directory...
    """

    def __init__(self, dirs: Iterable[str | os.PathLike], ttl: float = 10.0) -> None:
        roots = []
        for d in dirs:
            p = Path(d).expanduser()
            if not p.is_dir():
                raise NotFoundError(f"--data-dir {str(d)!r} is not a directory; pass an existing folder of "
                                    "recordings (NWB, BIDS, EDF, BrainVision).")
            roots.append(Path(os.path.realpath(p)))
        if not roots:
            raise InvalidInputError("DataDirs needs at least one directory.")
        names = [r.name or "data" for r in roots]
        if len(roots) > 1:
            seen: dict[str, int] = {}
            for i, n in enumerate(names):
                k = seen.get(n, 0)
                seen[n] = k + 1
                if k:
                    names[i] = f"{n}-{k + 1}"
        self.roots = dict(zip(names, roots)) if len(roots) > 1 else {"": roots[0]}
        self.ttl = float(ttl)
        self._cache: tuple[float, list[str]] | None = None
        self._lock = threading.Lock()

    def __getstate__(self):  # picklable for the rest-detection worker (locks are not)
        return {"roots": self.roots, "ttl": self.ttl}

    def __setstate__(self, state):
        self.roots, self.ttl = state["roots"], state["ttl"]
        self._cache, self._lock = None, threading.Lock()

    def scope(self) -> str:
        return "|".join(f"{k}={v}" for k, v in self.roots.items())

    def _walk(self) -> list[str]:
        out: list[str] = []
        for name, root in self.roots.items():
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for f in sorted(filenames):
                    if f.startswith(".") or not f.lower().endswith(LOCAL_SUFFIXES):
                        continue
                    full = os.path.join(dirpath, f)
                    if not _inside(os.path.realpath(full), root):
                        continue  # a symbolic link leading out of the directory: not offered
                    rel = Path(full).relative_to(root).as_posix()
                    out.append("local://" + (f"{name}/{rel}" if name else rel))
                    if len(out) >= _MAX_LOCAL_FILES:
                        return out
        return out

    def list(self) -> list[str]:
        """Every recording under the directories (walked again after ``ttl`` seconds)."""
        with self._lock:
            now = time.monotonic()
            if self._cache is None or now - self._cache[0] > self.ttl:
                self._cache = (now, self._walk())
            return list(self._cache[1])

    def resolve(self, uri: object) -> Path:
        """The real path of ``local://...`` inside its directory; InvalidInputError/NotFoundError otherwise."""
        if not isinstance(uri, str) or not uri.startswith("local://"):
            raise InvalidInputError(f"session {str(uri)[:60]!r} is not a local:// name.")
        rel = uri[len("local://"):]
        outside = InvalidInputError(
            f"session {uri[:80]!r} is outside the data directory: dashboards open only the files listed "
            "under 'Local files' (a path relative to --data-dir, no '..', no absolute path, no link leading out).")
        if (not rel or rel.startswith(("/", "~")) or "\\" in rel or re.match(r"^[A-Za-z]:", rel)
                or any(part in ("..", ".") for part in rel.split("/"))
                or any(ord(c) < 32 or c == "\x7f" for c in rel)):
            raise outside
        if "" in self.roots:
            root = self.roots[""]
        else:
            head, _, rel = rel.partition("/")
            if head not in self.roots or not rel:
                raise outside
            root = self.roots[head]
        real = os.path.realpath(root / rel)
        if not _inside(real, root):
            raise outside
        if not real.lower().endswith(LOCAL_SUFFIXES):
            raise InvalidInputError(f"session {uri[:80]!r} is not a recording glue_widgets reads "
                                    f"({', '.join(LOCAL_SUFFIXES)}).")
        if not os.path.isfile(real):
            raise NotFoundError(f"session {uri[:80]!r}: no such file under the data directory (moved or deleted?).")
        return Path(real)


def _inside(real: str, root: Path) -> bool:
    try:
        return os.path.commonpath([real, str(root)]) == str(root)
    except ValueError:  # different drives
        return False


class DefaultListing(SessionListing):
    """The demo corpus (``gw.demo.list()``), DANDI / OpenNeuro URIs when those sources exist, and the
    user's own recordings under ``data_dirs`` ("Local files", ``local://<path relative to DIR>``).

    Examples
    --------
    >>> DefaultListing().sources()[0]
    'demo'
    """

    def __init__(self, data_dirs: Sequence[str | os.PathLike] | DataDirs | None = None) -> None:
        self._demo, self._demo_note = _demo_list()
        if isinstance(data_dirs, DataDirs):
            self.local = data_dirs
        else:
            self.local = DataDirs(data_dirs) if data_dirs else None

    def cache_scope(self) -> str:
        return self.local.scope() if self.local is not None else ""

    def redact(self, text: str) -> str:
        if self.local is None or not isinstance(text, str):
            return text
        for name, root in self.local.roots.items():
            text = text.replace(str(root) + os.sep, "local://" + (f"{name}/" if name else ""))
        return text

    def sources(self) -> list[str]:
        out = ["demo"]
        if self.local is not None:
            out.append("local")
        for name in ("dandi", "openneuro"):
            try:
                __import__(f"glue_widgets.sources.{name}")
                out.append(name)
            except Exception:  # source module not there (yet) or broken: do not offer it
                pass
        return out

    def list(self, source: str) -> list[str]:
        if source == "local" and self.local is not None:
            return self.local.list()
        return list(self._demo) if source == "demo" else []

    def check_uri(self, source: str, uri: object) -> str:
        if source == "local" and self.local is not None and isinstance(uri, str) and uri.startswith("local://"):
            self.check_source(source)
            if len(uri) > _MAX_URI:
                raise InvalidInputError(f"session {uri[:60]!r} is not a valid session name.")
            self.local.resolve(uri)
            return uri
        return super().check_uri(source, uri)

    def note(self, source: str) -> str:
        if source == "demo":
            return self._demo_note or f"{len(self._demo)} demo sessions"
        if source == "local":
            n = len(self.list("local"))
            return (f"{n} recordings under the data directory" if n else
                    "no NWB, EDF/BDF, BrainVision or EEGLAB recording under the data directory")
        return (f"type a {source}:// URI (e.g. "
                + ("dandi://000006/sub-anm369962/sub-anm369962_ses-20170309.nwb" if source == "dandi"
                   else "openneuro://ds004504/sub-001/eeg/sub-001_task-eyesclosed_eeg.set")
                + "); needs network access to the archive.")

    def open(self, uri: str) -> Session:
        from .. import sources
        if uri.startswith("local://"):
            if self.local is None:
                raise InvalidInputError(f"session {uri[:60]!r}: no data directory is served (--data-dir).")
            return sources.open(str(self.local.resolve(uri)))
        return sources.open(uri)
