"""Numpy in, same kind out: the one wrapper analysis uses at its boundary.

Analysis functions accept numpy arrays ``(time, channels)`` or DataArrays ``("time", "channel")``
(DESIGN §3) and compute on plain arrays. :func:`as_array` checks the input once and keeps what is
needed to give the answer back in the caller's terms (:class:`InputMeta`: the time coordinate, the
channel names, the attrs); :func:`like_input` wraps a result: a DataArray when the input was one,
the plain array otherwise.

Examples
--------
>>> import numpy as np, xarray as xr
>>> x = xr.DataArray(np.zeros((4, 2)), dims=("time", "channel"),
...                  coords={"time": np.arange(4) / 10.0, "channel": ["a", "b"]}, attrs={"fs": 10.0})
>>> arr, meta = as_array(x)
>>> arr.shape, meta.channels
((4, 2), ['a', 'b'])
>>> y = like_input(arr[:, :1] + 1, meta, channels=["sum"], attrs={"modality": "eeg"})
>>> y.dims, y.attrs["fs"], y.channel.values.tolist()
(('time', 'channel'), 10.0, ['sum'])
>>> like_input(np.ones(3), as_array(np.zeros((3, 1)))[1]).shape   # numpy in, numpy out
(3,)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InvalidInputError
from .validation import as_time_by_channel

__all__ = ["InputMeta", "as_array", "like_input", "channel_names"]


@dataclass(frozen=True)
class InputMeta:
    """What :func:`like_input` needs to give a result back in the input's form.

    Attributes
    ----------
    is_dataarray : bool
        The input was an ``xarray.DataArray``.
    time : ndarray or None
        Its ``time`` coordinate (seconds), when it had one.
    channels : list of str or None
        Its ``channel`` coordinate, when it had one.
    attrs : dict
        Its attrs (a copy).
    """

    is_dataarray: bool = False
    time: np.ndarray | None = None
    channels: list[str] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def channel_names(x: Any) -> list[str] | None:
    """The ``channel`` coordinate of a DataArray as strings; None for anything else."""
    import xarray as xr

    if isinstance(x, xr.DataArray) and "channel" in x.dims and "channel" in x.coords:
        return [str(c) for c in x["channel"].values]
    return None


def meta_of(x: Any) -> InputMeta:
    """:class:`InputMeta` of ``x`` without converting it."""
    import xarray as xr

    if not isinstance(x, xr.DataArray):
        return InputMeta()
    time = np.asarray(x["time"].values) if "time" in x.dims and "time" in x.coords else None
    return InputMeta(is_dataarray=True, time=time, channels=channel_names(x), attrs=dict(x.attrs))


def as_array(x: Any, *, name: str = "x", **checks: Any) -> tuple[np.ndarray, InputMeta]:
    """``(array (time, channel), meta)``: the checked float array and what to wrap the result with.

    ``checks`` go to :func:`glue_widgets.model.as_time_by_channel` (``min_samples``, ``allow_nan``, ...).

    Examples
    --------
    >>> arr, meta = as_array(np.arange(3.0))   # 1-D: one channel
    >>> arr.shape, meta.is_dataarray
    ((3, 1), False)
    """
    return as_time_by_channel(x, name=name, **checks), meta_of(x)


def like_input(y: Any, meta: InputMeta, *, channels: Sequence[str] | None = None,
               time: Any = None, attrs: Mapping[str, Any] | None = None) -> Any:
    """``y`` (time × k) as a DataArray like the input described by ``meta``; unchanged for numpy input.

    Parameters
    ----------
    y : array (time, k)
        The result.
    meta : InputMeta
        From :func:`as_array` (or :func:`meta_of`) on the input.
    channels : sequence of str, optional
        Names of y's columns (default: the input's channels when the count matches, else ``y0 …``).
    time : array, optional
        Time coordinate of y's rows (default: the input's when the length matches, e.g. pass
        ``meta.time[order:]`` for a prediction that starts ``order`` samples in).
    attrs : mapping, optional
        Added to (overriding) the input's attrs.
    """
    if not meta.is_dataarray:
        return y
    import xarray as xr

    y = np.asarray(y)
    if y.ndim != 2:
        raise InvalidInputError(f"like_input wraps (time, channel) results; got shape {y.shape}.")
    if channels is None:
        channels = meta.channels if meta.channels is not None and len(meta.channels) == y.shape[1] else \
            [f"y{i}" for i in range(y.shape[1])]
    coords: dict[str, Any] = {"channel": [str(c) for c in channels]}
    if time is None and meta.time is not None and len(meta.time) == y.shape[0]:
        time = meta.time
    if time is not None:
        coords["time"] = np.asarray(time)
    return xr.DataArray(y, dims=("time", "channel"), coords=coords, attrs={**meta.attrs, **dict(attrs or {})})
