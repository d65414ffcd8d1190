"""ECoG/iEEG ↔ scalp EEG: a learned mapping (with prediction intervals) and the physics baseline.

Learned: :class:`EcogToEeg` — ridge or reduced-rank regression fitted on simultaneous recordings,
regularization/rank by blocked CV, Gaussian prediction intervals from out-of-fold residuals.

Physics: :func:`forward_baseline` — a generic source space of radial dipoles on a cortical shell in
an MNE spherical head model (``mne.make_sphere_model`` fitted to the EEG electrodes,
``mne.setup_volume_source_space(pos=...)``, ``mne.make_forward_solution``) gives the EEG leadfield;
the ECoG leadfield is the potential of a current dipole in an infinite homogeneous conductor (MNE's
forward code has no subdural sensors); ECoG is mapped to sources by a minimum-norm inverse and the
sources forward to EEG. It needs electrode positions, not training data.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from .translator import Translator

__all__ = ["EcogToEeg", "forward_baseline", "shell_source_space", "physics_operator"]

SIGMA_BRAIN = 0.33  # S/m


class EcogToEeg(Translator):
    """Learned ECoG (or iEEG) → EEG mapping on simultaneous recordings (a :class:`Translator`).

    Same parameters as :class:`Translator` (default ridge; ``model="rrr"`` for reduced rank,
    ``lags`` for temporal filtering). ``fit`` checks that both inputs have the same sampling rate when
    they are DataArrays with an ``fs`` attribute. ``predict(X, return_interval=True)`` gives
    prediction intervals from out-of-fold residuals.

    Examples
    --------
    >>> m = EcogToEeg().fit(ecog_train, eeg_train)                   # doctest: +SKIP
    >>> eeg_hat, lo, hi = m.predict(ecog_test, return_interval=True)  # doctest: +SKIP
    """

    def fit(self, X: Any, Y: Any) -> "EcogToEeg":
        fx, fy = getattr(X, "attrs", {}).get("fs"), getattr(Y, "attrs", {}).get("fs")
        if fx is not None and fy is not None and abs(float(fx) - float(fy)) > 1e-6 * float(fx):
            raise InvalidInputError(f"ECoG fs={fx} and EEG fs={fy} differ; resample one to the other first.")
        return super().fit(X, Y)


def shell_source_space(r0: np.ndarray, radius: float, n: int = 400, z_min: float = -0.3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` radial dipoles spread evenly (Fibonacci lattice) on a spherical shell around ``r0``.

    Only directions with unit-vector z ≥ ``z_min`` (above the skull base) are kept.
    Returns positions and unit normals (both (m, 3), head coordinates, m).
    """
    k = np.arange(4 * n)
    z = 1 - 2 * (k + 0.5) / (4 * n)
    phi = k * np.pi * (3 - np.sqrt(5))
    d = np.c_[np.sqrt(1 - z**2) * np.cos(phi), np.sqrt(1 - z**2) * np.sin(phi), z]
    d = d[d[:, 2] >= z_min]
    d = d[np.linspace(0, len(d) - 1, min(n, len(d))).astype(int)]
    return np.asarray(r0) + radius * d, d


def _ecog_leadfield(elec: np.ndarray, src: np.ndarray, ori: np.ndarray, sigma: float) -> np.ndarray:
    d = elec[:, None, :] - src[None, :, :]
    dist = np.maximum(np.linalg.norm(d, axis=-1), 1e-3)  # electrodes never sit on a dipole: 1 mm floor
    return np.einsum("esk,sk->es", d, ori) / (4 * np.pi * sigma * dist**3)


def physics_operator(ecog_pos: Any, eeg_pos: Any, eeg_names: Sequence[str] | None = None, *,
                     n_sources: int = 400, source_radius: float = 0.78, lambda2: float = 1.0 / 9.0,
                     sigma: float = SIGMA_BRAIN) -> dict[str, np.ndarray]:
    """The linear ECoG → EEG operator of the physics baseline (EEG ≈ ECoG @ M).

    Parameters
    ----------
    ecog_pos, eeg_pos : array (n, 3)
        Electrode positions in head coordinates (m).
    n_sources : int
        Dipoles on the cortical shell.
    source_radius : float
        Shell radius as a fraction of the fitted head-sphere radius (cortex ≈ 0.78 of the scalp radius).
    lambda2 : float
        Minimum-norm regularization (MNE's 1/SNR², scaled by the mean ECoG leadfield power).

    Returns
    -------
    dict with ``M`` (n_ecog × n_eeg), ``G_eeg``, ``G_ecog``, ``src_pos``, ``src_ori``, ``r0``, ``radius``.
    """
    import mne

    ecog_pos = np.asarray(ecog_pos, float)
    eeg_pos = np.asarray(eeg_pos, float)
    if ecog_pos.ndim != 2 or ecog_pos.shape[1] != 3 or eeg_pos.ndim != 2 or eeg_pos.shape[1] != 3:
        raise InvalidInputError("ecog_pos and eeg_pos must be (n, 3) arrays of positions in metres.")
    if not (np.isfinite(ecog_pos).all() and np.isfinite(eeg_pos).all()):
        raise InvalidInputError("electrode positions contain NaN; drop channels without a position.")
    names = list(eeg_names) if eeg_names is not None else [f"E{i}" for i in range(len(eeg_pos))]
    info = mne.create_info(names, 250.0, "eeg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mont = mne.channels.make_dig_montage(ch_pos=dict(zip(names, eeg_pos)), coord_frame="head")
        info.set_montage(mont)
        sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
        r0 = np.asarray(sphere["r0"], float)
        radius = float(sphere.radius) if sphere.radius is not None else float(np.median(np.linalg.norm(eeg_pos - r0, axis=1)))
        rr, nn = shell_source_space(r0, source_radius * radius, n_sources)
        src = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), sphere=sphere, verbose=False)
        fwd = mne.make_forward_solution(info, trans=None, src=src, bem=sphere, eeg=True, meg=False, verbose=False)
        fwd = mne.convert_forward_solution(fwd, force_fixed=True, surf_ori=True, verbose=False)
    G_eeg = fwd["sol"]["data"]
    keep = fwd["src"][0]["vertno"]
    rr, nn = rr[keep], nn[keep]
    G_ecog = _ecog_leadfield(ecog_pos, rr, nn, sigma)
    # minimum-norm inverse: S = Gᵀ (G Gᵀ + λ² tr(G Gᵀ)/n I)⁻¹ ECoG  (white noise, identity source prior)
    GGt = G_ecog @ G_ecog.T
    reg = lambda2 * np.trace(GGt) / GGt.shape[0]
    K = G_ecog.T @ np.linalg.solve(GGt + reg * np.eye(GGt.shape[0]), np.eye(GGt.shape[0]))
    M = (G_eeg @ K).T
    return dict(M=M, G_eeg=G_eeg, G_ecog=G_ecog, src_pos=rr, src_ori=nn, r0=r0, radius=radius)


def forward_baseline(ecog: Any, ecog_pos: Any, eeg_pos: Any, eeg_names: Sequence[str] | None = None,
                     **kwargs: Any) -> Any:
    """Predict EEG from ECoG through physics only: minimum-norm inverse, then the spherical-head forward.

    Parameters
    ----------
    ecog : array (time × n_ecog) or DataArray ("time", "channel"), in V.
    ecog_pos, eeg_pos : (n, 3) electrode positions in head coordinates (m).
    eeg_names : EEG channel names (for the output DataArray).
    **kwargs : passed to :func:`physics_operator` (``n_sources``, ``source_radius``, ``lambda2``).

    Returns
    -------
    EEG prediction (time × n_eeg) in V; a DataArray when ``ecog`` is one.

    Examples
    --------
    >>> eeg_hat = forward_baseline(ecog, ecog_pos, eeg_pos, eeg_names=names)  # doctest: +SKIP
    """
    X = as_time_by_channel(ecog, name="ecog")
    op = physics_operator(ecog_pos, eeg_pos, eeg_names, **kwargs)
    if op["M"].shape[0] != X.shape[1]:
        raise InvalidInputError(f"ecog has {X.shape[1]} channels but ecog_pos has {op['M'].shape[0]} positions.")
    Y = X @ op["M"]
    try:
        import xarray as xr

        if isinstance(ecog, xr.DataArray):
            names = list(eeg_names) if eeg_names is not None else [f"E{i}" for i in range(Y.shape[1])]
            return xr.DataArray(Y, dims=("time", "channel"), coords={"time": ecog["time"].values, "channel": names},
                                attrs={**ecog.attrs, "modality": "eeg", "translated_by": "forward_baseline"})
    except ImportError:  # pragma: no cover
        pass
    return Y
