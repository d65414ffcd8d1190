"""Spikes stay spike times until an analysis bins them; binning happens here, once."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from ..errors import InvalidInputError
from .timeseries import make_timeseries

__all__ = ["bin_spikes"]


def bin_spikes(
    spike_times: Mapping[Any, np.ndarray] | Sequence[np.ndarray],
    start: float,
    stop: float,
    bin_width: float,
    *,
    channel_coords: Mapping[str, Sequence[Any]] | None = None,
    **attrs: Any,
) -> xr.DataArray:
    """Count spikes of each unit in bins of ``bin_width`` seconds over ``[start, stop)``.

    Returns a ``("time", "channel")`` DataArray of counts whose ``time`` holds bin centres,
    ``attrs["bin_width"]`` the width and ``attrs["fs"] = 1 / bin_width``. A partial last bin is
    dropped so every bin has the same width.

    Examples
    --------
    >>> x = bin_spikes({"u1": np.array([0.01, 0.02, 0.15])}, 0.0, 0.2, 0.1, modality="spikes")
    >>> x.values[:, 0].tolist()
    [2, 1]
    """
    bw = float(bin_width)
    if not np.isfinite(bw) or bw <= 0:
        raise InvalidInputError(f"bin_width={bin_width!r} must be a positive number of seconds.")
    n_bins = int(np.floor((stop - start) / bw + 1e-9))
    if n_bins < 1:
        raise InvalidInputError(
            f"window [{start}, {stop}) s is shorter than one bin of {bw} s; widen the window or "
            "use a smaller bin_width."
        )
    if isinstance(spike_times, Mapping):
        ids, trains = list(spike_times.keys()), list(spike_times.values())
    else:
        ids, trains = list(range(len(spike_times))), list(spike_times)
    edges = start + bw * np.arange(n_bins + 1)
    counts = np.zeros((n_bins, len(trains)), dtype=np.int32)
    for j, t in enumerate(trains):
        t = np.asarray(t, dtype=np.float64)
        if t.size:
            counts[:, j] = np.histogram(t, bins=edges)[0]
    attrs.setdefault("modality", "spikes")
    attrs.setdefault("units", "count")
    return make_timeseries(counts, edges[:-1] + bw / 2, [str(i) for i in ids], fs=1.0 / bw,
                           channel_coords=channel_coords, bin_width=bw, **attrs)
