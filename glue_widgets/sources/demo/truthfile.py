"""Ground truth of the demo corpus: assembled at build time, stored beside the data, loaded for EVALUATION.

No method may fit on it. The file pair ``truth/<slug>.json`` + ``truth/<slug>.npz`` holds one session's
dict: JSON for the structure and scalars, npz (``allow_pickle=False``) for arrays. DataArrays round-trip
with their dims and coordinates. The keys are documented in ``README.md`` beside this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ... import simulate as sim

__all__ = ["save_truth", "load_truth", "nwb_truth", "human_truth", "NWB_TRUTH_KEYS", "BIDS_TRUTH_KEYS"]

COMMON_KEYS = ("uri", "lab", "species", "subject", "session", "generator", "family", "k", "latent_fs",
               "latents", "latent_time", "dynamics", "rest_epochs", "task_epochs", "anchor_times",
               "anchor_duration", "communication", "leadfield", "arousal")
NWB_TRUTH_KEYS = COMMON_KEYS + ("loadings", "baselines", "gains", "arousal_coupling", "unit_ids",
                                "unit_to_neuron", "velocity_readout", "anchor_response", "private_latents",
                                "true_spikes", "true_spike_counts", "indicator", "turnover", "day")
BIDS_TRUTH_KEYS = COMMON_KEYS + ("sources", "source_names", "source_positions", "source_orientations",
                                 "source_mixing", "channels", "sensor_noise_sd", "sensor_positions", "forward")


# --------------------------------------------------------------------------------------------
# serialization
# --------------------------------------------------------------------------------------------
def _same(arrays: dict[str, np.ndarray], v: np.ndarray) -> str | None:
    """Key of an already stored float array equal to ``v`` (time axes repeat across entries)."""
    if v.dtype.kind != "f" or v.size < 1000:
        return None
    return next((k for k, a in arrays.items() if a.dtype == v.dtype and a.shape == v.shape
                 and np.array_equal(a, v)), None)


def _pack(obj: Any, arrays: dict[str, np.ndarray], prefix: str, seen: dict[int, tuple[Any, str]] | None = None) -> Any:
    if seen is None:
        seen = {}
    if isinstance(obj, np.ndarray) and id(obj) in seen:  # one time axis shared by several entries: store once
        return {"__array__": seen[id(obj)][1]}
    if isinstance(obj, xr.DataArray):
        key = prefix
        arrays[key] = np.asarray(obj.values)
        coords = {}
        for c in obj.coords:
            ck = f"{prefix}@{c}"
            v = np.asarray(obj[c].values)
            dup = _same(arrays, v)
            if dup is None:
                arrays[ck] = v
            coords[c] = {"key": dup or ck, "dims": list(obj[c].dims)}
        return {"__dataarray__": key, "dims": list(obj.dims), "coords": coords,
                "attrs": json.loads(json.dumps(obj.attrs, default=str))}
    if isinstance(obj, np.ndarray):
        dup = _same(arrays, obj)
        if dup is not None:
            return {"__array__": dup}
        arrays[prefix] = obj
        seen[id(obj)] = (obj, prefix)
        return {"__array__": prefix}
    if isinstance(obj, dict):
        if obj and all(isinstance(k, (int, np.integer)) for k in obj):
            return {"__intdict__": [[int(k), _pack(v, arrays, f"{prefix}/{int(k)}", seen)] for k, v in obj.items()]}
        return {str(k): _pack(v, arrays, f"{prefix}/{k}", seen) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_pack(v, arrays, f"{prefix}/{i}", seen) for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _unpack(obj: Any, arrays: Any) -> Any:
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__dataarray__" in obj:
            coords = {c: (v["dims"], arrays[v["key"]]) for c, v in obj["coords"].items()}
            return xr.DataArray(arrays[obj["__dataarray__"]], dims=obj["dims"], coords=coords, attrs=obj["attrs"])
        if "__intdict__" in obj:
            return {int(k): _unpack(v, arrays) for k, v in obj["__intdict__"]}
        return {k: _unpack(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        out = [_unpack(v, arrays) for v in obj]
        return out
    return obj


def save_truth(truth: dict[str, Any], directory: str | os.PathLike, slug: str) -> None:
    """Write ``truth`` as ``<slug>.json`` + ``<slug>.npz`` in ``directory``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    skeleton = _pack(truth, arrays, "t")
    np.savez(d / f"{slug}.npz", **arrays)
    (d / f"{slug}.json").write_text(json.dumps(skeleton, indent=1))


def load_truth(directory: str | os.PathLike, slug: str) -> dict[str, Any]:
    """Read a truth dict written by :func:`save_truth` (arrays loaded into memory)."""
    d = Path(directory)
    skeleton = json.loads((d / f"{slug}.json").read_text())
    with np.load(d / f"{slug}.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    out = _unpack(skeleton, arrays)
    for key in ("rest_epochs", "task_epochs"):
        if key in out and out[key] is not None:
            out[key] = [tuple(r) for r in out[key]]
    return out


# --------------------------------------------------------------------------------------------
# assembling
# --------------------------------------------------------------------------------------------
def _latents_da(z: np.ndarray, fs: float, name: str = "latent") -> xr.DataArray:
    t = np.arange(z.shape[0]) / fs
    return xr.DataArray(z.astype(np.float32), dims=("time", name),
                        coords={"time": t, name: [f"z{i}" for i in range(z.shape[1])]}, attrs={"fs": fs})


def _dynamics(lat: dict[str, Any], fs: float) -> dict[str, Any]:
    A, Q = sim.discrete_dynamics(lat, fs)
    return {"A": A, "Q": Q, "taus": np.asarray(lat["taus"]), "rotation_hz": np.asarray(lat["rotation_hz"]),
            "plane": list(lat["plane"]) if lat["plane"] is not None else None, "fs": fs}


def nwb_truth(data: dict[str, Any]) -> dict[str, Any]:
    """The truth dict of one synthetic NWB session (see README for every key)."""
    from .corpus import LABS

    spec = data["spec"]
    gp = data["gp"]
    fs = data["fs"]
    regions = data["regions"]
    comm = None
    if spec.comm:
        m = gp["comm"]
        comm = {"source": spec.comm[0], "target": spec.comm[1], "rank": int(spec.comm[2]),
                "B": m["B"][:, regions[spec.comm[1]]["pool_index"]], "U": m["U"][regions[spec.comm[1]]["pool_index"]],
                "V": m["V"], "s": m["s"], "lag_s": float(m["lag"]) / fs,
                "note": "target log-rate = C_private z_private + (z(t - lag) @ B)[:, units]; B is latent x target-unit"}
    unit_to_neuron = {}
    for region, r in regions.items():
        for uid, pi in zip(r["ids"], r["pool_index"]):
            unit_to_neuron[int(uid)] = f"{spec.generator}/{region}/n{int(pi):04d}"
    ar = data["arousal"]
    truth: dict[str, Any] = {
        "uri": spec.uri, "lab": spec.lab, "species": LABS[spec.lab]["species"], "subject": spec.subject,
        "session": spec.session, "day": spec.day, "generator": spec.generator, "family": spec.family,
        "k": spec.k, "latent_fs": fs, "latents": _latents_da(data["z"], fs), "latent_time": data["t"],
        "dynamics": _dynamics(gp["latent"], fs),
        "loadings": {r: v["loadings"] for r, v in regions.items()},
        "baselines": {r: v["baseline"] for r, v in regions.items()},
        "gains": {r: v["gains"] for r, v in regions.items()},
        "arousal_coupling": {r: v["arousal_coupling"] for r, v in regions.items()},
        "unit_ids": {r: v["ids"] for r, v in regions.items()},
        "unit_to_neuron": unit_to_neuron, "turnover": spec.turnover,
        "velocity_readout": gp["velocity_readout"],
        "rest_epochs": [(float(a), float(b), s) for a, b, s in data["rest_true"]],
        "task_epochs": [(float(a), float(b), blk.label or "task") for a, b, blk in _blocks(spec) if blk.kind == "task"],
        "anchor_times": np.array([a for a, _ in data["anchors"]], float), "anchor_duration": 1.0,
        "anchor_response": gp["anchor_response"],
        "arousal": {"time": data["t"], "arousal": ar["arousal"].astype(np.float32),
                    "pupil": ar["pupil"].astype(np.float32), "running_speed": ar["running_speed"].astype(np.float32)},
        "communication": comm,
        "private_latents": _latents_da(data["z_private"], fs) if data["z_private"] is not None else None,
        "leadfield": None, "true_spikes": None, "true_spike_counts": None, "indicator": None,
    }
    if spec.modality == "calcium":
        r = regions[spec.regions[0][0]]
        truth["true_spikes"] = {int(u): t for u, t in zip(r["ids"], r["times"])}
        truth["true_spike_counts"] = xr.DataArray(
            np.minimum(r["counts"], 127).astype(np.int8), dims=("time", "channel"),
            coords={"time": data["t"] + 0.5 / fs, "channel": [str(int(u)) for u in r["ids"]]},
            attrs={"fs": fs, "bin_width": 1.0 / fs, "note": "spikes per imaging frame; time = frame centre"})
        truth["indicator"] = spec.extra.get("indicator", "GCaMP6f")
    return truth


def _blocks(spec):
    t = 0.0
    for b in spec.blocks:
        yield t, t + b.duration, b
        t += b.duration


def human_truth(run: dict[str, Any], lf: dict[str, Any], uri_base: str) -> dict[str, Any]:
    """The truth dict of one human BIDS run (shared by its EEG and iEEG files)."""
    h = run["spec"]
    fs = run["fs"]
    S = xr.DataArray(run["sources"].astype(np.float32), dims=("time", "source"),
                     coords={"time": run["t"], "source": lf["source_names"]}, attrs={"fs": fs, "units": "A*m"})
    leadfield = {"eeg": lf["eeg"], "ieeg": lf["ieeg"]}
    task_epochs = [] if run["task"] == "rest" else [(0.0, float(run["n"] / fs), run["task"])]
    dec = max(1, int(round(fs / 50.0)))
    return {
        "uri": uri_base, "lab": "delta", "species": "Homo sapiens", "subject": f"sub-{h.subject}",
        "session": run["task"], "generator": h.generator, "family": "timescales", "k": h.k,
        # latents are smooth (time constants >= 80 ms): kept at 50 Hz to keep the truth small
        "latents": _latents_da(run["z"][::dec], fs / dec), "latent_time": run["t"][::dec], "latent_fs": fs / dec,
        "dynamics": _dynamics(run["latent"], fs),
        "rest_epochs": [(float(a), float(b), s) for a, b, s in run["rest_true"]], "task_epochs": task_epochs,
        "anchor_times": np.asarray(run["stim"], float), "anchor_duration": 0.5, "communication": None,
        "leadfield": leadfield, "forward": {**leadfield, "model": "eeg: mne 3-shell sphere; ieeg: infinite medium",
                                            "units": "V/(A*m)"},
        "arousal": None, "sources": S, "source_names": list(lf["source_names"]),
        "source_positions": lf["src_pos"], "source_orientations": lf["src_ori"], "source_mixing": run["mixing"],
        "channels": {"eeg": list(lf["eeg_channels"]), "ieeg": list(lf["ieeg_channels"])},
        "sensor_noise_sd": dict(run["noise_sd"]),
        "sensor_positions": {"eeg": lf["eeg_pos"], "ieeg": lf["ieeg_pos"], "frame": "head (m), sphere origin r0",
                             "r0": lf["r0"]},
    }
