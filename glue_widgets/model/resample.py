"""Resampling a time series for display or for a quick analysis: block means to a maximum rate."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import InvalidInputError

__all__ = ["block_mean"]


def block_mean(x: xr.DataArray, max_fs: float) -> xr.DataArray:
    """``x`` at no more than ``max_fs`` Hz: the mean of each block of ``q = ceil(fs / max_fs)`` samples.

    A block mean is a boxcar low-pass followed by decimation: it keeps slow activity (rest-state
    covariance, latent trajectories) and is cheap; it is not an anti-aliasing filter with a sharp
    cut-off, so use ``scipy.signal.decimate`` when the spectrum near the new Nyquist rate matters.
    Trailing samples that do not fill a block are dropped. The settings are recorded in attrs
    (``fs``, ``decimated_from_fs``, ``decimation``).

    Parameters
    ----------
    x : xarray.DataArray
        Dims ``("time", "channel")`` with ``attrs["fs"]`` (Hz); without ``fs``, or already at
        ``fs <= max_fs``, ``x`` is returned unchanged.
    max_fs : float
        The highest rate wanted (Hz), > 0.

    Returns
    -------
    xarray.DataArray
        Block means, time coordinate = mean time of each block.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> x = xr.DataArray(np.arange(8.0)[:, None], dims=("time", "channel"),
    ...                  coords={"time": np.arange(8) / 100.0, "channel": ["c0"]}, attrs={"fs": 100.0})
    >>> y = block_mean(x, 25.0)
    >>> y.values.ravel().tolist(), y.attrs["fs"]
    ([1.5, 5.5], 25.0)
    """
    if not isinstance(max_fs, (int, float)) or not np.isfinite(max_fs) or max_fs <= 0:
        raise InvalidInputError(f"max_fs={max_fs!r} must be a finite rate in Hz above 0, e.g. 50.0.")
    fs = float(x.attrs.get("fs") or 0)
    if not fs or fs <= max_fs:
        return x
    q = int(np.ceil(fs / max_fs))
    n = (x.sizes["time"] // q) * q
    v = np.asarray(x.values[:n]).reshape(-1, q, x.sizes["channel"]).mean(1)
    t = np.asarray(x.time.values[:n], float).reshape(-1, q).mean(1)
    return xr.DataArray(v, dims=("time", "channel"), coords={"time": t, "channel": x.channel.values},
                        attrs=dict(x.attrs, fs=fs / q, decimated_from_fs=fs, decimation="block mean"))
