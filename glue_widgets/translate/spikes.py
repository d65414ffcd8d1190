"""Calcium → spikes: ``infer_spikes`` with a supervised (ground-truth-trained) or model-based (OASIS) method."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..errors import BadDataError, InvalidInputError
from ..model.validation import check_fs
from .groundtruth import noise_level
from .oasis_backend import oasis_trace
from .supervised import DEFAULT_MODEL_PATH, SpikeModel

__all__ = ["infer_spikes", "load_spike_model"]

_MIN_OASIS_FRAMES = 10


@lru_cache(maxsize=4)
def _cached_model(path: str) -> SpikeModel:
    return SpikeModel.load(path)


def load_spike_model(path: str | Path | None = None) -> SpikeModel:
    """The supervised spike model (default: the one shipped in ``translate/models/spike_model.npz``)."""
    return _cached_model(str(Path(path) if path is not None else DEFAULT_MODEL_PATH))


def infer_spikes(
    dff: Any,
    fs: float,
    method: Literal["supervised", "oasis"] = "supervised",
    *,
    axis: int = -1,
    model: SpikeModel | str | Path | None = None,
    ar_order: int = 1,
) -> Any:
    """Expected spikes per frame from ΔF/F, same shape (and type) as ``dff``.

    Parameters
    ----------
    dff : array or DataArray
        ΔF/F as a fraction (0.1 = 10 %). A 1-D trace, a 2-D numpy array ``(cells, time)`` (time along
        ``axis``), or a DataArray with dims ``("time", "channel")``. NaN gaps are interpolated for
        inference and returned as NaN.
    fs : float
        Frame rate (Hz).
    method : {"supervised", "oasis"}
        ``"supervised"``: the noise-conditioned network trained on the CASCADE ground truth (output in
        spikes per frame). ``"oasis"``: OASIS deconvolution with AR decay and noise estimated per
        trace (output in ΔF/F jump units per frame, proportional to spikes).
    axis : int
        Time axis of a numpy input (default last: ``(cells, time)``). Ignored for DataArrays.
    model : SpikeModel or path, optional
        A supervised model other than the shipped one.
    ar_order : int
        AR order of the OASIS calcium model (1: decay only; 2: rise and decay).

    Returns
    -------
    Same type and shape as ``dff``. A DataArray keeps its coords; attrs gain ``modality="spikes"``,
    ``units``, ``spike_method``.

    Raises
    ------
    InvalidInputError
        Non-positive fs, fs below the supervised model's rate, too few frames, unknown method.
    BadDataError
        A trace with no finite value.

    Examples
    --------
    >>> import numpy as np, glue_widgets as gw
    >>> rng = np.random.default_rng(0)
    >>> dff = gw.translate.simulate_calcium(rng.poisson(0.05, (3, 3000)), fs=30.0, seed=0)
    >>> s = gw.translate.infer_spikes(dff, fs=30.0)
    >>> s.shape
    (3, 3000)
    """
    fs = check_fs(fs)
    if method not in ("supervised", "oasis"):
        raise InvalidInputError(f"method={method!r} is not known; use 'supervised' or 'oasis'.")
    da = None
    try:
        import xarray as xr

        if isinstance(dff, xr.DataArray):
            da = dff
    except ImportError:  # pragma: no cover
        pass
    if da is not None:
        if "time" not in da.dims:
            raise InvalidInputError(f"dff has dims {da.dims}; expected ('time', 'channel').")
        tax = da.dims.index("time")
        own = da.attrs.get("fs")
        if own is not None:
            try:
                own = float(own)
            except (TypeError, ValueError):
                own = None
        # the DataArray says at what rate it was sampled: a different fs argument would silently
        # misplace every spike in time, so refuse it
        if own is not None and np.isfinite(own) and own > 0 and abs(own - fs) > 1e-3 * own:
            raise InvalidInputError(
                f"fs={fs:g} Hz disagrees with the DataArray's attrs['fs']={own:g} Hz; pass fs={own:g} "
                "(or resample the data first and update attrs['fs']).")
        arr = np.asarray(da.values, dtype=float)
    else:
        try:
            arr = np.asarray(dff, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"dff could not be converted to a numeric array: {exc}") from exc
        if arr.ndim not in (1, 2):
            raise InvalidInputError(f"dff must be 1-D (time) or 2-D (cells, time); got shape {arr.shape}.")
        tax = axis % arr.ndim
    if arr.ndim == 1:
        traces = arr[None, :]
    elif arr.ndim == 2:
        traces = np.moveaxis(arr, tax, -1)
    else:
        raise InvalidInputError(f"dff must be 1-D or 2-D; got shape {arr.shape}.")
    n_time = traces.shape[-1]

    if method == "supervised":
        m = model if isinstance(model, SpikeModel) else load_spike_model(model)
        if fs < 0.95 * m.rate:
            raise InvalidInputError(
                f"fs={fs:g} Hz is below the supervised model's rate ({m.rate:g} Hz): the model was "
                f"trained at {m.rate:g} Hz and cannot be applied to slower imaging. Use method='oasis', "
                f"or train a model at your rate with scripts/train_spike_model.py --rate {fs:g}.")
        min_frames = int(np.ceil(m.window / m.rate * fs))
        if n_time < min_frames:
            raise InvalidInputError(
                f"dff has {n_time} frames; the supervised model's window needs at least {min_frames} "
                f"frames ({m.window / m.rate:.2f} s at fs={fs:g} Hz). Pass a longer trace.")
    elif n_time < _MIN_OASIS_FRAMES:
        raise InvalidInputError(f"dff has {n_time} frames; OASIS needs at least {_MIN_OASIS_FRAMES}.")

    out = np.full(traces.shape, np.nan)
    idx = np.arange(n_time)
    for i, y in enumerate(traces):
        ok = np.isfinite(y)
        if not ok.any():
            raise BadDataError(
                f"trace {i} of dff is entirely NaN/inf; drop it (e.g. dff[np.isfinite(dff).any(-1)]) "
                "before inferring spikes.")
        yf = y if ok.all() else np.interp(idx, idx[ok], y[ok])
        if method == "supervised":
            s = m.predict_trace(yf, fs, nu=noise_level(y, fs))
        else:
            s = oasis_trace(yf, fs, ar_order=ar_order)
        s[~ok] = np.nan
        out[i] = s

    if arr.ndim == 1:
        res = out[0]
    else:
        res = np.moveaxis(out, -1, tax)
    if da is not None:
        new = da.copy(data=res)
        new.attrs.update(modality="spikes", units="spikes/frame" if method == "supervised" else "a.u.",
                         spike_method=method)
        return new
    return res
