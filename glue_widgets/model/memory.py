"""A Session over arrays already in memory: for users with their own data, and for tests."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InvalidInputError, UnsupportedError
from .session import Session, StreamInfo, empty_epochs
from .spikes import bin_spikes
from .timeseries import check_timestamps

__all__ = ["ArraySession"]


class ArraySession(Session):
    """Wrap DataArrays (and spike-time dicts) as a Session.

    Parameters
    ----------
    signals : mapping of str to DataArray
        Continuous streams following the ``("time", "channel")`` convention.
    spikes : mapping of str to mapping of unit id to spike times, optional
        Event streams; ``read`` bins them (``bin_width`` keyword, default 0.04 s).
    epochs : DataFrame, optional
        ``start``, ``stop``, ``label`` columns (``source_table`` is added if missing).
    metadata : mapping, optional
        ``species``, ``subject``, ``session``, ``lab``...

    Examples
    --------
    >>> import numpy as np
    >>> from glue_widgets.model import make_timeseries
    >>> x = make_timeseries(np.zeros((100, 2)), np.arange(100) / 10, modality="lfp", fs=10.0)
    >>> s = ArraySession("mem://toy", signals={"lfp": x})
    >>> s.read("lfp", 1.0, 2.0).sizes["time"]
    10
    """

    def __init__(
        self,
        uri: str,
        signals: Mapping[str, xr.DataArray] | None = None,
        spikes: Mapping[str, Mapping[Any, np.ndarray]] | None = None,
        epochs: pd.DataFrame | None = None,
        metadata: Mapping[str, Any] | None = None,
        spike_modality: str = "spikes",
    ) -> None:
        super().__init__(uri)
        self.metadata = dict(metadata or {})
        self._signals = dict(signals or {})
        self._spikes = {k: {str(u): np.sort(np.asarray(t, float)) for u, t in v.items()}
                        for k, v in (spikes or {}).items()}
        for name, x in self._signals.items():
            if x.dims != ("time", "channel"):
                raise InvalidInputError(f"signal {name!r} has dims {x.dims}; expected ('time', 'channel').")
            t = check_timestamps(x.time.values, name=f"{name} time")
            fs = x.attrs.get("fs") or (1.0 / float(np.median(np.diff(t))) if t.size > 1 else None)
            dt = 1.0 / fs if fs else 0.0
            self._streams[name] = StreamInfo(
                name=name, modality=x.attrs.get("modality", "lfp"), fs=fs, n_channels=x.sizes["channel"],
                duration_s=float(t[-1] - t[0] + dt) if t.size else 0.0, start_s=float(t[0]) if t.size else 0.0,
                units=x.attrs.get("units", ""), n_samples=int(t.size),
            )
        for name, units in self._spikes.items():
            allt = [t for t in units.values() if t.size]
            t0 = min((t[0] for t in allt), default=0.0)
            t1 = max((t[-1] for t in allt), default=0.0)
            t0 = min(0.0, t0)
            self._streams[name] = StreamInfo(
                name=name, modality=spike_modality, fs=25.0, n_channels=len(units),
                duration_s=float(t1 - t0) + 1e-6, start_s=float(t0), units="count", kind="events",
            )
        if epochs is None:
            self._epochs = empty_epochs()
        else:
            ep = epochs.copy()
            if "source_table" not in ep:
                ep["source_table"] = "epochs"
            self._epochs = ep.reset_index(drop=True)

    def spike_times(self, stream: str, start: float | None = None, stop: float | None = None) -> dict[str, np.ndarray]:
        """Spike times of each unit of an event stream inside ``[start, stop)``."""
        info = self.stream_info(stream)
        if info.kind != "events":
            raise UnsupportedError(f"stream {stream!r} holds {info.modality} samples, not spike times.")
        start, stop = self._check_window(info, start, stop)
        return {u: t[(t >= start) & (t < stop)] for u, t in self._spikes[stream].items()}

    def _read_window(self, info: StreamInfo, start: float, stop: float, bin_width: float = 0.04, **kw: Any):
        if info.kind == "events":
            return bin_spikes(self.spike_times(info.name, start, stop), start, stop, bin_width,
                              modality=info.modality)
        x = self._signals[info.name]
        t = x.time.values
        i0, i1 = np.searchsorted(t, [start, stop], side="left")
        return x.isel(time=slice(i0, i1)).copy()
