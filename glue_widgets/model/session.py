"""The Session protocol: what every source (local NWB, BIDS, DANDI, OpenNeuro, demo) returns.

A Session is lazy: opening it reads metadata only; :meth:`Session.read` reads one window of one
stream. Subclasses implement ``_read_window`` and fill ``_streams`` / ``_epochs``; window checks,
channel selection and the output convention live here, once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InvalidInputError, StreamNotFoundError, WindowError

__all__ = ["StreamInfo", "Session", "EPOCH_COLUMNS", "empty_epochs"]

EPOCH_COLUMNS = ("start", "stop", "label", "source_table")


def empty_epochs() -> pd.DataFrame:
    """An epochs table with the standard columns and no rows."""
    return pd.DataFrame({"start": pd.Series(dtype=float), "stop": pd.Series(dtype=float),
                         "label": pd.Series(dtype=object), "source_table": pd.Series(dtype=object)})


@dataclass(frozen=True)
class StreamInfo:
    """What a stream is, without reading it.

    ``kind`` is ``"regular"`` (sampled at ``fs``), ``"irregular"`` (explicit timestamps) or
    ``"events"`` (spike times; ``fs`` is then the default binning rate used by ``read``).
    """

    name: str
    modality: str
    fs: float | None
    n_channels: int
    duration_s: float
    start_s: float = 0.0
    units: str = ""
    kind: str = "regular"
    n_samples: int | None = None
    path: str = ""
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stop_s(self) -> float:
        return self.start_s + self.duration_s

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["extra"] = dict(self.extra)
        return d


class Session:
    """A lazily opened recording session.

    Attributes
    ----------
    uri : str
        Where it came from (``demo://...``, ``dandi://...``, a path).
    streams : dict of str to StreamInfo
    epochs : pandas.DataFrame
        Columns ``start``, ``stop`` (s), ``label``, ``source_table`` and any extra columns.
    metadata : dict
        ``species``, ``subject``, ``session``, ``lab``, and whatever else the source knows.
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._streams: dict[str, StreamInfo] = {}
        self._epochs: pd.DataFrame = empty_epochs()
        self.metadata: dict[str, Any] = {}
        self.stats: dict[str, int] = {"bytes": 0, "requests": 0}

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Release file handles. Reading after close raises."""

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        names = ", ".join(self._streams)
        return f"<{type(self).__name__} {self.uri!r} streams=[{names}] epochs={len(self._epochs)}>"

    # -- metadata ----------------------------------------------------------------------------
    @property
    def streams(self) -> dict[str, StreamInfo]:
        return dict(self._streams)

    @property
    def epochs(self) -> pd.DataFrame:
        return self._epochs.copy()

    def stream_info(self, stream: str) -> StreamInfo:
        """Return the StreamInfo of ``stream`` or raise StreamNotFoundError listing the names."""
        try:
            return self._streams[stream]
        except KeyError:
            raise StreamNotFoundError(
                f"stream {stream!r} is not in {self.uri}; available streams: "
                f"{sorted(self._streams)}. Pass one of these names."
            ) from None

    def streams_of(self, *modalities: str) -> list[str]:
        """Names of streams whose modality is one of ``modalities``."""
        return [n for n, s in self._streams.items() if s.modality in modalities]

    # -- data --------------------------------------------------------------------------------
    def read(
        self,
        stream: str,
        start: float | None = None,
        stop: float | None = None,
        *,
        channels: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> xr.DataArray:
        """Read the window ``[start, stop)`` seconds of ``stream`` as a DataArray.

        Only the samples of that window are read from storage. ``channels`` selects channel ids.
        Event streams (spike times) are binned; pass ``bin_width`` (s) to choose the bins.
        """
        info = self.stream_info(stream)
        start, stop = self._check_window(info, start, stop)
        if isinstance(channels, (str, bytes)):
            channels = [channels.decode() if isinstance(channels, bytes) else channels]  # one name, not its characters
        x = self._read_window(info, start, stop, **kwargs)
        if channels is not None:
            missing = [c for c in channels if c not in set(x.channel.values.tolist())]
            if missing:
                raise InvalidInputError(
                    f"channels {missing[:5]} are not in stream {stream!r}; it has "
                    f"{x.sizes['channel']} channels such as {x.channel.values[:5].tolist()}."
                )
            x = x.sel(channel=list(channels))
        x.attrs.setdefault("source", self.uri)
        x.attrs.setdefault("stream", stream)
        for key in ("species", "subject", "session", "lab"):
            if key in self.metadata and self.metadata[key] is not None:
                x.attrs.setdefault(key, self.metadata[key])
        return x

    def _check_window(self, info: StreamInfo, start: float | None, stop: float | None) -> tuple[float, float]:
        t0, t1 = info.start_s, info.stop_s
        try:
            start = t0 if start is None else float(start)
            stop = t1 if stop is None else float(stop)
        except (TypeError, ValueError):
            raise WindowError(f"window ({start!r}, {stop!r}) must be numbers of seconds (or None).") from None
        if not (np.isfinite(start) and np.isfinite(stop)):
            raise WindowError(f"window ({start}, {stop}) must be finite seconds.")
        if stop <= start:
            raise WindowError(
                f"window start={start} s is not before stop={stop} s; pass start < stop."
            )
        # a small tolerance: durations are floats computed from rates
        tol = 1.0 / info.fs if info.fs else 1e-9
        if start < t0 - tol or stop > t1 + tol:
            raise WindowError(
                f"window [{start}, {stop}) s lies outside stream {info.name!r}, which spans "
                f"[{t0:.3f}, {t1:.3f}) s. Clip the window to the recording."
            )
        return max(start, t0), min(stop, t1)

    def _read_window(self, info: StreamInfo, start: float, stop: float, **kwargs: Any) -> xr.DataArray:
        raise NotImplementedError  # pragma: no cover - every source implements it
