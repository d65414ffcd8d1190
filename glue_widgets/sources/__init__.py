"""Sources know where bytes live. :func:`open` turns a URI into a lazy :class:`~glue_widgets.model.Session`.

Schemes are dispatched through a table of ``"module:function"`` strings so that each source is
imported only when used (a local NWB read never imports the network stack).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError, NotFoundError, UnsupportedError
from ..model import Session
from ..model.validation import check_bin_width

__all__ = ["open", "OPENERS", "FILE_OPENERS"]

# scheme -> "module:callable(uri, **kwargs) -> Session"
OPENERS: dict[str, str] = {
    "demo": "glue_widgets.sources.demo:open_demo",
    "dandi": "glue_widgets.sources.dandi:open_dandi",
    "openneuro": "glue_widgets.sources.openneuro:open_openneuro",
    "http": "glue_widgets.sources.remote_nwb:open_url",
    "https": "glue_widgets.sources.remote_nwb:open_url",
}

# local file suffix -> opener
FILE_OPENERS: dict[str, str] = {
    ".nwb": "glue_widgets.sources.nwb:open_nwb",
    ".edf": "glue_widgets.sources.bids:open_bids_file",
    ".bdf": "glue_widgets.sources.bids:open_bids_file",
    ".vhdr": "glue_widgets.sources.bids:open_bids_file",
    ".set": "glue_widgets.sources.bids:open_bids_file",
}


def _resolve(target: str):
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def open(uri: str | os.PathLike, **kwargs: Any) -> Session:  # noqa: A001 - mirrors builtins.open on purpose
    """Open a recording lazily and return a Session.

    Parameters
    ----------
    uri : str or path
        ``demo://<name>`` (see :func:`glue_widgets.demo.list`), ``dandi://<id>[@<version>]/<path>``,
        ``openneuro://<ds>[@<snapshot>]/<path>``, ``http(s)://...nwb``, or a local ``.nwb`` / BIDS
        EEG/iEEG file path.
    **kwargs
        Passed to the source (for example ``cache_dir`` or ``timeout`` for remote sources).

    Examples
    --------
    >>> import glue_widgets as gw
    >>> s = gw.open(gw.demo.list()[0])          # doctest: +SKIP
    >>> x = s.read(next(iter(s.streams)), 0, 10)  # doctest: +SKIP
    """
    if isinstance(uri, os.PathLike):
        uri = os.fspath(uri)
    if not isinstance(uri, str) or not uri:
        raise InvalidInputError(f"uri={uri!r} must be a non-empty string or path.")
    try:
        uri.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (e.g. from os.fsdecode of undecodable bytes)
        raise InvalidInputError(f"uri={uri!r} holds characters that are not valid Unicode; pass a path "
                                "object (pathlib.Path) for a local file, or a clean URL.") from None
    if "bin_width" in kwargs:  # checked once here for every source (0 would divide by zero in the readers)
        kwargs["bin_width"] = check_bin_width(kwargs["bin_width"])
    if "://" in uri:
        scheme = uri.split("://", 1)[0].lower()
        if scheme == "file":
            return open(uri[len("file://"):], **kwargs)
        if scheme not in OPENERS:
            raise UnsupportedError(
                f"URI scheme {scheme!r} in {uri!r} is not supported; use one of "
                f"{sorted(OPENERS)} or a local file path."
            )
        return _resolve(OPENERS[scheme])(uri, **kwargs)
    path = Path(uri).expanduser()
    if not path.exists():
        raise NotFoundError(f"no file at {str(path)!r}; check the path, or use demo:// for the demo corpus.")
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith(".nwb.zarr") or (path.is_dir() and path.name.endswith(".zarr")):
        raise UnsupportedError(
            f"{str(path)!r} is a Zarr-backed NWB file; glue_widgets reads HDF5 NWB files. "
            "Convert it with nwbinspector/hdmf-zarr's export to HDF5, or open the HDF5 copy."
        )
    suffix = path.suffix.lower()
    if suffix not in FILE_OPENERS:
        raise UnsupportedError(
            f"cannot open {str(path)!r}: file type {suffix or '(none)'} is not one of "
            f"{sorted(FILE_OPENERS)}."
        )
    return _resolve(FILE_OPENERS[suffix])(str(path), **kwargs)
