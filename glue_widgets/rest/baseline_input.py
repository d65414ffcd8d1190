"""Inputs of the baseline comparison: MNE objects, DataArrays and bare arrays read the right way round,
with the sampling rate and the frequency band the recording carries.

- MNE ``Raw`` / ``Epochs`` (anything with ``get_data()`` and ``info``): data channels only, epochs
  concatenated; ``fs`` = ``info["sfreq"]``; band = ``info["highpass"]``..``info["lowpass"]``.
- DataArray: its dims tell the orientation (``time`` and ``channel``; 1-D ``time`` is one channel);
  ``attrs`` give ``fs`` and, when present, ``highpass`` / ``lowpass`` (Hz).
- Bare array: 1-D is one channel; 2-D with more rows than columns is (time, channel); with clearly
  more columns than rows (at least twice) it is (channel, time), as MNE's ``get_data()`` returns it;
  anything in between is ambiguous and refused with the fix named.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidInputError

__all__ = ["read_segment", "spectral_band", "DEFAULT_FMAX_EEG"]

DEFAULT_FMAX_EEG = 45.0  # Hz: stated default upper band edge for scalp EEG/MEG without filter metadata
_SCALP = {"eeg", "meg", None, ""}


def _is_mne(x: Any) -> bool:
    return hasattr(x, "get_data") and hasattr(x, "info") and hasattr(x.info, "get")


def read_segment(x: Any, name: str) -> dict[str, Any]:
    """Return ``{"data": (time, channel) float array, "channels", "fs", "highpass", "lowpass", "modality",
    "orientation"}`` for one segment (see the module docstring for what is accepted)."""
    if isinstance(x, (list, tuple)) and len(x) and all(hasattr(v, "shape") or isinstance(v, (list, tuple))
                                                       for v in x) and not np.isscalar(x[0]):
        parts = [read_segment(v, f"{name}[{i}]") for i, v in enumerate(x)]
        if len({p["data"].shape[1] for p in parts}) != 1:
            raise InvalidInputError(f"{name} is a list of pieces with {[p['data'].shape[1] for p in parts]} "
                                    "channels; every piece needs the same channels.")
        out = dict(parts[0])
        out["data"] = np.vstack([p["data"] for p in parts])
        out["orientation"] = f"{len(parts)} pieces concatenated in time ({parts[0]['orientation']})"
        return out
    if _is_mne(x):
        info = x.info
        try:
            import mne

            picks = mne.pick_types(info, meg=True, eeg=True, seeg=True, ecog=True, dbs=True, exclude="bads")
        except Exception:  # noqa: BLE001 - any MNE version problem: take every channel
            picks = np.arange(len(info["ch_names"]))
        if len(picks) == 0:
            picks = np.arange(len(info["ch_names"]))
        arr = np.asarray(x.get_data(picks=picks), float)
        if arr.ndim == 3:  # Epochs: (epoch, channel, time) -> concatenated in time
            arr = np.concatenate(list(arr), axis=1)
        chans = [str(info["ch_names"][i]) for i in picks]
        hp, lp = info.get("highpass"), info.get("lowpass")
        return {"data": arr.T.copy(), "channels": chans, "fs": float(info["sfreq"]),
                "highpass": float(hp) if hp else None, "lowpass": float(lp) if lp else None,
                "modality": "eeg", "orientation": f"MNE {type(x).__name__} (channel, time) transposed"}
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover - hard dependency
        xr = None
    if xr is not None and isinstance(x, xr.DataArray):
        attrs = x.attrs
        if x.ndim == 1:
            if x.dims[0] not in ("time",):
                raise InvalidInputError(f"{name} is 1-D along {x.dims[0]!r}; a single-channel segment runs "
                                        "along 'time' (x.rename({...: 'time'})).")
            arr, chans = np.asarray(x.values, float)[:, None], None
        elif set(x.dims) == {"time", "channel"}:
            x = x.transpose("time", "channel")
            arr = np.asarray(x.values, float)
            chans = [str(c) for c in x.channel.values] if "channel" in x.coords else None
        else:
            raise InvalidInputError(f"{name} has dims {x.dims}; expected 'time' and 'channel' (in either order). "
                                    "Rename them: x.rename({'<dim>': 'time', ...}).")
        f = attrs.get("fs") or attrs.get("sfreq")
        return {"data": arr, "channels": chans, "fs": float(f) if f else None,
                "highpass": _num(attrs.get("highpass")), "lowpass": _num(attrs.get("lowpass")),
                "modality": attrs.get("modality"), "orientation": f"DataArray dims {tuple(x.dims)}"}
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} could not be read as numbers ({type(x).__name__}): {exc}. Pass an "
                                "array, a DataArray ('time', 'channel') or an MNE Raw/Epochs.") from exc
    if arr.ndim == 1:
        return _bare(arr[:, None], "1-D: one channel")
    if arr.ndim != 2:
        raise InvalidInputError(f"{name} has shape {arr.shape}; pass (time, channel), (channel, time) with "
                                "many more samples than channels, a DataArray, or an MNE Raw/Epochs.")
    r, c = arr.shape
    if r > c and r >= 2 * c:
        return _bare(arr, "bare array (time, channel): more rows than columns")
    if c >= 2 * r:
        return _bare(arr.T.copy(), "bare array (channel, time): more columns than rows, transposed")
    raise InvalidInputError(
        f"{name} has shape {arr.shape}: too close to square to tell time from channels. Wrap it with its dims: "
        "xarray.DataArray(x, dims=('time', 'channel')) (or ('channel', 'time')), with attrs={'fs': ...}.")


def _bare(arr: np.ndarray, how: str) -> dict[str, Any]:
    return {"data": arr, "channels": None, "fs": None, "highpass": None, "lowpass": None, "modality": None,
            "orientation": how}


def _num(v: Any) -> float | None:
    try:
        return float(v) if v is not None and float(v) > 0 else None
    except (TypeError, ValueError):
        return None


def spectral_band(fs: float | None, segs: list[dict[str, Any]], fmin: float | None,
                  fmax: float | None) -> tuple[float, float, str]:
    """(low, high, how) edges of the band the spectra compare.

    Given ``fmin``/``fmax`` win. Otherwise the recording's filter metadata (the narrower of the two
    segments' ``highpass``..``lowpass``); without it, scalp EEG/MEG (or unknown modality) uses
    ``min(Nyquist, 45 Hz)`` and ``0.5 Hz``; other modalities use Nyquist and 0. Without ``fs`` the
    spectra run in normalized frequency (cycles/sample) over the whole band.
    """
    if fs is None:
        hi = 0.5 if fmax is None else float(fmax)
        return (0.0 if fmin is None else float(fmin)), hi, "fs unknown: normalized frequency (cycles/sample), " \
            "whole band; pass fs= or a DataArray with attrs['fs'] to limit it to the recorded band"
    nyq = fs / 2
    lows = [s["highpass"] for s in segs if s.get("highpass")]
    highs = [s["lowpass"] for s in segs if s.get("lowpass")]
    scalp = all(s.get("modality") in _SCALP for s in segs)
    if fmax is not None:
        hi, how_hi = min(float(fmax), nyq), "fmax given"
    elif highs:
        hi, how_hi = min(min(highs), nyq), "lowpass from the recording's filter metadata"
    elif scalp:
        hi, how_hi = min(nyq, DEFAULT_FMAX_EEG), f"no filter metadata: min(Nyquist, {DEFAULT_FMAX_EEG:g} Hz) for EEG"
    else:
        hi, how_hi = nyq, "no filter metadata: Nyquist"
    if fmin is not None:
        lo, how_lo = float(fmin), "fmin given"
    elif lows:
        lo, how_lo = max(lows), "highpass from the recording's filter metadata"
    else:
        lo, how_lo = (0.5, "default 0.5 Hz") if scalp else (0.0, "default 0 Hz")
    if not lo < hi:
        raise InvalidInputError(f"the spectral band {lo:g}-{hi:g} Hz is empty; check fmin/fmax or the filter "
                                "metadata (attrs 'highpass'/'lowpass').")
    return lo, hi, f"{how_lo}; {how_hi}"
