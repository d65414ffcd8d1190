"""Which sessions a dashboard may open: the allowed sources and their URIs.

A catalog is the only door from a page (and its URL query string) to data. It lists sessions per
source and opens a URI only after :meth:`SessionListing.check_uri` accepted it, so an arbitrary local path
or foreign URL typed into a deep link never reaches :func:`glue_widgets.open`.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

from ..errors import InvalidInputError, NotFoundError
from ..model import Session

__all__ = ["SessionListing", "DefaultListing", "MappingListing", "SOURCE_LABELS"]

SOURCE_LABELS = {"demo": "Demo corpus", "dandi": "DANDI", "openneuro": "OpenNeuro", "toy": "Toy sessions"}

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


class DefaultListing(SessionListing):
    """The demo corpus (``gw.demo.list()``), plus DANDI / OpenNeuro URIs when those sources exist."""

    def __init__(self) -> None:
        self._demo, self._demo_note = _demo_list()

    def sources(self) -> list[str]:
        out = ["demo"]
        for name in ("dandi", "openneuro"):
            try:
                __import__(f"glue_widgets.sources.{name}")
                out.append(name)
            except Exception:  # source module not there (yet) or broken: do not offer it
                pass
        return out

    def list(self, source: str) -> list[str]:
        return list(self._demo) if source == "demo" else []

    def note(self, source: str) -> str:
        if source == "demo":
            return self._demo_note or f"{len(self._demo)} demo sessions"
        return (f"type a {source}:// URI (e.g. "
                + ("dandi://000006/sub-anm369962/sub-anm369962_ses-20170309.nwb" if source == "dandi"
                   else "openneuro://ds004504/sub-001/eeg/sub-001_task-eyesclosed_eeg.set")
                + "); needs network access to the archive.")

    def open(self, uri: str) -> Session:
        from .. import sources
        return sources.open(uri)
