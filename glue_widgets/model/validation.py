"""Input validation at the boundary: turn what users pass into checked numpy arrays.

Analysis functions accept numpy arrays ``(time, channels)`` or xarray DataArrays with dims
``("time", "channel")``; they call :func:`as_time_by_channel` once, at entry, and work on plain
arrays inside.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..errors import BadDataError, InvalidInputError, WindowError

__all__ = ["as_time_by_channel", "check_fs", "check_positive_int", "check_number", "check_window",
           "check_bin_width", "check_array_size", "MAX_ARRAY_ELEMENTS"]

#: the largest array (elements) a read or a binning may allocate: 2**28 (1 GiB of float32, 2 GiB of float64)
MAX_ARRAY_ELEMENTS = 2**28


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


def check_number(value: Any, *, name: str, finite: bool = True) -> float:
    """Return a real number as float, or raise InvalidInputError naming it.

    Strings, booleans, complex numbers and arrays with more than one element are refused; NaN and
    infinity too unless ``finite=False``.

    Examples
    --------
    >>> check_number(2, name="start")
    2.0
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not ok and isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        ok = True
    if not ok:
        raise InvalidInputError(f"{name}={value!r} must be a real number (got {type(value).__name__}).")
    out = float(value)
    if finite and not np.isfinite(out):
        raise InvalidInputError(f"{name}={value!r} must be a finite number.")
    return out


def check_window(start: Any, stop: Any) -> tuple[float | None, float | None]:
    """Check a time window ``[start, stop)`` in seconds; ``None`` means the stream's own edge.

    Every source's ``read`` goes through :meth:`Session.read`, which calls this first; readers with
    their own entry points (``spike_times``, ``window_indices``) get it through ``_check_window``.

    Raises
    ------
    InvalidInputError
        ``start`` or ``stop`` is not a real number (e.g. ``'abc'``, ``True``, a list).
    WindowError
        NaN or infinite bounds, or ``stop <= start``.

    Examples
    --------
    >>> check_window(1, 2.5)
    (1.0, 2.5)
    >>> check_window(None, 10)
    (None, 10.0)
    """
    out = []
    for name, v in (("start", start), ("stop", stop)):
        if v is None:
            out.append(None)
            continue
        val = check_number(v, name=name, finite=False)
        if not np.isfinite(val):
            raise WindowError(f"window {name}={v!r} must be finite seconds.")
        out.append(val)
    if out[0] is not None and out[1] is not None and out[1] <= out[0]:
        raise WindowError(f"window start={out[0]} s is not before stop={out[1]} s; pass start < stop.")
    return out[0], out[1]


def check_array_size(shape: tuple[int, ...], *, what: str, fix: str) -> None:
    """Refuse to allocate an array of ``shape`` with more than :data:`MAX_ARRAY_ELEMENTS` elements."""
    n = float(np.prod([float(max(0, d)) for d in shape]))
    if n > MAX_ARRAY_ELEMENTS:
        raise InvalidInputError(
            f"{what} would hold {n:.3g} values (shape {tuple(int(d) for d in shape)}), more than the "
            f"{MAX_ARRAY_ELEMENTS:.3g} allowed in memory; {fix}")


def check_bin_width(bin_width: Any, *, span: float | None = None, n_channels: int = 1) -> float:
    """Return a spike-binning width (s) as a positive finite float.

    With ``span`` (seconds to bin) and ``n_channels``, also refuse widths whose bins would not fit
    in memory (more than :data:`MAX_ARRAY_ELEMENTS` counts), e.g. ``bin_width=1e-9`` over minutes.

    Examples
    --------
    >>> check_bin_width(0.04)
    0.04
    """
    bw = check_number(bin_width, name="bin_width", finite=False)
    if not np.isfinite(bw) or bw <= 0:
        raise InvalidInputError(f"bin_width={bin_width!r} must be a positive number of seconds, e.g. 0.04.")
    if span is not None:
        check_array_size((span / bw, n_channels), what=f"binning {span:g} s in bins of {bw:g} s",
                         fix="use a wider bin_width or a shorter window.")
    return bw
