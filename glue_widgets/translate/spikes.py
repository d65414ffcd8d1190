"""Calcium → spikes: ``infer_spikes`` with a supervised (ground-truth-trained) model, OASIS, or their mix.

``method="auto"`` (default): the supervised model where the trace lies inside its training range and its
own leave-one-dataset-out validation says it wins; a mix with OASIS where the validation says the mix
wins (fast kinetics); a warning and the OASIS-heavier mix outside the range (see
:mod:`~glue_widgets.translate.spike_domain`). Any input units (:mod:`~glue_widgets.translate.units`).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..errors import BadDataError, InvalidInputError
from ..model.validation import check_fs
from .groundtruth import noise_level
from .oasis_backend import oasis_trace
from .spike_domain import ChoiceRule, Domain, SpikeDomainWarning
from .spike_features import fill_gaps
from .supervised import DEFAULT_MODEL_PATH, SpikeModel
from .units import UNIT_KINDS, detect_units, to_dff

__all__ = ["infer_spikes", "load_spike_model", "SpikeDomainWarning"]

_MIN_FRAMES = 10
_METHODS = ("auto", "supervised", "oasis", "ensemble")


@lru_cache(maxsize=4)
def _cached_model(path: str) -> SpikeModel:
    return SpikeModel.load(path)


def load_spike_model(path: str | Path | None = None) -> SpikeModel:
    """The supervised spike model (default: the one shipped in ``translate/models/spike_model.npz``)."""
    return _cached_model(str(Path(path) if path is not None else DEFAULT_MODEL_PATH))


def _rule_and_domain(m: SpikeModel) -> tuple[ChoiceRule, Domain]:
    extra = getattr(m, "extra_", {}) or {}
    rule = ChoiceRule.from_array(extra["rule"]) if "rule" in extra else ChoiceRule()
    dom = Domain.from_array(extra["domain"]) if "domain" in extra else Domain()
    return rule, dom


def mix(sup: np.ndarray, oas: np.ndarray, w: float) -> np.ndarray:
    """``w`` × supervised + (1 − w) × OASIS rescaled to the supervised total (spikes per frame)."""
    if w >= 1:
        return sup
    so, ss = float(np.sum(oas)), float(np.sum(sup))
    o = oas * (ss / so) if so > 0 and ss > 0 else oas
    return w * sup + (1 - w) * o


def infer_spikes(
    dff: Any,
    fs: float,
    method: Literal["auto", "supervised", "oasis", "ensemble"] = "auto",
    *,
    axis: int = -1,
    model: SpikeModel | str | Path | None = None,
    ar_order: int = 1,
    units: Literal["auto", "dff", "percent", "raw", "zscore"] = "auto",
    weight: float = 0.5,
    return_info: bool = False,
) -> Any:
    """Expected spikes per frame from a calcium trace, same shape (and type) as ``dff``.

    Parameters
    ----------
    dff : array or DataArray
        Calcium traces in any units (``units``). A 1-D trace, a 2-D numpy array ``(cells, time)`` (time
        along ``axis``), or a DataArray with dims ``("time", "channel")``. NaN gaps are interpolated for
        inference and returned as NaN.
    fs : float
        Frame rate (Hz).
    method : {"auto", "supervised", "oasis", "ensemble"}
        ``"supervised"``: the network trained on the 20 CASCADE ground-truth datasets, in units of each
        trace's noise (output in spikes per frame). ``"oasis"``: OASIS deconvolution with AR decay and
        noise estimated per trace (output in ΔF/F jump units per frame, proportional to spikes).
        ``"ensemble"``: ``weight`` × supervised + (1 − ``weight``) × OASIS rescaled to the same total.
        ``"auto"`` (default): per trace, the supervised model or a mix, chosen by the rule its
        leave-one-dataset-out validation tuned; outside the training range a
        :class:`SpikeDomainWarning` and the rule's fallback mix (see ``return_info``).
    axis : int
        Time axis of a numpy input (default last: ``(cells, time)``). Ignored for DataArrays.
    model : SpikeModel or path, optional
        A supervised model other than the shipped one.
    ar_order : int
        AR order of the OASIS calcium model (1: decay only; 2: rise and decay).
    units : {"auto", "dff", "percent", "raw", "zscore"}
        Units of the input: ΔF/F fraction, ΔF/F %, raw fluorescence with its offset, z-scored or
        otherwise normalized. ``"auto"`` detects them (:func:`glue_widgets.translate.units.detect_units`).
    weight : float
        Supervised share of ``method="ensemble"``.
    return_info : bool
        Also return a dict of what was done: units detected and conversion, per trace the method used,
        its supervised weight, the noise level, decay time and why it was outside the training range.

    Returns
    -------
    Same type and shape as ``dff`` (and the info dict with ``return_info``). A DataArray keeps its
    coords; attrs gain ``modality="spikes"``, ``units``, ``spike_method``, ``spike_units_detected``,
    ``spike_units_conversion``, ``spike_methods_used``, ``spike_outside_domain`` (count of traces).

    Raises
    ------
    InvalidInputError
        Non-positive fs, too few frames, unknown method or units.
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
    if method not in _METHODS:
        raise InvalidInputError(f"method={method!r} is not known; use one of {_METHODS}.")
    if units not in UNIT_KINDS:
        raise InvalidInputError(f"units={units!r} is not known; use one of {UNIT_KINDS}.")
    if not 0.0 <= float(weight) <= 1.0:
        raise InvalidInputError(f"weight={weight!r} must be in [0, 1] (the supervised share of the ensemble).")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise InvalidInputError(f"axis={axis!r} must be an integer (the time axis of a numpy input, e.g. -1).")
    if isinstance(ar_order, bool) or ar_order not in (1, 2):
        raise InvalidInputError(f"ar_order={ar_order!r}: OASIS models calcium as an AR(1) or AR(2) process; "
                                "use ar_order=1 (default) or 2.")
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

    if n_time < _MIN_FRAMES:
        raise InvalidInputError(f"dff has {n_time} frames; spike inference needs at least {_MIN_FRAMES} frames.")
    filled = np.empty(traces.shape)
    oks = np.empty(traces.shape, bool)
    for i, y in enumerate(traces):
        if not np.isfinite(y).any():
            raise BadDataError(
                f"trace {i} of dff is entirely NaN/inf; drop it (e.g. dff[np.isfinite(dff).any(-1)]) "
                "before inferring spikes.")
        filled[i], oks[i] = fill_gaps(y)
    kind, stats = detect_units(filled, fs) if units == "auto" else (units, {})
    conv, how = to_dff(filled, kind, fs)
    info: dict[str, Any] = dict(method=method, units_detected=kind, units_given=units, **how,
                                methods_used=[], weights=[], noise_level=[], decay_s=[], outside=[])
    m = None
    if method != "oasis":
        m = model if isinstance(model, SpikeModel) else load_spike_model(model)
        rule, dom = _rule_and_domain(m)
    out = np.full(traces.shape, np.nan)
    n_out = 0
    for i in range(traces.shape[0]):
        y = conv[i]
        if method == "oasis":
            nu = noise_level(y, fs) if kind != "zscore" else None
            s = oasis_trace(y, fs, ar_order=ar_order)
            used, w, d = "oasis", 0.0, {"decay_s": float("nan")}
        else:
            d: dict = {}
            s = m.predict_trace(y, fs, info=d)
            # ν = median|Δ ΔF/F|·100/√fs, from the σ the model measured (σ = median|Δ| / (0.6745·√2))
            nu = d["sigma"] * 0.6745 * np.sqrt(2.0) * 100.0 / np.sqrt(fs) if kind != "zscore" else None
            why = dom.outside(fs, nu, d["decay_s"]) if method == "auto" else []
            w = 1.0 if method == "supervised" else float(weight) if method == "ensemble" else \
                rule.weight(bool(why), d["decay_s"])
            if why:
                n_out += 1
                info["outside"].append((i, "; ".join(why)))
            if w < 1:
                s = mix(s, oasis_trace(y, fs, ar_order=ar_order), w)
            used = "supervised" if w >= 1 else "oasis" if w <= 0 else f"ensemble(w={w:.2f})"
        s[~oks[i]] = np.nan
        out[i] = s
        info["methods_used"].append(used)
        info["weights"].append(w)
        info["noise_level"].append(nu if nu is not None else float("nan"))
        info["decay_s"].append(float(d["decay_s"]))
    if n_out:
        first = info["outside"][0]
        warnings.warn(
            f"{n_out} of {traces.shape[0]} traces lie outside the spike model's training range (trace "
            f"{first[0]}: {first[1]}); used the fallback mix with OASIS (supervised weight "
            f"{rule.w_out:.2f}). See return_info=True for every trace.", SpikeDomainWarning, stacklevel=2)

    if arr.ndim == 1:
        res = out[0]
    else:
        res = np.moveaxis(out, -1, tax)
    if da is not None:
        new = da.copy(data=res)
        new.attrs.update(modality="spikes", units="a.u." if method == "oasis" else "spikes/frame",
                         spike_method=method, spike_units_detected=kind,
                         spike_units_conversion=info["conversion"],
                         spike_methods_used=", ".join(sorted(set(info["methods_used"]))),
                         spike_outside_domain=n_out)
        res = new
    return (res, info) if return_info else res
