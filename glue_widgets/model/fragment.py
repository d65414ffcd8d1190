"""The fragment: one piece of data to compare, in memory or as where to read it.

A :class:`Fragment` is an array in memory, or a URI plus a stream and a time window that a task opens,
reads and closes itself (h5py/remfile handles cannot travel between processes, so each task holds its
own). Opening a URI is the caller's business: the analysis layer never imports the sources, so a lazy
fragment is loaded with an ``opener`` the caller passes (``gw.open`` in practice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import xarray as xr

from ..errors import InvalidInputError
from .card_fields import card_arousal

__all__ = ["Fragment", "as_fragments", "load_fragment", "fragment_meta_table", "CONFOUND_KEYS", "set_default_opener"]

# the opener used when a caller passes none: the package root installs ``gw.open`` here at import, so
# the analysis layer can read lazy fragments without importing the sources layer itself
_DEFAULT_OPENER: Callable[..., Any] | None = None


def set_default_opener(opener: Callable[..., Any] | None) -> None:
    """Install the function that opens a lazy fragment's URI when no ``opener`` is passed (``gw.open``)."""
    global _DEFAULT_OPENER
    if opener is not None and not callable(opener):
        raise InvalidInputError(f"opener must be callable (uri -> Session); got {type(opener).__name__}.")
    _DEFAULT_OPENER = opener

CONFOUND_KEYS = ("lab", "species", "apparatus", "subject", "session", "day", "condition", "modality", "state")


@dataclass
class Fragment:
    """One fragment: data in memory, or where to read it.

    Parameters
    ----------
    name : str
        Unique label (becomes the ``source``/``target`` coordinate of the error map).
    data : (time, channels) array or DataArray, optional
        The samples, if already in memory.
    uri : str, optional
        Where to open it (``demo://...``, ``dandi://...``, a path) when ``data`` is None.
    stream, start, stop : optional
        Stream name and window (s) passed to ``session.read``.
    meta : dict
        Card fields used for grouping and confound attribution: ``lab``, ``species``, ``subject``,
        ``day``, ``apparatus``, ``condition``, ``arousal`` (one number: the card's mean pupil diameter,
        else mean running speed, else a variability such as pupil SD), ``arousal_<role>_<stat>`` ...
    read_kwargs : dict
        Extra arguments of ``session.read`` (e.g. ``bin_width`` for spikes).

    Examples
    --------
    >>> f = Fragment("m1-day0", data=np.zeros((100, 3)), meta={"lab": "arbor", "day": 0})
    >>> load_fragment(f).shape
    (100, 3)
    >>> Fragment("v1", uri="demo://arbor/m01/day0", stream="spikes", start=0, stop=600).is_lazy
    True
    """

    name: str
    data: Any = None
    uri: str | None = None
    stream: str | None = None
    start: float | None = None
    stop: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    read_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def is_lazy(self) -> bool:
        return self.data is None

    def load(self, opener: Callable[..., Any] | None = None) -> Any:
        """The samples (see :func:`load_fragment`)."""
        return load_fragment(self, opener)

    def without_data(self) -> "Fragment":
        """A copy that keeps only where to read (cheap to ship to a worker)."""
        return Fragment(self.name, None, self.uri, self.stream, self.start, self.stop, dict(self.meta),
                        dict(self.read_kwargs))


def _arousal_pick(nums: Mapping[str, float]) -> str:
    """Which arousal summary becomes the single ``meta["arousal"]`` number: the *level* a field would use
    (mean pupil diameter, else mean running speed), else a variability (SD), else the first one."""
    for pref, suf in (("pupil", "_mean"), ("speed", "_mean"), ("running", "_mean"), ("", "_mean"),
                      ("pupil", "_sd"), ("", "_sd")):
        for k in nums:
            if k.startswith(pref) and k.endswith(suf):
                return k
    return next(iter(nums))


def _meta_from_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a DataArray's attrs / RestCard into the meta fields the analysis uses."""
    meta: dict[str, Any] = {}
    card = attrs.get("card") if isinstance(attrs.get("card"), Mapping) else {}
    for src in (attrs, card):
        for key in CONFOUND_KEYS:
            val = src.get(key)
            if isinstance(val, Mapping):
                val = val.get("definition") or val.get("name") or str(dict(val))
            if val is not None and key not in meta:
                meta[key] = val
    arousal = card.get("arousal") or attrs.get("arousal")
    if isinstance(arousal, Mapping):
        nums: dict[str, float] = {}
        for k, v in arousal.items():  # flat numbers (e.g. {"pupil_sd": 0.3})
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                nums[str(k)] = float(v)
        # per-covariate summaries ({"running_speed": {"role": "speed", "mean": ...}}): measured covariates
        # only, the first of each role wins -- a speed the card derived from a behavioural velocity readout
        # (a readout of the neural latents in the demo) used to overwrite the running speed here
        for k, v in card_arousal({"arousal": arousal}).items():
            nums.setdefault(k[len("arousal_"):], v)
        for k, v in nums.items():
            meta.setdefault(f"arousal_{k}", v)
        if nums:
            meta["arousal"] = nums[_arousal_pick(nums)]
    elif isinstance(arousal, (int, float)):
        meta["arousal"] = float(arousal)
    return meta


def as_fragments(fragments: Any) -> list[Fragment]:
    """Normalize a list / dict of arrays, DataArrays, Fragments or dicts into a list of Fragments.

    Dict values that are themselves dicts are read as Fragment fields (``uri``, ``stream``, ``start``,
    ``stop``, ``meta``, ``data``). DataArray attrs (and ``attrs["card"]``) fill ``meta``.
    """
    if isinstance(fragments, Mapping):
        items = list(fragments.items())
    elif isinstance(fragments, Sequence) and not isinstance(fragments, (str, bytes, np.ndarray)):
        items = [(None, f) for f in fragments]
    else:
        raise InvalidInputError(
            "fragments must be a list or a dict name -> array/DataArray/Fragment; got "
            f"{type(fragments).__name__}.")
    out: list[Fragment] = []
    for i, (key, f) in enumerate(items):
        if isinstance(f, Fragment):
            frag = f if key is None else Fragment(str(key), f.data, f.uri, f.stream, f.start, f.stop,
                                                  dict(f.meta), dict(f.read_kwargs))
        elif isinstance(f, Mapping):
            kw = dict(f)
            kw.setdefault("name", str(key) if key is not None else str(i))
            unknown = set(kw) - {"name", "data", "uri", "stream", "start", "stop", "meta", "read_kwargs"}
            if unknown:
                raise InvalidInputError(f"fragment {kw['name']!r} has unknown fields {sorted(unknown)}.")
            frag = Fragment(**kw)
        elif isinstance(f, (np.ndarray, xr.DataArray)) or hasattr(f, "__array__"):
            meta = _meta_from_attrs(f.attrs) if isinstance(f, xr.DataArray) else {}
            name = key if key is not None else (f.name if isinstance(f, xr.DataArray) and f.name else None)
            if name is None and isinstance(f, xr.DataArray):
                name = f.attrs.get("session") or f.attrs.get("source")
            frag = Fragment(str(name if name is not None else i), data=f, meta=meta)
        else:
            raise InvalidInputError(f"fragment {key if key is not None else i!r} is a {type(f).__name__}; "
                                    "pass an array, a DataArray, a Fragment or a dict of Fragment fields.")
        if frag.data is None and not frag.uri:
            raise InvalidInputError(f"fragment {frag.name!r} has neither data nor a uri.")
        out.append(frag)
    names = [f.name for f in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InvalidInputError(f"fragment names must be unique; repeated: {dup}. Pass a dict name -> fragment.")
    if len(out) < 2:
        raise InvalidInputError(f"need at least 2 fragments to compare; got {len(out)}.")
    return out


def load_fragment(frag: Fragment, opener: Callable[..., Any] | None = None) -> Any:
    """The fragment's samples: its ``data``, or ``opener(uri)``, read the window, close (one task's work)."""
    if frag.data is not None:
        return frag.data
    opener = opener or _DEFAULT_OPENER
    if opener is None:
        raise InvalidInputError(
            f"fragment {frag.name!r} names {frag.uri!r} but holds no data, and no opener was given; pass "
            "opener=gw.open (importing glue_widgets installs it as the default).")
    session = opener(frag.uri)
    try:
        stream = frag.stream
        if stream is None:
            streams = list(session.streams)
            if len(streams) != 1:
                raise InvalidInputError(
                    f"fragment {frag.name!r}: {frag.uri} has streams {streams}; set Fragment.stream.")
            stream = streams[0]
        x = session.read(stream, frag.start, frag.stop, **frag.read_kwargs)
        return x.load() if hasattr(x, "load") else x
    finally:
        session.close()


def fragment_meta_table(frags: Sequence[Fragment]):
    """DataFrame of the fragments' meta (one row per fragment, indexed by name)."""
    import pandas as pd

    return pd.DataFrame([dict(f.meta) for f in frags], index=[f.name for f in frags])
