"""The one time-series convention of the suite: ``xarray.DataArray`` with dims ``("time", "channel")``.

``time`` is in seconds (float64), ``channel`` holds string ids; attrs carry ``modality``, ``fs``,
``units``, ``species``, ``subject``, ``session``, ``lab`` and ``source`` (DESIGN §4). Every reader
builds its output through :func:`make_timeseries` so the convention is enforced in one place.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from ..errors import BadDataError, InvalidInputError
from .validation import check_fs

__all__ = ["MODALITIES", "make_timeseries", "check_timestamps"]

MODALITIES = (
    "spikes",
    "calcium",
    "lfp",
    "ecog",
    "ieeg",
    "eeg",
    "meg",
    "fmri",
    "behavior",
    "physio",  # non-neural body signals: ECG, EOG, EMG, respiration
)


def check_timestamps(t: np.ndarray, *, name: str = "timestamps") -> np.ndarray:
    """Return ``t`` as float64 after checking it is finite and strictly increasing."""
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1:
        raise BadDataError(f"{name} must be 1-D; got shape {t.shape}.")
    if not np.isfinite(t).all():
        raise BadDataError(f"{name} contains NaN or inf; timestamps must all be finite seconds.")
    if t.size > 1:
        d = np.diff(t)
        if (d <= 0).any():
            i = int(np.flatnonzero(d <= 0)[0])
            raise BadDataError(
                f"{name} are not strictly increasing: t[{i}]={t[i]!r} is followed by "
                f"t[{i + 1}]={t[i + 1]!r}. Sort the samples or fix the clock before reading."
            )
    return t


def make_timeseries(
    data: np.ndarray,
    time: np.ndarray,
    channels: Sequence[Any] | None = None,
    *,
    modality: str,
    fs: float | None = None,
    units: str = "",
    channel_coords: Mapping[str, Sequence[Any]] | None = None,
    **attrs: Any,
) -> xr.DataArray:
    """Build a convention-conforming DataArray.

    Parameters
    ----------
    data : array, shape (n_times, n_channels)
    time : array, shape (n_times,)
        Seconds, strictly increasing.
    channels : sequence, optional
        Channel ids; converted to strings. Defaults to ``"0", "1", ...``.
    modality : str
        One of :data:`MODALITIES`.
    fs : float, optional
        Sampling rate in Hz (for binned spikes, ``1 / bin_width``).
    channel_coords : mapping, optional
        Extra per-channel coordinates such as ``region`` or ``unit_id``.
    **attrs
        ``species``, ``subject``, ``session``, ``lab``, ``source`` and anything else to carry along.

    Examples
    --------
    >>> import numpy as np
    >>> x = make_timeseries(np.zeros((3, 2)), np.arange(3) / 10.0, modality="lfp", fs=10.0)
    >>> x.dims, x.attrs["fs"]
    (('time', 'channel'), 10.0)
    """
    data = np.asarray(data)
    if data.dtype.kind not in "biufc":
        raise InvalidInputError(f"data must be numeric; got dtype {data.dtype}. Convert it with np.asarray(x, float).")
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise InvalidInputError(f"data must be (time, channel); got shape {data.shape}.")
    time = check_timestamps(time, name="time")
    if time.shape[0] != data.shape[0]:
        raise BadDataError(
            f"time has {time.shape[0]} samples but data has {data.shape[0]} rows; they must match."
        )
    if modality not in MODALITIES:
        raise InvalidInputError(f"modality={modality!r} is not one of {MODALITIES}.")
    if channels is None:
        channels = [str(i) for i in range(data.shape[1])]
    if isinstance(channels, (str, bytes)) or not isinstance(channels, (Sequence, np.ndarray)):
        raise InvalidInputError(f"channels={channels!r} must be a list of channel ids, one per data column.")
    channels = [str(c) for c in channels]
    if len(channels) != data.shape[1]:
        raise BadDataError(
            f"{len(channels)} channel ids for {data.shape[1]} data columns; they must match."
        )
    coords: dict[str, Any] = {"time": time, "channel": np.asarray(channels, dtype=object)}
    if channel_coords is not None and not isinstance(channel_coords, Mapping):
        raise InvalidInputError(f"channel_coords must be a mapping of name to per-channel values; got "
                                f"{type(channel_coords).__name__}.")
    for key, values in (channel_coords or {}).items():
        values = np.asarray(values)
        if values.ndim != 1 or values.shape[0] != data.shape[1]:
            raise BadDataError(f"channel coord {key!r} has shape {values.shape} for {data.shape[1]} channels; "
                               "pass one value per channel.")
        coords[key] = ("channel", values)
    all_attrs = {"modality": modality, "units": units}
    if fs is not None:
        all_attrs["fs"] = check_fs(fs)
    all_attrs.update({k: v for k, v in attrs.items() if v is not None})
    return xr.DataArray(data, dims=("time", "channel"), coords=coords, attrs=all_attrs)
