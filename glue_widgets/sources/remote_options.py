"""What every remote opener shares: its HTTP/cache options (one dataclass, one docstring) and one URI parser.

``dandi://``, ``openneuro://`` and ``http(s)://`` sessions take the same keyword options
(``timeout``, ``retries``, ``backoff``, ``cache_dir``, ``cache_max_bytes``, ``block_size``,
``memory_bytes``); :class:`RemoteOptions` pops them from the keywords, builds the
:class:`~glue_widgets.sources.http.HttpClient` and the disk cache, and :data:`OPTIONS_DOC` documents
them once (openers put ``{remote_options}`` in their docstring and decorate with
:func:`document_options`). :class:`Archive` holds an archive's scheme, id form and base URL, and
:func:`parse_archive_uri` parses ``<scheme>://<id>[@<version>]/<path>``.

Examples
--------
>>> kw = {"timeout": (2, 10), "bin_width": 0.01}
>>> opts = RemoteOptions.pop_from(kw)
>>> opts.timeout, kw
((2, 10), {'bin_width': 0.01})
>>> parse_archive_uri("dandi://000006@draft/sub-1/a.nwb", "dandi", r"(\\d{6})", form="dandi://<id>/<path>")
('000006', 'draft', 'sub-1/a.nwb')
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

from ..errors import InvalidInputError
from .cache import DiskCache, get_default_cache
from .http import DEFAULT_RETRIES, DEFAULT_TIMEOUT, HttpClient, Meter

__all__ = ["RemoteOptions", "OPTIONS_DOC", "document_options", "parse_archive_uri", "Archive"]

# numpydoc "Parameters" entries shared by the openers (indented for a function docstring)
OPTIONS_DOC = """timeout : float or (float, float), optional
        ``(connect, read)`` seconds per request (default (5, 30)).
    retries : int, optional
        Retries of a failed request, with exponential ``backoff`` seconds between them (default 3, 0.1 s).
    cache_dir : path, optional
        Cache root (default ``$GLUE_CACHE_DIR`` or ``~/.cache/glue_widgets``).
    cache_max_bytes : int, optional
        Size cap of the disk cache (default ``$GLUE_CACHE_MAX_BYTES`` or 2 GiB).
    block_size : int, optional
        Range-read granularity in bytes (default 8 KiB for NWB/HDF5, 16 KiB for EDF/BDF/BrainVision).
    memory_bytes : int, optional
        Bound of the in-memory block cache (default 64 MiB; 0 disables it)."""

F = TypeVar("F", bound=Callable[..., Any])


def document_options(fn: F) -> F:
    """Put :data:`OPTIONS_DOC` where ``fn``'s docstring says ``{remote_options}``."""
    if fn.__doc__:
        fn.__doc__ = fn.__doc__.replace("{remote_options}", OPTIONS_DOC)
    return fn


@dataclass(frozen=True)
class RemoteOptions:
    """HTTP and cache options of one remote session (see :data:`OPTIONS_DOC`).

    ``block_size=None`` lets each format pick its granularity.
    """

    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = 0.1
    cache_dir: str | os.PathLike | None = None
    cache_max_bytes: int | None = None
    block_size: int | None = None
    memory_bytes: int = 64 << 20

    @classmethod
    def pop_from(cls, kw: dict[str, Any]) -> "RemoteOptions":
        """Take the option keywords out of ``kw`` (in place); the rest stays for the reader."""
        names = [f.name for f in dataclasses.fields(cls)]
        return cls(**{n: kw.pop(n) for n in names if n in kw})

    def client(self, meter: Meter | None = None, *, headers: Mapping[str, str] | None = None,
               auth_host: str | None = None) -> HttpClient:
        """A new :class:`HttpClient` with these timeouts/retries (``headers`` go to ``auth_host`` only)."""
        extra: dict[str, Any] = {"headers": headers, "auth_host": auth_host} if headers else {}
        return HttpClient(timeout=self.timeout, retries=self.retries, backoff=self.backoff,
                          meter=meter if meter is not None else Meter(), **extra)

    def cache(self) -> DiskCache:
        """The disk cache at ``cache_dir`` (default location and cap from the environment)."""
        return get_default_cache(self.cache_dir, self.cache_max_bytes)

    def range_kw(self, default_block_size: int) -> dict[str, int]:
        """``block_size`` / ``memory_bytes`` for a RangeFile, with the format's default block size."""
        return {"block_size": self.block_size or default_block_size, "memory_bytes": self.memory_bytes}


def parse_archive_uri(uri: str, scheme: str, dataset: str, *, form: str, example: str = "",
                      what: str = "") -> tuple[str, str | None, str]:
    """Parse ``<scheme>://<dataset>[@<version>]/<path>`` into ``(dataset id, version or None, path)``.

    Parameters
    ----------
    uri : str
    scheme : str
        Matched case-insensitively (``"dandi"``, ``"openneuro"``).
    dataset : str
        Regular expression of the dataset part with exactly one capturing group, the id
        (e.g. ``r"(?:DANDI:)?(\\d{6})"``).
    form, example, what : str
        The expected form, an example and the kind of URI (``"a DANDI URI"``) for the error message.

    Raises
    ------
    InvalidInputError
        If ``uri`` does not have that form.
    """
    m = re.fullmatch(rf"(?i:{re.escape(scheme)})://{dataset}(?:@([A-Za-z0-9._-]+))?(?:/(.*))?",
                     uri.strip() if isinstance(uri, str) else "")
    if not m:
        hint = f", for example {example}" if example else ""
        raise InvalidInputError(f"{uri!r} is not {what or f'a {scheme}:// URI'}; expected {form}{hint}.")
    return m.group(1), m.group(2), (m.group(3) or "").strip("/")



@dataclass(frozen=True)
class Archive:
    """One archive's URI scheme, dataset-id form and base URL (overridable by an environment variable).

    Examples
    --------
    >>> a = Archive("OpenNeuro", "openneuro", "GLUE_OPENNEURO_URL", "https://s3.amazonaws.com/openneuro.org",
    ...             r"(ds\\d{6})", "openneuro://<ds>/<path>", "openneuro://ds004504/x.edf", "ds + 6 digits")
    >>> a.parse_uri("openneuro://ds004504@1.0.0/sub-1/x.edf"), a.check_id(" ds004504")
    (('ds004504', '1.0.0', 'sub-1/x.edf'), 'ds004504')
    """

    name: str  # as people write it: "DANDI", "OpenNeuro"
    scheme: str
    env: str  # environment variable holding the base URL (tests point it at local servers)
    default_url: str
    dataset: str  # regular expression of a dataset id, exactly one capturing group (the bare id)
    form: str
    example: str
    id_hint: str  # what a valid id looks like, for the error message

    def base_url(self) -> str:
        """``$<env>`` or the default URL, without a trailing slash."""
        return os.environ.get(self.env, self.default_url).rstrip("/")

    def parse_uri(self, uri: str) -> tuple[str, str | None, str]:
        """``<scheme>://<id>[@<version>]/<path>`` -> ``(id, version or None, path)``."""
        article = "an" if self.name[:1].upper() in "AEIOU" else "a"
        return parse_archive_uri(uri, self.scheme, self.dataset, form=self.form, example=self.example,
                                 what=f"{article} {self.name} URI")

    def check_id(self, value: str) -> str:
        """The bare dataset id of ``value``, or an InvalidInputError saying what an id looks like."""
        m = re.fullmatch(self.dataset, str(value).strip())
        if not m:
            raise InvalidInputError(f"{self.name} dataset id {value!r} must be {self.id_hint}.")
        return m.group(1)
