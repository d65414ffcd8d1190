"""ECoG → EEG: learned mapping vs the physics (MNE spherical head) baseline on a small simulation."""

import numpy as np
import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.translate import EcogToEeg, forward_baseline, physics_operator

mne = pytest.importorskip("mne")


@pytest.fixture(scope="module")
def geometry():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mont = mne.channels.make_standard_montage("standard_1020")
    names = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4",
             "P8", "O1", "Oz", "O2"]
    pos = mont.get_positions()["ch_pos"]
    eeg_pos = np.array([pos[n] for n in names])
    # 4 x 6 subdural grid over the left hemisphere, 1 cm spacing, on a 72-mm shell
    r0 = np.array([0.0, 0.0, 0.04])
    ecog = []
    for i in range(4):
        for j in range(6):
            el, az = np.deg2rad(10 + 8 * i), np.deg2rad(-25 + 8 * j)
            ecog.append(r0 + 0.072 * np.array([-np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)]))
    op = physics_operator(np.array(ecog), eeg_pos, names, n_sources=200)
    return names, eeg_pos, np.array(ecog), op


def _simulate(op, n=6000, seed=0, n_src=8):
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    idx = np.random.default_rng(99).choice(op["G_eeg"].shape[1], n_src, replace=False)  # same sources every run
    S = lfilter([1], [1, -0.95], rng.standard_normal((n, n_src)), axis=0) * 1e-8  # A·m
    eeg = S @ op["G_eeg"][:, idx].T
    ecog = S @ op["G_ecog"][:, idx].T
    eeg += 0.05 * eeg.std() * rng.standard_normal(eeg.shape)
    ecog += 0.05 * ecog.std() * rng.standard_normal(ecog.shape)
    return ecog, eeg


def _r2(y, p):
    return float(np.mean(1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)))


def test_physics_baseline_is_physical(geometry):
    names, eeg_pos, ecog_pos, op = geometry
    assert op["M"].shape == (24, 20) and np.isfinite(op["M"]).all()
    ecog, eeg = _simulate(op)
    pred = forward_baseline(ecog, ecog_pos, eeg_pos, names, n_sources=200)
    corr = np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(pred.T, eeg.T)])
    assert corr > 0.2  # the sources seen by the grid reach the scalp with the right sign


def test_learned_beats_forward_baseline_on_held_out_data(geometry):
    names, eeg_pos, ecog_pos, op = geometry
    ecog, eeg = _simulate(op, seed=1)
    test_ecog, test_eeg = _simulate(op, seed=2)  # another recording of the same head
    m = EcogToEeg().fit(ecog, eeg)
    learned = m.score(test_ecog, test_eeg)
    base = _r2(test_eeg, test_ecog @ op["M"])
    assert learned > 0.3 and learned > base + 0.1, (learned, base)
    eeg_hat, lo, hi = m.predict(test_ecog, return_interval=True)
    assert (lo <= eeg_hat).all() and (eeg_hat <= hi).all()
    assert 0.8 < m.coverage(test_ecog, test_eeg, 0.9) < 0.97


def test_dataarray_io_and_errors(geometry):
    import xarray as xr

    names, eeg_pos, ecog_pos, op = geometry
    ecog, eeg = _simulate(op, n=2000, seed=3)
    X = xr.DataArray(ecog, dims=("time", "channel"), coords={"time": np.arange(2000) / 200.0},
                     attrs={"fs": 200.0, "modality": "ecog"})
    Y = xr.DataArray(eeg, dims=("time", "channel"), coords={"channel": names}, attrs={"fs": 200.0})
    out = EcogToEeg().fit(X, Y).predict(X)
    assert isinstance(out, xr.DataArray) and list(out.channel.values) == names
    with pytest.raises(InvalidInputError, match="fs"):
        EcogToEeg().fit(X, Y.assign_attrs(fs=250.0))
    with pytest.raises(InvalidInputError, match="positions"):
        forward_baseline(ecog, ecog_pos[:5], eeg_pos, names, n_sources=50)
    with pytest.raises(InvalidInputError):
        physics_operator(np.full((3, 3), np.nan), eeg_pos)


# ---------------------------------------------------------------- transfer to a new subject (new grid)
def _grid(az0, el0=10.0, r=0.072, side=-1.0):
    r0 = np.array([0.0, 0.0, 0.04])
    out = []
    for i in range(4):
        for j in range(6):
            el, az = np.deg2rad(el0 + 8 * i), np.deg2rad(az0 + 8 * j)
            out.append(r0 + r * np.array([side * np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)]))
    return np.array(out)


@pytest.fixture(scope="module")
def subjects(geometry):
    """Three subjects, same head and sources, grids in different places; sources from a separate
    (150-dipole) shell so that the model's 400-dipole shell does not contain them."""
    from scipy.signal import lfilter

    names, eeg_pos, _, _ = geometry
    grids = [_grid(-30.0), _grid(-18.0, 14.0), _grid(-24.0, 6.0)]
    truth = physics_operator(grids[0], eeg_pos, names, n_sources=150, source_radius=0.72)
    near = np.argsort(np.linalg.norm(truth["src_pos"][:, None] - grids[0].mean(0), axis=-1)[:, 0])[:6]
    far = np.random.default_rng(7).choice(np.setdiff1d(np.arange(len(truth["src_pos"])), near), 4, replace=False)
    idx = np.r_[near, far]
    from glue_widgets.translate.ecog_eeg import SIGMA_BRAIN, ecog_leadfield as _ecog_leadfield

    mix = np.random.default_rng(5).standard_normal((3, len(idx)))  # shared latent → source coupling
    out = []
    for k, g in enumerate(grids):
        rng = np.random.default_rng(10 + k)
        z = lfilter([1], [1, -0.95], rng.standard_normal((4000, 3)), axis=0)
        S = (z @ mix + 0.5 * lfilter([1], [1, -0.9], rng.standard_normal((4000, len(idx))), axis=0)) * 1e-8
        eeg = S @ truth["G_eeg"][:, idx].T
        ecog = S @ _ecog_leadfield(g, truth["src_pos"][idx], truth["src_ori"][idx], SIGMA_BRAIN).T
        eeg += 0.1 * eeg.std() * rng.standard_normal(eeg.shape)
        ecog += 0.05 * ecog.std() * rng.standard_normal(ecog.shape)
        out.append((ecog, eeg, g))
    return names, eeg_pos, out


def test_source_space_mapping_transfers_to_a_new_grid(subjects):
    from glue_widgets.translate.ecog_eeg import SourceSpaceEcogToEeg

    names, eeg_pos, subs = subjects
    m = SourceSpaceEcogToEeg(n_sources=200).fit(subs[:2], eeg_pos, names)
    assert m.cv_["scheme"] == "leave-one-subject-out" and m.alpha_ in m.cv_scores_
    ecog, eeg, pos = subs[2]
    r2_new = _r2(eeg, m.predict(ecog, pos))
    phys = physics_operator(pos, eeg_pos, names, n_sources=200)
    r2_phys = _r2(eeg, ecog @ phys["M"])
    # a channel-to-channel regression trained on the other grids, applied to the new grid's channels
    r2_chan = EcogToEeg().fit(np.vstack([s[0] for s in subs[:2]]), np.vstack([s[1] for s in subs[:2]])).score(ecog, eeg)
    assert r2_new > 0.3 and r2_new > r2_phys + 0.1 and r2_new > r2_chan, (r2_new, r2_phys, r2_chan)


def test_source_space_mapping_errors(subjects):
    from glue_widgets.translate.ecog_eeg import SourceSpaceEcogToEeg

    names, eeg_pos, subs = subjects
    ecog, eeg, pos = subs[0]
    with pytest.raises(InvalidInputError, match="not fitted"):
        SourceSpaceEcogToEeg().predict(ecog, pos)
    with pytest.raises(InvalidInputError, match="partner"):
        SourceSpaceEcogToEeg(mirror=True).fit([subs[0]], eeg_pos, [f"E{i}" for i in range(len(names))])
    with pytest.raises(InvalidInputError, match="paired"):
        SourceSpaceEcogToEeg(n_sources=50).fit([(ecog[:100], eeg, pos)], eeg_pos, names)
    m = SourceSpaceEcogToEeg(n_sources=50, mirror=True).fit([subs[0]], eeg_pos, names)  # one subject: blocked CV
    assert m.cv_["scheme"].startswith("blocked") and m.predict(ecog, pos).shape == eeg.shape
    with pytest.raises(InvalidInputError, match="positions"):
        m.predict(ecog, pos[:5])


# ---------------------------------------------------------------- fair physics: dipoles under the contacts
def test_contact_source_space_geometry():
    from glue_widgets.translate.ecog_eeg import contact_source_space

    r0 = np.array([0.0, 0.0, 0.04])
    grid = _grid(-30.0)
    rr, nn = contact_source_space(grid, r0, depth=0.006)
    assert rr.shape == nn.shape == grid.shape
    np.testing.assert_allclose(np.linalg.norm(grid - rr, axis=1), 0.006, atol=1e-12)  # straight below
    np.testing.assert_allclose(np.linalg.norm(nn, axis=1), 1.0)
    rr2, _ = contact_source_space(grid, r0, depth=0.006, margin=0.02)
    assert len(rr2) > len(rr)
    with pytest.raises(InvalidInputError, match="depth"):
        contact_source_space(grid, grid[0], depth=0.006)  # a contact at the centre


@pytest.fixture(scope="module")
def contact_world(geometry):
    """Two subjects whose activity comes from radial dipoles 8 mm under their own contacts."""
    from glue_widgets.translate.ecog_eeg import ContactPhysicsEcogToEeg
    from scipy.signal import lfilter

    names, eeg_pos, _, _ = geometry
    ref = ContactPhysicsEcogToEeg().fit([], eeg_pos, names)  # sphere only: the simulator's head
    out = []
    for k, g in enumerate([_grid(-30.0), _grid(-18.0, 14.0)]):
        g = g - np.array([0.0, 0.0, 0.04]) + ref.r0_  # the grid on the 72-mm shell of the fitted sphere
        G_ecog, G_eeg = ref._leadfields(g, 0.008, 0.0)
        assert G_ecog.shape == (24, 24) and G_eeg.shape[1] == 24
        rng = np.random.default_rng(20 + k)
        S = lfilter([1], [1, -0.9], rng.standard_normal((3000, G_ecog.shape[1])), axis=0) * 1e-9
        eeg, ecog = S @ G_eeg.T, S @ G_ecog.T
        eeg += 0.05 * eeg.std() * rng.standard_normal(eeg.shape)
        ecog += 0.02 * ecog.std() * rng.standard_normal(ecog.shape)
        out.append((ecog, eeg, g))
    return names, eeg_pos, out


def test_contact_physics_predicts_held_out_subject(contact_world):
    from glue_widgets.translate.ecog_eeg import ContactPhysicsEcogToEeg

    names, eeg_pos, (train, test) = contact_world
    m = ContactPhysicsEcogToEeg(depths=(0.004, 0.008, 0.016), margins=(0.0, 0.02),
                                lambdas=(1e-3, 1e-1, 10.0)).fit([train], eeg_pos, names)
    assert m.depth_ == 0.008 and m.margin_ == 0.0  # the true geometry wins on training data
    assert set(m.cv_scores_.columns) >= {"depth", "margin", "depth_exp", "lambda2", "r2"}
    ecog, eeg, grid = test
    r2 = _r2(eeg, m.predict(ecog, grid))
    generic = _r2(eeg, forward_baseline(ecog, grid, eeg_pos, names, n_sources=200))
    assert r2 > 0.5 and r2 > generic + 0.2, (r2, generic)


def test_contact_physics_io_and_errors(contact_world):
    import xarray as xr

    from glue_widgets.translate.ecog_eeg import ContactPhysicsEcogToEeg

    names, eeg_pos, (train, _) = contact_world
    ecog, eeg, grid = train
    with pytest.raises(InvalidInputError, match="not fitted"):
        ContactPhysicsEcogToEeg().predict(ecog, grid)
    m = ContactPhysicsEcogToEeg(depths=(0.008,), margins=(0.0,), depth_exps=(0.0,), lambdas=(0.1,))
    m.fit([], eeg_pos, names)
    assert m.cv_["scheme"].startswith("no training data")
    X = xr.DataArray(ecog[:500], dims=("time", "channel"), coords={"time": np.arange(500) / 200.0}, attrs={"fs": 200.0})
    out = m.predict(X, grid)
    assert isinstance(out, xr.DataArray) and list(out.channel.values) == names
    with pytest.raises(InvalidInputError, match="positions"):
        m.predict(ecog, grid[:5])
    with pytest.raises(InvalidInputError, match="finite"):
        m.predict(ecog, np.full_like(grid, np.nan))
    with pytest.raises(InvalidInputError, match="paired"):
        m.fit([(ecog[:100], eeg[:90], grid)], eeg_pos, names)
    with pytest.raises(InvalidInputError, match="channels"):
        m.fit([(ecog, eeg[:, :3], grid)], eeg_pos, names)
    with pytest.raises(InvalidInputError, match="lambdas"):
        ContactPhysicsEcogToEeg(lambdas=(-1.0,)).fit([], eeg_pos, names)
    with pytest.raises(InvalidInputError, match="eeg_pos"):
        ContactPhysicsEcogToEeg().fit([], eeg_pos[:3], names)


def test_block_bootstrap_r2_is_paired_and_honest():
    from glue_widgets.translate.cv import block_bootstrap_r2

    rng = np.random.default_rng(0)
    y = rng.standard_normal((4800, 4))
    good, worse = y + 0.5 * rng.standard_normal(y.shape), y + 0.7 * rng.standard_normal(y.shape)
    reps = block_bootstrap_r2(y, {"good": good, "worse": worse}, n_blocks=24, n_boot=500)
    assert reps["good"].shape == (500,)
    lo, hi = np.percentile(reps["good"], [2.5, 97.5])
    assert lo < _r2(y, good) < hi and hi - lo < 0.1
    assert np.percentile(reps["good"] - reps["worse"], 2.5) > 0  # paired difference resolved
    with pytest.raises(InvalidInputError, match="shape"):
        block_bootstrap_r2(y, {"bad": good[:10]})
    with pytest.raises(InvalidInputError, match="samples"):
        block_bootstrap_r2(y[:10], {"a": good[:10]})
