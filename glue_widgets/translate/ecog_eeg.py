"""ECoG/iEEG ↔ scalp EEG: a learned mapping (with prediction intervals) and the physics baseline.

Learned: :class:`EcogToEeg` — ridge or reduced-rank regression fitted on simultaneous recordings,
regularization/rank by blocked CV, Gaussian prediction intervals from out-of-fold residuals.

Physics: :func:`forward_baseline` — a generic source space of radial dipoles on a cortical shell in
an MNE spherical head model (``mne.make_sphere_model`` fitted to the EEG electrodes,
``mne.setup_volume_source_space(pos=...)``, ``mne.make_forward_solution``) gives the EEG leadfield;
the ECoG leadfield is the potential of a current dipole in an infinite homogeneous conductor (MNE's
forward code has no subdural sensors); ECoG is mapped to sources by a minimum-norm inverse and the
sources forward to EEG. It needs electrode positions, not training data.

Fair physics: :class:`ContactPhysicsEcogToEeg` — the same chain, but the dipoles sit where the
activity the grid records is: radial dipoles just below each contact (optionally a margin of cortex
around the grid), in the sphere fitted to the EEG electrodes; depth, margin and the minimum-norm
regularization are chosen by CV on training recordings only (3 scalars, no learned weights).

Transferable learned: :class:`SourceSpaceEcogToEeg` — for a subject never seen in training. Each
subject's ECoG goes through the same minimum-norm inverse (from its own contact positions) onto the
generic shell, which every subject shares; one ridge from those source estimates to the EEG channels
is learned across the training subjects (α by leave-one-subject-out). A channel-to-channel
:class:`EcogToEeg` cannot do this: a new grid's channels are other places on the cortex.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from .translator import Translator

__all__ = ["EcogToEeg", "SourceSpaceEcogToEeg", "ContactPhysicsEcogToEeg", "forward_baseline", "shell_source_space",
           "contact_source_space", "physics_operator"]

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


# ------------------------------------------------------------------------------------------------
# Transferable learned mapping: ECoG → sources on a shared generic cortex → EEG, across subjects
# ------------------------------------------------------------------------------------------------
def _mirror_partner(name: str) -> str | None:
    """10-20 mirror partner (odd = left ↔ even = right, 'z' midline stays); None if not a 10-20 name."""
    import re

    m = re.match(r"^([A-Za-z]+)(\d+)$", name)
    if m is None:
        return name if name.lower().endswith("z") else None
    k = int(m.group(2))
    return f"{m.group(1)}{k + 1 if k % 2 else k - 1}"


def _shell(eeg_pos: np.ndarray, eeg_names: Sequence[str], n_sources: int, source_radius: float):
    """The generic cortical shell (positions, normals) inside the head sphere fitted to the EEG montage."""
    import mne

    info = mne.create_info(list(eeg_names), 250.0, "eeg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info.set_montage(mne.channels.make_dig_montage(ch_pos=dict(zip(eeg_names, eeg_pos)), coord_frame="head"))
        sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    r0 = np.asarray(sphere["r0"], float)
    radius = float(sphere.radius) if sphere.radius is not None else float(np.median(np.linalg.norm(eeg_pos - r0, axis=1)))
    return shell_source_space(r0, source_radius * radius, n_sources)


class SourceSpaceEcogToEeg:
    """ECoG → EEG learned in a source space shared by all subjects, so it transfers to a new subject.

    A channel-to-channel regression cannot be applied to a subject whose grid has other contacts (or
    sits on the other hemisphere). Here each subject's ECoG is first mapped, through physics and its
    own electrode positions, to a minimum-norm estimate on a generic cortical shell (the same
    ``n_sources`` dipoles for every subject, see :func:`physics_operator`); a ridge regression from
    these source estimates to the EEG channels is then learned on the training subjects' paired
    recordings. A new subject needs only its ECoG, its contact positions and the same EEG montage.

    Parameters
    ----------
    alphas : sequence of float
        Ridge penalties relative to the mean variance of the source features.
    mirror : bool
        Also train on left–right mirrored copies of each training subject (contacts x → −x, EEG
        channels swapped with their 10-20 partners: Fp1 ↔ Fp2 …), so a grid on the hemisphere that no
        training subject has is still inside the training distribution. Assumes left–right symmetry of
        the head, not of the brain activity. Off by default: on the demo subjects it made transfer
        worse (benchmarks/results/translate.md).
    n_sources, source_radius, lambda2 : as in :func:`physics_operator`.
    cv : int
        Folds used to choose α when only one subject is given (contiguous blocks); with ≥ 2 subjects α
        is chosen by leave-one-subject-out (a subject and its mirror copy leave together), which is the
        transfer the model is for.

    Attributes
    ----------
    coef_ (n_sources × n_eeg), alpha_, cv_scores_ (mean R² per α), eeg_names_, src_pos_, src_ori_.

    Examples
    --------
    >>> m = SourceSpaceEcogToEeg().fit([(ecog1, eeg1, pos1), (ecog2, eeg2, pos2)], eeg_pos, names)  # doctest: +SKIP
    >>> eeg_hat = m.predict(ecog_new, pos_new)                                                     # doctest: +SKIP
    """

    def __init__(self, alphas: Sequence[float] = tuple(np.logspace(-4, 3, 15)), mirror: bool = False,
                 n_sources: int = 400, source_radius: float = 0.78, lambda2: float = 1.0 / 9.0, cv: int = 5):
        self.alphas = alphas
        self.mirror = mirror
        self.n_sources = n_sources
        self.source_radius = source_radius
        self.lambda2 = lambda2
        self.cv = cv

    def _inverse(self, ecog_pos: Any) -> np.ndarray:
        ecog_pos = np.asarray(ecog_pos, float)
        if ecog_pos.ndim != 2 or ecog_pos.shape[1] != 3 or not np.isfinite(ecog_pos).all():
            raise InvalidInputError("ecog_pos must be an (n, 3) array of finite positions in metres (head frame); "
                                    "drop channels without a position.")
        G = _ecog_leadfield(ecog_pos, self.src_pos_, self.src_ori_, SIGMA_BRAIN)
        GGt = G @ G.T
        reg = self.lambda2 * np.trace(GGt) / GGt.shape[0]
        return np.linalg.solve(GGt + reg * np.eye(GGt.shape[0]), G).T  # sources × contacts

    def _features(self, ecog: Any, ecog_pos: Any) -> np.ndarray:
        X = as_time_by_channel(ecog, name="ecog")
        K = self._inverse(ecog_pos)
        if K.shape[1] != X.shape[1]:
            raise InvalidInputError(f"ecog has {X.shape[1]} channels but ecog_pos has {K.shape[1]} positions.")
        F = X @ K.T
        return F - F.mean(0)

    def fit(self, subjects: Sequence[tuple[Any, Any, Any]], eeg_pos: Any,
            eeg_names: Sequence[str]) -> "SourceSpaceEcogToEeg":
        """Fit on training subjects: a list of ``(ecog, eeg, ecog_pos)`` (time-paired; EEG columns in
        the order of ``eeg_names``, the montage shared by all subjects, positions ``eeg_pos``)."""
        eeg_pos = np.asarray(eeg_pos, float)
        names = [str(n) for n in eeg_names]
        if eeg_pos.shape != (len(names), 3) or not np.isfinite(eeg_pos).all():
            raise InvalidInputError(f"eeg_pos must be ({len(names)}, 3) finite positions, one per EEG name.")
        if len(subjects) == 0:
            raise InvalidInputError("give at least one (ecog, eeg, ecog_pos) training subject.")
        self.eeg_names_ = names
        self.src_pos_, self.src_ori_ = _shell(eeg_pos, names, int(self.n_sources), float(self.source_radius))
        perm = None
        if self.mirror:
            partners = [_mirror_partner(n) for n in names]
            if any(p not in names for p in partners):
                bad = [n for n, p in zip(names, partners) if p not in names]
                raise InvalidInputError(f"mirror=True needs every EEG channel's 10-20 partner; missing for {bad}. "
                                        "Use mirror=False.")
            perm = [names.index(p) for p in partners]
        blocks = []  # (group, F, Y)
        for g, item in enumerate(subjects):
            ecog, eeg, pos = item
            Y = as_time_by_channel(eeg, name="eeg")
            if Y.shape[1] != len(names):
                raise InvalidInputError(f"training subject {g}: EEG has {Y.shape[1]} channels, eeg_names {len(names)}.")
            X = as_time_by_channel(ecog, name="ecog")
            if X.shape[0] != Y.shape[0]:
                raise InvalidInputError(f"training subject {g}: ECoG has {X.shape[0]} samples and EEG {Y.shape[0]}; "
                                        "they must be paired in time.")
            Y = Y - Y.mean(0)
            blocks.append((g, self._features(X, pos), Y))
            if perm is not None:
                mpos = np.asarray(pos, float) * np.array([-1.0, 1.0, 1.0])
                blocks.append((g, self._features(X, mpos), Y[:, perm]))
        groups = sorted({b[0] for b in blocks})
        if len(groups) >= 2:
            folds = [[i for i, b in enumerate(blocks) if b[0] == g] for g in groups]
            stats = [(b[1].T @ b[1], b[1].T @ b[2]) for b in blocks]
            tests = [[(blocks[i][1], blocks[i][2]) for i in f if i % (2 if perm else 1) == 0] for f in folds]
        else:  # one subject: contiguous time blocks
            edges = np.linspace(0, blocks[0][1].shape[0], self.cv + 1).astype(int)
            cut = [(F[a:b], Y[a:b]) for _, F, Y in blocks for a, b in zip(edges[:-1], edges[1:])]
            stats = [(F.T @ F, F.T @ Y) for F, Y in cut]
            folds = [[k * self.cv + j for k in range(len(blocks))] for j in range(self.cv)]
            tests = [[cut[j]] for j in range(self.cv)]
        XX = sum(s[0] for s in stats)
        XY = sum(s[1] for s in stats)
        scale = np.trace(XX) / XX.shape[0]
        p = XX.shape[0]
        scores = []
        for a in self.alphas:
            s = []
            for f, te in zip(folds, tests):
                A = XX - sum(stats[i][0] for i in f)
                B = np.linalg.solve(A + a * scale * np.eye(p), XY - sum(stats[i][1] for i in f))
                s += [np.nanmean(_r2(Yt, Ft @ B)) for Ft, Yt in te]
            scores.append(float(np.mean(s)))
        self.cv_scores_ = dict(zip(map(float, self.alphas), scores))
        self.alpha_ = float(self.alphas[int(np.nanargmax(scores))])
        self.coef_ = np.linalg.solve(XX + self.alpha_ * scale * np.eye(p), XY)
        self.cv_ = {"scheme": "leave-one-subject-out" if len(groups) >= 2 else f"blocked {self.cv}-fold",
                    "alpha": self.alpha_, "mirror": bool(self.mirror), "n_subjects": len(groups),
                    "cv_r2_mean": float(np.nanmax(scores))}
        return self

    def predict(self, ecog: Any, ecog_pos: Any) -> Any:
        """EEG (time × n_eeg, columns ``eeg_names_``) predicted for any subject from its ECoG and contact
        positions (head frame, m). Zero-mean output (the mapping has no intercept). A DataArray when
        ``ecog`` is one."""
        if not hasattr(self, "coef_"):
            raise InvalidInputError("this SourceSpaceEcogToEeg is not fitted yet; call fit first.")
        Yh = self._features(ecog, ecog_pos) @ self.coef_
        try:
            import xarray as xr

            if isinstance(ecog, xr.DataArray):
                return xr.DataArray(Yh, dims=("time", "channel"),
                                    coords={"time": ecog["time"].values, "channel": self.eeg_names_},
                                    attrs={**ecog.attrs, "modality": "eeg", "translated_by": "SourceSpaceEcogToEeg"})
        except ImportError:  # pragma: no cover
            pass
        return Yh


def _r2(y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    y = y - y.mean(0)
    sst = (y ** 2).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sst > 0, 1.0 - ((y - yhat) ** 2).sum(0) / sst, np.nan)


# ------------------------------------------------------------------------------------------------
# Fair physics baseline: sources under the contacts, MNE sphere forward, CV-chosen min-norm
# ------------------------------------------------------------------------------------------------
def _fit_sphere(eeg_pos: np.ndarray, eeg_names: Sequence[str]):
    """MNE 3-shell sphere fitted to the EEG electrode positions (the head points a user has)."""
    import mne

    info = mne.create_info(list(eeg_names), 250.0, "eeg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info.set_montage(mne.channels.make_dig_montage(ch_pos=dict(zip(eeg_names, eeg_pos)), coord_frame="head"))
        sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    return info, sphere


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


def _min_norm(G: np.ndarray, lambda2: float, depth_exp: float = 0.0) -> np.ndarray:
    """Minimum-norm inverse (sources × sensors), white noise, λ² relative to the mean sensor power of G.

    ``depth_exp`` > 0 is MNE's depth weighting: source prior variance ∝ ‖g_i‖^(−2·depth_exp), so sources
    far from the contacts are not swamped by those right under them."""
    w = (G**2).sum(0) ** (-float(depth_exp)) if depth_exp else np.ones(G.shape[1])
    GR = G * w
    GRGt = GR @ G.T
    reg = lambda2 * np.trace(GRGt) / GRGt.shape[0]
    return np.linalg.solve(GRGt + reg * np.eye(GRGt.shape[0]), GR).T


class ContactPhysicsEcogToEeg:
    """Physics baseline ECoG → EEG with sources where the contacts are (no learned weights).

    For each subject: a sphere fitted to the EEG electrode positions (``mne.make_sphere_model``);
    radial dipoles ``depth`` below each ECoG contact (plus an optional ``margin`` of cortex around the
    grid, :func:`contact_source_space`); EEG leadfield by ``mne.make_forward_solution`` through the
    3-shell sphere with that discrete source space; ECoG leadfield of a dipole in an infinite
    homogeneous conductor (σ = 0.33 S/m; MNE's forward has no subdural sensors); a minimum-norm
    inverse of the ECoG onto the dipoles, then the EEG forward. Operator: EEG ≈ ECoG @ M.

    ``fit`` only chooses the four scalars (depth, margin, depth weighting, λ²) that maximize the mean EEG R² over
    the given training recordings (their own sampling, no held-out data); ``fit`` with no subjects
    keeps the first value of each grid (pure physics, nothing seen).

    Parameters
    ----------
    depths : sequence of float
        Candidate dipole depths below the contacts (m).
    margins : sequence of float
        Candidate arcs of extra cortex around the grid (m); 0 = dipoles under the contacts only.
    depth_exps : sequence of float
        Candidate MNE depth-weighting exponents (0 = none; 0.8 = MNE's default): without it the
        minimum norm explains everything with the dipoles right under the contacts.
    lambdas : sequence of float
        Candidate minimum-norm regularizations (MNE's 1/SNR², relative to mean ECoG leadfield power).
    spacing : float
        Dipole spacing in the margin (m).

    Attributes
    ----------
    depth_, margin_, depth_exp_, lambda2_, cv_scores_ (DataFrame depth × margin × depth_exp × λ² → mean
    training R²),
    eeg_names_, sphere_ (the fitted MNE sphere), r0_.

    Examples
    --------
    >>> m = ContactPhysicsEcogToEeg().fit([(ecog1, eeg1, pos1)], eeg_pos, names)  # doctest: +SKIP
    >>> eeg_hat = m.predict(ecog_new, pos_new)                                     # doctest: +SKIP
    """

    def __init__(self, depths: Sequence[float] = (0.004, 0.012), margins: Sequence[float] = (0.0, 0.02, 0.04, 0.08),
                 depth_exps: Sequence[float] = (0.0, 0.8), lambdas: Sequence[float] = tuple(np.logspace(-3, 1, 9)),
                 spacing: float = 0.007):
        self.depths = depths
        self.margins = margins
        self.depth_exps = depth_exps
        self.lambdas = lambdas
        self.spacing = spacing

    def _leadfields(self, ecog_pos: Any, depth: float, margin: float) -> tuple[np.ndarray, np.ndarray]:
        import mne

        ecog_pos = np.asarray(ecog_pos, float)
        if ecog_pos.ndim != 2 or ecog_pos.shape[1] != 3 or not np.isfinite(ecog_pos).all():
            raise InvalidInputError("ecog_pos must be an (n, 3) array of finite positions in metres (head frame); "
                                    "drop channels without a position.")
        rr, nn = contact_source_space(ecog_pos, self.r0_, depth, margin, self.spacing)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            src = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), sphere=self.sphere_, mindist=0.0,
                                                verbose=False)
            if len(src[0]["vertno"]) == 0:
                raise InvalidInputError("no dipole below the contacts lies inside the head sphere fitted to the EEG "
                                        "electrodes; are ECoG and EEG positions in the same head frame (m)?")
            fwd = mne.make_forward_solution(self.info_, trans=None, src=src, bem=self.sphere_, eeg=True, meg=False,
                                            verbose=False)
            fwd = mne.convert_forward_solution(fwd, force_fixed=True, surf_ori=True, verbose=False)
        keep = fwd["src"][0]["vertno"]  # dipoles outside the inner skull are dropped by the forward
        G_eeg = fwd["sol"]["data"]
        G_ecog = _ecog_leadfield(ecog_pos, rr[keep], nn[keep], SIGMA_BRAIN)
        return G_ecog, G_eeg

    def operator(self, ecog_pos: Any, depth: float | None = None, margin: float | None = None,
                 lambda2: float | None = None, depth_exp: float | None = None) -> np.ndarray:
        """The ECoG → EEG matrix M (n_ecog × n_eeg) for a grid at ``ecog_pos`` (fitted values by default)."""
        if not hasattr(self, "sphere_"):
            raise InvalidInputError("this ContactPhysicsEcogToEeg is not fitted yet; call fit first.")
        depth = self.depth_ if depth is None else depth
        margin = self.margin_ if margin is None else margin
        lambda2 = self.lambda2_ if lambda2 is None else lambda2
        depth_exp = self.depth_exp_ if depth_exp is None else depth_exp
        G_ecog, G_eeg = self._leadfields(ecog_pos, depth, margin)
        return (G_eeg @ _min_norm(G_ecog, lambda2, depth_exp)).T

    def fit(self, subjects: Sequence[tuple[Any, Any, Any]], eeg_pos: Any,
            eeg_names: Sequence[str]) -> "ContactPhysicsEcogToEeg":
        """Choose depth, margin and λ² on training recordings: a list of ``(ecog, eeg, ecog_pos)``
        (time-paired; EEG columns in the order of ``eeg_names``); may be empty (first grid values)."""
        import pandas as pd

        eeg_pos = np.asarray(eeg_pos, float)
        names = [str(n) for n in eeg_names]
        if eeg_pos.shape != (len(names), 3) or not np.isfinite(eeg_pos).all():
            raise InvalidInputError(f"eeg_pos must be ({len(names)}, 3) finite positions, one per EEG name.")
        for name, grid in (("depths", self.depths), ("margins", self.margins), ("depth_exps", self.depth_exps),
                           ("lambdas", self.lambdas)):
            if len(grid) == 0 or any(not np.isfinite(v) or v < 0 for v in grid):
                raise InvalidInputError(f"{name}={list(grid)} must be a non-empty list of finite values ≥ 0.")
        self.eeg_names_ = names
        self.info_, self.sphere_ = _fit_sphere(eeg_pos, names)
        self.r0_ = np.asarray(self.sphere_["r0"], float)
        stats = []
        for g, (ecog, eeg, pos) in enumerate(subjects):
            X = as_time_by_channel(ecog, name="ecog")
            Y = as_time_by_channel(eeg, name="eeg")
            if Y.shape[1] != len(names):
                raise InvalidInputError(f"training subject {g}: EEG has {Y.shape[1]} channels, eeg_names {len(names)}.")
            if X.shape[0] != Y.shape[0]:
                raise InvalidInputError(f"training subject {g}: ECoG has {X.shape[0]} samples and EEG {Y.shape[0]}; "
                                        "they must be paired in time.")
            X, Y = X - X.mean(0), Y - Y.mean(0)
            stats.append((pos, X.T @ X, X.T @ Y, (Y**2).sum(0)))
        rows = []
        for depth in self.depths:
            for margin in self.margins:
                lfs = [self._leadfields(pos, float(depth), float(margin)) for pos, *_ in stats]
                for dexp in self.depth_exps:
                    for lam in self.lambdas:
                        r2 = []
                        for (G_ecog, G_eeg), (_, xx, xy, yy) in zip(lfs, stats):
                            M = (G_eeg @ _min_norm(G_ecog, float(lam), float(dexp))).T
                            sse = yy - 2 * (M * xy).sum(0) + (M * (xx @ M)).sum(0)  # ‖Y − XM‖² per channel
                            with np.errstate(divide="ignore", invalid="ignore"):
                                r2.append(float(np.nanmean(np.where(yy > 0, 1 - sse / yy, np.nan))))
                        rows.append(dict(depth=float(depth), margin=float(margin), depth_exp=float(dexp),
                                         lambda2=float(lam), r2=float(np.mean(r2)) if r2 else np.nan))
        self.cv_scores_ = pd.DataFrame(rows)
        best = self.cv_scores_.iloc[int(np.nanargmax(self.cv_scores_.r2.values))] if stats else self.cv_scores_.iloc[0]
        self.depth_, self.margin_, self.lambda2_ = float(best.depth), float(best.margin), float(best.lambda2)
        self.depth_exp_ = float(best.depth_exp)
        self.cv_ = {"scheme": f"chosen on {len(stats)} training recording(s)" if stats else "no training data (defaults)",
                    "depth": self.depth_, "margin": self.margin_, "depth_exp": self.depth_exp_,
                    "lambda2": self.lambda2_,
                    "train_r2": float(best.r2) if stats else float("nan")}
        return self

    def predict(self, ecog: Any, ecog_pos: Any) -> Any:
        """EEG (time × n_eeg, columns ``eeg_names_``, V) from ECoG (V) and its contact positions (head frame, m).
        A DataArray when ``ecog`` is one."""
        X = as_time_by_channel(ecog, name="ecog")
        M = self.operator(ecog_pos)
        if M.shape[0] != X.shape[1]:
            raise InvalidInputError(f"ecog has {X.shape[1]} channels but ecog_pos has {M.shape[0]} positions.")
        Yh = X @ M
        try:
            import xarray as xr

            if isinstance(ecog, xr.DataArray):
                return xr.DataArray(Yh, dims=("time", "channel"),
                                    coords={"time": ecog["time"].values, "channel": self.eeg_names_},
                                    attrs={**ecog.attrs, "modality": "eeg", "translated_by": "ContactPhysicsEcogToEeg"})
        except ImportError:  # pragma: no cover
            pass
        return Yh
