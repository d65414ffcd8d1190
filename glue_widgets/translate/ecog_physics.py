"""ECoG/iEEG → scalp EEG through physics: head sphere, leadfields, minimum-norm inverse.

The pieces every ECoG → EEG mechanism of this package shares, and the generic physics baseline:

- :func:`head_sphere` — MNE's 3-shell sphere fitted to the EEG electrode positions;
- :func:`shell_source_space` (a generic cortical shell) and :func:`contact_source_space` (dipoles
  under the contacts) — discrete source spaces of radial dipoles;
- :func:`eeg_leadfield` (``mne.make_forward_solution`` through the sphere) and :func:`ecog_leadfield`
  (a current dipole in an infinite homogeneous conductor: MNE's forward code has no subdural sensors);
- :func:`min_norm` — the minimum-norm inverse (white noise, optional MNE depth weighting);
- :func:`physics_operator` / :func:`forward_baseline` — the baseline: ECoG onto the generic shell by
  minimum norm, then forward to EEG. It needs electrode positions, not training data.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from ..model.wrap import as_array, like_input

__all__ = ["SIGMA_BRAIN", "head_sphere", "shell_source_space", "contact_source_space", "eeg_leadfield",
           "ecog_leadfield", "min_norm", "physics_operator", "forward_baseline"]

SIGMA_BRAIN = 0.33  # S/m


def check_positions(pos: Any, name: str = "ecog_pos") -> np.ndarray:
    """``pos`` as an (n, 3) finite float array (head frame, m), or an error naming it."""
    pos = np.asarray(pos, float)
    if pos.ndim != 2 or pos.shape[1] != 3 or not np.isfinite(pos).all():
        raise InvalidInputError(f"{name} must be an (n, 3) array of finite positions in metres (head frame); "
                                "drop channels without a position.")
    return pos


def check_montage(eeg_pos: Any, eeg_names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """The EEG montage as ``((n, 3) finite positions, n names)``, or an error naming the mismatch."""
    eeg_pos = np.asarray(eeg_pos, float)
    names = [str(n) for n in eeg_names]
    if eeg_pos.shape != (len(names), 3) or not np.isfinite(eeg_pos).all():
        raise InvalidInputError(f"eeg_pos must be ({len(names)}, 3) finite positions, one per EEG name.")
    return eeg_pos, names


def training_subjects(subjects: Sequence[tuple[Any, Any, Any]], n_eeg: int):
    """Yield ``(g, X, Y, ecog_pos)`` per training subject ``(ecog, eeg, ecog_pos)``: checked, time-paired
    float arrays (EEG with ``n_eeg`` channels)."""
    for g, (ecog, eeg, pos) in enumerate(subjects):
        X = as_time_by_channel(ecog, name="ecog")
        Y = as_time_by_channel(eeg, name="eeg")
        if Y.shape[1] != n_eeg:
            raise InvalidInputError(f"training subject {g}: EEG has {Y.shape[1]} channels, eeg_names {n_eeg}.")
        if X.shape[0] != Y.shape[0]:
            raise InvalidInputError(f"training subject {g}: ECoG has {X.shape[0]} samples and EEG {Y.shape[0]}; "
                                    "they must be paired in time.")
        yield g, X, Y, pos


def head_sphere(eeg_pos: np.ndarray, eeg_names: Sequence[str]) -> tuple[Any, Any, np.ndarray, float]:
    """MNE 3-shell sphere fitted to the EEG electrode positions: ``(info, sphere, r0, radius)``.

    ``radius`` falls back to the median electrode distance from ``r0`` when MNE leaves it unset.
    """
    import mne

    names = list(eeg_names)
    info = mne.create_info(names, 250.0, "eeg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info.set_montage(mne.channels.make_dig_montage(ch_pos=dict(zip(names, eeg_pos)), coord_frame="head"))
        sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    r0 = np.asarray(sphere["r0"], float)
    radius = float(sphere.radius) if sphere.radius is not None else float(np.median(np.linalg.norm(eeg_pos - r0, axis=1)))
    return info, sphere, r0, radius


def shell_source_space(r0: np.ndarray, radius: float, n: int = 400, z_min: float = -0.3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` radial dipoles spread evenly (Fibonacci lattice) on a spherical shell around ``r0``.

    Only directions with unit-vector z ≥ ``z_min`` (above the skull base) are kept.
    Returns positions and unit normals (both (m, 3), head coordinates, m).

    Examples
    --------
    >>> rr, nn = shell_source_space(np.zeros(3), 0.07, n=50)
    >>> rr.shape, bool(np.allclose(np.linalg.norm(rr, axis=1), 0.07))
    ((50, 3), True)
    """
    k = np.arange(4 * n)
    z = 1 - 2 * (k + 0.5) / (4 * n)
    phi = k * np.pi * (3 - np.sqrt(5))
    d = np.c_[np.sqrt(1 - z**2) * np.cos(phi), np.sqrt(1 - z**2) * np.sin(phi), z]
    d = d[d[:, 2] >= z_min]
    d = d[np.linspace(0, len(d) - 1, min(n, len(d))).astype(int)]
    return np.asarray(r0) + radius * d, d


def contact_source_space(ecog_pos: Any, r0: Any, depth: float = 0.005, margin: float = 0.0,
                         spacing: float = 0.007) -> tuple[np.ndarray, np.ndarray]:
    """Radial dipoles ``depth`` (m) below each ECoG contact, toward the head-sphere centre ``r0``.

    With ``margin`` > 0, dipoles on the same sphere (radius: median contact radius − depth, about
    ``spacing`` apart) within an arc of ``margin`` (m) around the grid are added: cortex next to the
    grid that its edge contacts still see. Returns positions and unit normals, both (m, 3).

    Examples
    --------
    >>> pos = np.array([[0.07, 0.0, 0.04], [0.07, 0.01, 0.04]])
    >>> rr, nn = contact_source_space(pos, r0=np.array([0.0, 0.0, 0.04]), depth=0.004)
    >>> round(float(np.linalg.norm(rr[0] - [0, 0, 0.04])), 3)
    0.066
    """
    ecog_pos = np.asarray(ecog_pos, float)
    r0 = np.asarray(r0, float)
    d = ecog_pos - r0
    rc = np.linalg.norm(d, axis=1)
    if (rc <= depth).any():
        raise InvalidInputError(f"a contact lies within depth={depth} m of the head-sphere centre; check the "
                                "electrode coordinates (head frame, metres).")
    u = d / rc[:, None]
    rr, nn = r0 + u * (rc - depth)[:, None], u
    if margin > 0:
        R = float(np.median(rc)) - depth
        n_all = int(np.ceil(4 * np.pi * R**2 / spacing**2))
        k = np.arange(n_all)
        z = 1 - 2 * (k + 0.5) / n_all
        phi = k * np.pi * (3 - np.sqrt(5))
        v = np.c_[np.sqrt(1 - z**2) * np.cos(phi), np.sqrt(1 - z**2) * np.sin(phi), z]
        arc = R * np.arccos(np.clip(v @ u.T, -1, 1)).min(1)  # arc distance to the nearest contact
        keep = (arc <= margin) & (arc >= 0.5 * spacing)  # not on top of a contact's own dipole
        rr, nn = np.vstack([rr, r0 + R * v[keep]]), np.vstack([nn, v[keep]])
    return rr, nn


def eeg_leadfield(info: Any, sphere: Any, rr: np.ndarray, nn: np.ndarray,
                  mindist: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """EEG leadfield (n_eeg × m_kept) of fixed dipoles ``(rr, nn)`` through the sphere, and the indices
    of the dipoles MNE kept (those ``mindist`` mm inside the inner skull)."""
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), sphere=sphere, mindist=mindist, verbose=False)
        if len(src[0]["vertno"]) == 0:
            raise InvalidInputError("no dipole lies inside the head sphere fitted to the EEG electrodes; are ECoG "
                                    "and EEG positions in the same head frame (m)?")
        fwd = mne.make_forward_solution(info, trans=None, src=src, bem=sphere, eeg=True, meg=False, verbose=False)
        fwd = mne.convert_forward_solution(fwd, force_fixed=True, surf_ori=True, verbose=False)
    return fwd["sol"]["data"], fwd["src"][0]["vertno"]


def ecog_leadfield(elec: np.ndarray, src: np.ndarray, ori: np.ndarray, sigma: float = SIGMA_BRAIN) -> np.ndarray:
    """Potential at ``elec`` (n × 3) of unit current dipoles at ``src`` with orientations ``ori`` in an
    infinite homogeneous conductor of conductivity ``sigma`` (n × m)."""
    d = elec[:, None, :] - src[None, :, :]
    dist = np.maximum(np.linalg.norm(d, axis=-1), 1e-3)  # electrodes never sit on a dipole: 1 mm floor
    return np.einsum("esk,sk->es", d, ori) / (4 * np.pi * sigma * dist**3)


def min_norm(G: np.ndarray, lambda2: float, depth_exp: float = 0.0) -> np.ndarray:
    """Minimum-norm inverse (sources × sensors), white noise, λ² relative to the mean sensor power of G.

    ``depth_exp`` > 0 is MNE's depth weighting: source prior variance ∝ ‖g_i‖^(−2·depth_exp), so sources
    far from the contacts are not swamped by those right under them. (A ridge in the dual form; it
    stays here because its penalty is set by the leadfield, not by data.)"""
    w = (G**2).sum(0) ** (-float(depth_exp)) if depth_exp else np.ones(G.shape[1])
    GR = G * w
    GRGt = GR @ G.T
    reg = lambda2 * np.trace(GRGt) / GRGt.shape[0]
    return np.linalg.solve(GRGt + reg * np.eye(GRGt.shape[0]), GR).T


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

    Examples
    --------
    >>> op = physics_operator(ecog_pos, eeg_pos, names)   # doctest: +SKIP
    >>> eeg_hat = ecog @ op["M"]                           # doctest: +SKIP
    """
    ecog_pos = np.asarray(ecog_pos, float)
    eeg_pos = np.asarray(eeg_pos, float)
    if ecog_pos.ndim != 2 or ecog_pos.shape[1] != 3 or eeg_pos.ndim != 2 or eeg_pos.shape[1] != 3:
        raise InvalidInputError("ecog_pos and eeg_pos must be (n, 3) arrays of positions in metres.")
    if not (np.isfinite(ecog_pos).all() and np.isfinite(eeg_pos).all()):
        raise InvalidInputError("electrode positions contain NaN; drop channels without a position.")
    names = list(eeg_names) if eeg_names is not None else [f"E{i}" for i in range(len(eeg_pos))]
    info, sphere, r0, radius = head_sphere(eeg_pos, names)
    rr, nn = shell_source_space(r0, source_radius * radius, n_sources)
    G_eeg, keep = eeg_leadfield(info, sphere, rr, nn)
    rr, nn = rr[keep], nn[keep]
    G_ecog = ecog_leadfield(ecog_pos, rr, nn, sigma)
    M = (G_eeg @ min_norm(G_ecog, lambda2)).T
    return dict(M=M, G_eeg=G_eeg, G_ecog=G_ecog, src_pos=rr, src_ori=nn, r0=r0, radius=radius)


def forward_baseline(ecog: Any, ecog_pos: Any, eeg_pos: Any, eeg_names: Sequence[str] | None = None,
                     **kwargs: Any) -> Any:
    """Predict EEG from ECoG through physics only: minimum-norm inverse, then the spherical-head forward.

    The sources here are a generic cortical shell; :class:`ContactPhysicsEcogToEeg` puts them under
    the contacts and chooses its settings on training data (the fairer comparison for a learned map).

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
    X, meta = as_array(ecog, name="ecog")
    op = physics_operator(ecog_pos, eeg_pos, eeg_names, **kwargs)
    if op["M"].shape[0] != X.shape[1]:
        raise InvalidInputError(f"ecog has {X.shape[1]} channels but ecog_pos has {op['M'].shape[0]} positions.")
    Y = X @ op["M"]
    names = list(eeg_names) if eeg_names is not None else [f"E{i}" for i in range(Y.shape[1])]
    return like_input(Y, meta, channels=names, attrs={"modality": "eeg", "translated_by": "forward_baseline"})
