"""Forward models of the human subjects: scalp EEG through MNE's spherical head model, ECoG analytically.

EEG: ``mne.make_sphere_model`` (3-shell sphere fitted to the standard 10-20 montage) with a discrete
source space of radial dipoles (``mne.setup_volume_source_space(pos=...)``), solved by
``mne.make_forward_solution`` offline. ECoG: MNE's forward code handles only MEG/EEG sensors, so the
subdural grid gets the potential of a current dipole in an infinite homogeneous conductor
(``p·(r - r0) / (4π σ |r - r0|^3)``, σ = 0.33 S/m), a standard approximation for electrodes lying on
the cortex. Both leadfields are in V/(A·m), sensors x sources. The result is cached on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .generate import EEG_CHANNELS, SOURCE_NAMES, rng_for

__all__ = ["leadfields", "SIGMA", "ECOG_SHAPE"]

SIGMA = 0.33
ECOG_SHAPE = (4, 8)
# nominal source directions (unit vectors in head coordinates, x right, y front, z up) and depth
_NOMINAL = {
    "occipital_L": (-0.3, -0.9, 0.2), "occipital_R": (0.3, -0.9, 0.2), "motor_L": (-0.6, 0.0, 0.75),
    "motor_R": (0.6, 0.0, 0.75), "frontal": (0.0, 0.8, 0.55), "temporal": (-0.95, 0.1, -0.1),
}
_FORWARD_VERSION = "1"


def _unit(v: Any) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _geometry(subjects: list[tuple[str, str]]) -> dict[str, Any]:
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "standard_1020" is renamed in MNE 1.14; the montage is the same
        mont = mne.channels.make_standard_montage("standard_1020")
    info = mne.create_info(EEG_CHANNELS, 250.0, "eeg")
    info.set_montage(mont)
    sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    r0 = np.asarray(sphere["r0"], float)
    out = {"info": info, "sphere": sphere, "r0": r0, "subjects": {}}
    for subj, hemi in subjects:
        r = rng_for("delta-sub-" + subj, "anatomy")
        dirs = _unit(np.array([_NOMINAL[s] for s in SOURCE_NAMES]) + r.normal(0, 0.05, (len(SOURCE_NAMES), 3)))
        src_pos = r0 + 0.068 * dirs
        # ECoG grid: 4 x 8 contacts, 1 cm apart, on the lateral surface of one hemisphere (radius 72 mm)
        side = -1.0 if hemi == "left" else 1.0
        pos = []
        for i in range(ECOG_SHAPE[0]):
            for j in range(ECOG_SHAPE[1]):
                elev = np.deg2rad(10 + 8.0 * i)        # up from the horizontal plane
                azim = np.deg2rad(-30 + 8.0 * j)       # front-back along the side
                d = np.array([side * np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim), np.sin(elev)])
                pos.append(r0 + 0.072 * d)
        out["subjects"][subj] = {"src_pos": src_pos, "src_ori": dirs, "ecog_pos": np.array(pos)}
    return out


def _ecog_leadfield(elec: np.ndarray, src: np.ndarray, ori: np.ndarray) -> np.ndarray:
    d = elec[:, None, :] - src[None, :, :]
    dist = np.linalg.norm(d, axis=-1)
    return np.einsum("esk,sk->es", d, ori) / (4 * np.pi * SIGMA * dist ** 3)


def leadfields(subjects: list[tuple[str, str]], cache_dir: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """Leadfields of each ``(subject, hemisphere)``: ``{"eeg", "ieeg", "eeg_pos", "ieeg_pos", ...}``.

    Results are cached in ``cache_dir`` (a file keyed by the subjects and the version).
    """
    key = hashlib.sha1(json.dumps([_FORWARD_VERSION, subjects]).encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"forward-{key}.npz" if cache_dir else None
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                return _unpack(dict(f), subjects)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is recomputed
    import mne

    geo = _geometry(subjects)
    flat: dict[str, np.ndarray] = {"r0": geo["r0"]}
    mont_pos = geo["info"].get_montage().get_positions()["ch_pos"]
    eeg_pos = np.array([mont_pos[c] for c in EEG_CHANNELS])
    rr = np.vstack([geo["subjects"][s]["src_pos"] for s, _ in subjects])
    nn = np.vstack([geo["subjects"][s]["src_ori"] for s, _ in subjects])
    src = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), sphere=geo["sphere"], verbose=False)
    fwd = mne.make_forward_solution(geo["info"], trans=None, src=src, bem=geo["sphere"], eeg=True, meg=False,
                                    verbose=False)
    fwd = mne.convert_forward_solution(fwd, force_fixed=True, surf_ori=True, verbose=False)
    G = fwd["sol"]["data"]
    if G.shape[1] != rr.shape[0]:
        raise RuntimeError(f"forward dropped sources: {G.shape[1]} of {rr.shape[0]} kept")
    m = len(SOURCE_NAMES)
    for i, (s, _) in enumerate(subjects):
        g = geo["subjects"][s]
        flat[f"{s}/eeg"] = G[:, i * m:(i + 1) * m]
        flat[f"{s}/ieeg"] = _ecog_leadfield(g["ecog_pos"], g["src_pos"], g["src_ori"])
        flat[f"{s}/src_pos"] = g["src_pos"]
        flat[f"{s}/src_ori"] = g["src_ori"]
        flat[f"{s}/ieeg_pos"] = g["ecog_pos"]
    flat["eeg_pos"] = eeg_pos
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **flat)
        os.replace(tmp, path)
    return _unpack(flat, subjects)


def _unpack(flat: dict[str, np.ndarray], subjects: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    out = {}
    for s, _ in subjects:
        out[s] = {"eeg": flat[f"{s}/eeg"], "ieeg": flat[f"{s}/ieeg"], "src_pos": flat[f"{s}/src_pos"],
                  "src_ori": flat[f"{s}/src_ori"], "ieeg_pos": flat[f"{s}/ieeg_pos"], "eeg_pos": flat["eeg_pos"],
                  "r0": flat["r0"], "eeg_channels": list(EEG_CHANNELS),
                  "ieeg_channels": [f"G{i + 1:02d}" for i in range(flat[f"{s}/ieeg"].shape[0])],
                  "source_names": list(SOURCE_NAMES)}
    return out
