"""Spikes stay spike times until an analysis bins them; binning happens here, once."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from ..errors import InvalidInputError
from .timeseries import make_timeseries
from .validation import check_bin_width, check_window

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

    Raises ``InvalidInputError`` for a non-positive or non-finite ``bin_width``, a bad window, or
    bins that would not fit in memory (see :func:`~glue_widgets.model.validation.check_bin_width`).

    Examples
    --------
    >>> x = bin_spikes({"u1": np.array([0.01, 0.02, 0.15])}, 0.0, 0.2, 0.1, modality="spikes")
    >>> x.values[:, 0].tolist()
    [2, 1]
    """
    start, stop = check_window(start, stop)
    if start is None or stop is None:
        raise InvalidInputError("bin_spikes needs both start and stop in seconds.")
    if isinstance(spike_times, Mapping):
        ids, trains = list(spike_times.keys()), list(spike_times.values())
    elif isinstance(spike_times, Sequence) and not isinstance(spike_times, (str, bytes)):
        ids, trains = list(range(len(spike_times))), list(spike_times)
    else:
        raise InvalidInputError(f"spike_times must be a mapping of unit id to times or a list of arrays; got "
                                f"{type(spike_times).__name__}.")
    bw = check_bin_width(bin_width, span=stop - start, n_channels=max(1, len(trains)))
    n_bins = int(np.floor((stop - start) / bw + 1e-9))
    if n_bins < 1:
        raise InvalidInputError(
            f"window [{start}, {stop}) s is shorter than one bin of {bw} s; widen the window or "
            "use a smaller bin_width."
        )
    edges = start + bw * np.arange(n_bins + 1)
    counts = np.zeros((n_bins, len(trains)), dtype=np.int32)
    for j, t in enumerate(trains):
        try:
            t = np.asarray(t, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise InvalidInputError(f"spike times of unit {ids[j]!r} are not numbers.") from None
        if t.size:
            counts[:, j] = np.histogram(t, bins=edges)[0]
    attrs.setdefault("modality", "spikes")
    attrs.setdefault("units", "count")
    return make_timeseries(counts, edges[:-1] + bw / 2, [str(i) for i in ids], fs=1.0 / bw,
                           channel_coords=channel_coords, bin_width=bw, **attrs)
