"""Input validation at the boundary: turn what users pass into checked numpy arrays.

Analysis functions accept numpy arrays ``(time, channels)`` or xarray DataArrays with dims
``("time", "channel")``; they call :func:`as_time_by_channel` once, at entry, and work on plain
arrays inside.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BadDataError, InvalidInputError

__all__ = ["as_time_by_channel", "check_fs", "check_positive_int"]


def as_time_by_channel(
    x: Any,
    *,
    name: str = "x",
    allow_nan: bool = False,
    min_samples: int = 1,
    min_channels: int = 1,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Return ``x`` as a 2-D float array ``(time, channel)``.

    A 1-D input is one channel. A DataArray is transposed to ``("time", "channel")`` by name, so a
    ``("channel", "time")`` array is handled correctly.

    Raises
    ------
    InvalidInputError
        Wrong dimensionality or too few samples/channels.
    BadDataError
        NaN or infinite values when ``allow_nan`` is False.
    """
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover - xarray is a hard dependency
        xr = None
    if xr is not None and isinstance(x, xr.DataArray):
        if set(x.dims) == {"time", "channel"}:
            x = x.transpose("time", "channel")
        elif x.ndim == 1 and x.dims[0] == "time":
            pass
        elif x.ndim == 2:
            raise InvalidInputError(
                f"{name} has dims {x.dims}; expected ('time', 'channel'). Rename them with "
                f"x.rename({{...}}) or pass x.values with time along the first axis."
            )
        x = x.values
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} could not be converted to a numeric array: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InvalidInputError(
            f"{name} must be 2-D (time, channels); got shape {arr.shape}."
        )
    if arr.shape[0] < min_samples:
        raise InvalidInputError(
            f"{name} has {arr.shape[0]} samples; at least {min_samples} are needed."
        )
    if arr.shape[1] < min_channels:
        raise InvalidInputError(
            f"{name} has {arr.shape[1]} channels; at least {min_channels} are needed."
        )
    if not allow_nan and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        cols = np.flatnonzero(~np.isfinite(arr).all(axis=0))[:5].tolist()
        raise BadDataError(
            f"{name} contains {bad} NaN/inf values (channels {cols}...). Interpolate or drop them "
            f"first, e.g. x[:, np.isfinite(x).all(0)] to drop channels with gaps."
        )
    return arr


def check_fs(fs: Any, *, name: str = "fs") -> float:
    """Return a sampling rate as a positive finite float, or raise InvalidInputError."""
    try:
        val = float(fs)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}={fs!r} is not a number; pass the sampling rate in Hz.") from exc
    if not np.isfinite(val) or val <= 0:
        raise InvalidInputError(f"{name}={fs!r} must be a positive sampling rate in Hz.")
    return val


def check_positive_int(value: Any, *, name: str) -> int:
    """Return ``value`` as a positive int, or raise InvalidInputError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"{name}={value!r} must be a positive integer.")
    return int(value)
