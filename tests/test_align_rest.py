"""RestAligner: rest-only alignment across days with neuron turnover, identifiability, anchors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from glue_widgets.align import RestAligner, frozen_decoder_transfer
from glue_widgets.align._simulate import simulate_days


@pytest.fixture(scope="module")
def timescales_days():
    return simulate_days("timescales", k=3, n_neurons=120, turnover=(0.0, 0.75), rest_s=300, task_s=60, seed=11)


@pytest.fixture(scope="module")
def rotational_days():
    return simulate_days("rotational", k=4, n_neurons=120, turnover=(0.0, 0.75), rest_s=300, task_s=60,
                         n_anchor=8, seed=5)


def _retained(al, days):
    zs = [al.transform(d.task, session=i) for i, d in enumerate(days)]
    return frozen_decoder_transfer(zs[0], days[0].behavior, zs, [d.behavior for d in days])


def test_timescales_frame_fixed_up_to_sign(timescales_days):
    al = RestAligner(n_components=3).fit([d.rest for d in timescales_days])
    rep = al.identifiability_
    assert not rep.free_latents  # distinct timescales: no rotation left free
    assert all(s.status == "fixed up to sign" for s in rep.subspaces)
    assert min(s.gap_z for s in rep.subspaces) > al.gap_threshold
    # up to signs, the aligned latents of day 1 equal day 0's frame: |corr| with the truth mapping
    z0 = al.transform(timescales_days[0].rest, 0)
    z1 = al.transform(timescales_days[1].rest, 1)
    m0 = np.linalg.lstsq(z0, timescales_days[0].rest_latents, rcond=None)[0]
    m1 = np.linalg.lstsq(z1, timescales_days[1].rest_latents, rcond=None)[0]
    np.testing.assert_allclose(np.abs(m0), np.abs(m1), atol=0.2)
    # the signs that differ are exactly ones the report did not claim to have fixed from rest
    flipped = {j for j in range(3) if np.sign(m0[j, np.abs(m0[j]).argmax()]) != np.sign(m1[j, np.abs(m1[j]).argmax()])}
    unresolved = {int(u.split("[")[1].split("]")[0]) for u in rep.sessions[1]["unresolved_by_rest"]}
    assert flipped <= unresolved


def test_timescales_with_anchors_keeps_decoder(timescales_days):
    al = RestAligner(n_components=3).fit([d.rest for d in timescales_days],
                                          anchors=[d.anchors for d in timescales_days])
    res = _retained(al, timescales_days)
    assert res["retained"].iloc[1] >= 0.9, res


def test_rotational_reports_free_plane_and_anchors_fix_it(rotational_days):
    rest = [d.rest for d in rotational_days]
    al = RestAligner(n_components=4).fit(rest)
    rep = al.identifiability_
    free = [s for s in rep.subspaces if s.free]
    assert len(free) == 1 and free[0].dimension == 2
    assert "rotation" in free[0].why and rep.needs_anchors
    assert "left free" in str(rep)
    al2 = RestAligner(n_components=4).fit(rest, anchors=[d.anchors for d in rotational_days])
    rep2 = al2.identifiability_
    assert rep2.anchors_used and "anchors" in [s for s in rep2.subspaces if s.free][0].fixed_by
    assert any("rotation" in a for a in rep2.sessions[1]["anchored"])
    res = _retained(al2, rotational_days)
    assert res["retained"].iloc[1] >= 0.9, res
    # without anchors the in-plane rotation is arbitrary and the frozen decoder loses accuracy
    assert _retained(al, rotational_days)["retained"].iloc[1] < res["retained"].iloc[1]


def test_anchors_touch_only_free_directions(rotational_days):
    rest = [d.rest for d in rotational_days]
    a = RestAligner(n_components=4, higher_order=False).fit(rest)
    b = RestAligner(n_components=4, higher_order=False).fit(rest, anchors=[d.anchors for d in rotational_days])
    T_a, T_b = a.transforms_[1], b.transforms_[1]
    fixed = list(a.identifiability_.sign_free_latents)
    # fixed (non-rotation) latents: identical up to sign
    np.testing.assert_allclose(np.abs(T_a[:, fixed]), np.abs(T_b[:, fixed]), atol=1e-8)
    free = list(a.identifiability_.free_latents)
    # the free plane is the same subspace before and after anchoring
    P_a, P_b = T_a[:, free] @ T_a[:, free].T, T_b[:, free] @ T_b[:, free].T
    np.testing.assert_allclose(P_a, P_b, atol=1e-8)


def test_dataarray_in_dataarray_out(timescales_days):
    d = timescales_days[0]
    x = xr.DataArray(d.rest, dims=("time", "channel"),
                     coords={"time": np.arange(len(d.rest)) * 0.02, "channel": [f"u{i}" for i in d.unit_ids]},
                     attrs={"modality": "spikes", "fs": 50.0, "subject": "m"})
    al = RestAligner(n_components=3).fit([x, timescales_days[1].rest])
    z = al.transform(x, session=0)
    assert isinstance(z, xr.DataArray) and z.dims == ("time", "latent")
    assert z.attrs["subject"] == "m" and z.sizes["latent"] == 3
    np.testing.assert_allclose(z["time"].values, x["time"].values)
    assert isinstance(al.transform(d.rest, session=0), np.ndarray)
    assert "gap z" in str(al.identifiability_) and len(al.identifiability_.to_frame()) >= 1


def test_group_reference_mode(rotational_days):
    al = RestAligner(n_components=4, reference="group").fit([d.rest for d in rotational_days],
                                                             anchors=[d.anchors for d in rotational_days])
    res = _retained(al, rotational_days)
    assert (res["retained"] >= 0.85).all(), res


def test_anchor_baseline_removes_state_offset(timescales_days):
    """Anchors given in another behavioural state (an offset on every channel, as a change of arousal)
    must not set the signs: with ``anchor_baseline`` each event's pre-event baseline is subtracted."""
    rng = np.random.default_rng(0)
    nb, events = 10, []
    for d in timescales_days:
        n_a = d.anchors.shape[0] // 8
        ev = d.anchors.reshape(8, n_a, -1)
        offset = rng.uniform(0.5, 1.5, ev.shape[2])  # state shift, different every day
        pre = np.stack([d.rest[s:s + nb] for s in rng.integers(0, len(d.rest) - nb, 8)])
        events.append(np.concatenate([pre, ev], axis=1) + offset)
    al = RestAligner(n_components=3, anchor_baseline=nb, input_transform="sqrt").fit(
        [d.rest for d in timescales_days], anchors=events)
    res = _retained(al, timescales_days)
    assert res["retained"].iloc[1] > 0.9
    rep = al.identifiability_.sessions[1]
    # per-event sign significance is reported for every anchored sign
    assert set(rep["anchor_sign_t"]) == {str([j]) for j in range(3)}
    assert max(rep["anchor_sign_t"].values()) > al.sign_z
    with pytest.raises(Exception, match="anchor_baseline"):
        RestAligner(3, anchor_baseline=500).fit([d.rest for d in timescales_days], anchors=events)


def test_joint_anchor_mode_keeps_decoder_and_reports(rotational_days):
    """anchor_mode='joint' refines each frame on rest statistics and anchors together (noise-weighted)."""
    rest = [d.rest for d in rotational_days]
    al = RestAligner(n_components=4, anchor_mode="joint").fit(rest, anchors=[d.anchors for d in rotational_days])
    assert _retained(al, rotational_days)["retained"].iloc[1] > 0.9
    rep = al.identifiability_.sessions[1]
    assert "joint_shift" in rep and any("joint rest+anchor" in n for n in rep["notes"])
    # the reference frame is untouched and every map stays orthogonal
    assert "joint_shift" not in al.identifiability_.sessions[0]
    T = al.transforms_[1]
    np.testing.assert_allclose(T.T @ T, np.eye(4), atol=1e-8)
    with pytest.raises(Exception, match="anchor_mode"):
        RestAligner(4, anchor_mode="bogus").fit(rest, anchors=[d.anchors for d in rotational_days])


# ---------------------------------------------------------------- rotation planes, resolved per plane
def _rot(th: float) -> np.ndarray:
    return np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])


def _population_stats(A: np.ndarray, lags) -> np.ndarray:
    """Exact lagged covariances A^tau (unit, isotropic stationary covariance)."""
    return np.stack([np.linalg.matrix_power(A, lag) for lag in lags])


def _two_planes(dt: float = 0.02, f=(1.0, 3.0), tau=(0.5, 0.3)) -> np.ndarray:
    A = np.zeros((4, 4))
    for j, (fj, tj) in enumerate(zip(f, tau)):
        A[2 * j:2 * j + 2, 2 * j:2 * j + 2] = np.exp(-dt / tj) * _rot(2 * np.pi * fj * dt)
    return A


def test_population_statistics_leave_exactly_each_plane_angle_free():
    """Rest alone provably cannot fix an in-plane rotation: the exact lagged covariances of an isotropic
    rotation plane commute with every rotation in that plane (and with no other one), so the analysis
    must report one SO(2) freedom per plane, never one block lumping distinct planes together."""
    from glue_widgets.align.identifiability import analyse_statistics

    lags = (1, 2, 4, 8, 16, 32)
    A = _two_planes()
    L = _population_stats(A, lags)
    for th in (0.3, 1.2, 2.5):  # an in-plane rotation leaves every statistic unchanged ...
        Q = np.eye(4)
        Q[:2, :2] = _rot(th)
        np.testing.assert_allclose(np.einsum("ia,tij,jb->tab", Q, L, Q), L, atol=1e-12)
    Q = np.eye(4)  # ... a rotation mixing the two planes does not
    Q[np.ix_([1, 2], [1, 2])] = _rot(0.3)
    assert np.abs(np.einsum("ia,tij,jb->tab", Q, L, Q) - L).max() > 0.05
    V, subs = analyse_statistics(L, np.full(len(lags), 1e-3))
    planes = [s for s in subs if s.kind == "plane"]
    assert len(planes) == 2 and all(s.free and s.dimension == 2 for s in planes)
    for s in planes:  # each reported plane is one true plane
        cols = V[:, list(s.latents)]
        overlap = [np.linalg.norm(cols[2 * j:2 * j + 2]) ** 2 for j in range(2)]
        assert max(overlap) > 1.99 and min(overlap) < 1e-2
    assert all("sense of rotation" in s.why for s in planes)
    # a plane plus two OU latents with equal timescales: the OU pair is a separate O(2) block
    A2 = np.zeros((4, 4))
    A2[:2, :2] = A[:2, :2]
    A2[2, 2] = A2[3, 3] = np.exp(-0.02 / 1.0)
    V2, subs2 = analyse_statistics(_population_stats(A2, lags), np.full(len(lags), 1e-3))
    kinds = sorted(s.kind for s in subs2)
    assert kinds == ["degenerate", "plane"], [s.as_dict() for s in subs2]
    # distinct timescales: every axis fixed up to sign, no free block
    A3 = np.diag(np.exp(-0.02 / np.array([0.1, 0.3, 0.9, 2.7])))
    _, subs3 = analyse_statistics(_population_stats(A3, lags), np.full(len(lags), 1e-3))
    assert all(s.kind == "axis" and not s.free for s in subs3)


def _run_lds(A: np.ndarray, Q: np.ndarray, n: int, rng: np.random.Generator, burn: int = 300) -> np.ndarray:
    e = rng.standard_normal((n + burn, A.shape[0])) @ np.linalg.cholesky(Q).T
    z = np.zeros_like(e)
    for t in range(1, n + burn):
        z[t] = A @ z[t - 1] + e[t]
    return z[burn:]


def _gaussian_days(A: np.ndarray, n: int, n_ch: int = 40, seed: int = 0, n_anchor: int = 8, resp=None):
    """Two sessions of the same latent process seen through different loadings (no correspondence),
    Gaussian noise; anchors = the same latent response added on each of ``n_anchor`` events."""
    rng = np.random.default_rng(seed)
    k = A.shape[0]
    Q = np.eye(k) - A @ A.T
    t = np.arange(20) * 0.02
    if resp is None:
        resp = np.stack([2.0 * np.sin(2 * np.pi * (j + 1) * t / 0.4 + j) * np.exp(-t / 0.3) for j in range(k)], 1)
    days = []
    for d in range(2):
        C = rng.standard_normal((n_ch, k))
        z = _run_lds(A, Q, n, rng)
        ev = []
        for _ in range(n_anchor):
            ze = _run_lds(A, Q, 30, rng)
            ze[10:] += resp
            ev.append(ze @ C.T + 0.5 * rng.standard_normal((30, n_ch)))
        days.append({"rest": z @ C.T + 0.5 * rng.standard_normal((n, n_ch)), "z": z, "C": C,
                     "anchors": np.stack(ev)})
    return days


def _truth_maps(al, days):
    out = []
    for i, d in enumerate(days):
        zi = al.transform(d["rest"], session=i)
        out.append(np.linalg.lstsq(d["z"], zi - zi.mean(0), rcond=None)[0])
    return out


def test_anchors_fix_each_plane_that_rest_leaves_free():
    days = _gaussian_days(_two_planes(), 30000, seed=3)
    rest = [d["rest"] for d in days]
    al0 = RestAligner(4, reduction="pca").fit(rest)
    rep0 = al0.identifiability_
    assert [s.kind for s in rep0.subspaces].count("plane") == 2, str(rep0)
    assert rep0.needs_anchors and "left free" in str(rep0)
    al = RestAligner(4, reduction="pca", anchor_baseline=10).fit(rest, anchors=[d["anchors"] for d in days])
    rep = al.identifiability_
    assert all(s.fixed_by == "anchors" for s in rep.subspaces if s.free)
    assert all(v >= 1 for v in rep.sessions[1]["anchor_rank"].values())
    assert not rep.sessions[1].get("underdetermined")
    K0, K1 = _truth_maps(al, days)
    K0r, K1r = _truth_maps(al0, days)
    # with anchors the day-1 frame equals day 0's (in truth coordinates); rest alone leaves the angles
    err, err_rest = np.abs(K1 - K0).max(), np.abs(K1r - K0r).max()
    assert err < 0.15, (err, err_rest)
    # every transform is orthogonal in whitened coordinates and the sense of rotation is kept (det +1
    # within each plane, relative to the rest-only frame)
    T = al.transforms_[1]
    np.testing.assert_allclose(T.T @ T, np.eye(4), atol=1e-8)
    for s in rep.subspaces:
        idx = list(s.latents)
        blk = al0.transforms_[1][:, idx].T @ T[:, idx]
        assert np.linalg.det(blk) > 0.9


def test_anchor_rank_check_reports_underdetermined_block():
    """Anchors that do not drive a free plane (here: plain rest snippets as 'events') cannot fix its
    angle: the report must say under-determined instead of claiming the plane was fixed."""
    days = _gaussian_days(_two_planes(), 30000, seed=4)
    rng = np.random.default_rng(0)
    fake = [np.stack([d["rest"][s:s + 30] for s in rng.integers(0, 29000, 8)]) for d in days]
    al = RestAligner(4, reduction="pca", anchor_baseline=10).fit([d["rest"] for d in days], anchors=fake)
    rep = al.identifiability_.sessions[1]
    assert len(rep.get("underdetermined", [])) == 2, rep["notes"]
    assert "UNDER-DETERMINED" in str(al.identifiability_)


def test_demo_like_limit_plane_fixed_slow_block_underdetermined():
    """The demo's m02 situation: a rotation plane plus slow latents rest cannot tell apart, and an anchor
    that rotates in the plane but drives a single direction of the slow block. The plane is fixed; the
    slow O(3) block is reported under-determined (anchor rank 1 < 3) and only its driven direction is
    matched across days."""
    dt = 0.02
    A = np.zeros((5, 5))
    A[:2, :2] = np.exp(-dt / 0.5) * _rot(2 * np.pi * 1.5 * dt)
    A[2:, 2:] = np.eye(3) * np.exp(-dt / 0.3)  # identical timescales: an exact O(3) freedom
    t = np.arange(20) * dt
    env = 2.5 * np.exp(-t / 0.2)
    u = np.array([0.0, 0.0, 0.8, 0.6, 0.0])  # the one slow direction the anchor drives
    resp = np.outer(env, u)
    resp[:, 0], resp[:, 1] = env * np.cos(2 * np.pi * 2 * t), env * np.sin(2 * np.pi * 2 * t)
    days = _gaussian_days(A, 30000, seed=5, resp=resp)
    al = RestAligner(5, reduction="pca", anchor_baseline=10, anchor_predict=3).fit(
        [d["rest"] for d in days], anchors=[d["anchors"] for d in days])
    rep = al.identifiability_
    kinds = {s.kind: s for s in rep.subspaces}
    assert set(kinds) == {"plane", "degenerate"} and kinds["degenerate"].dimension == 3, str(rep)
    slow = str(list(kinds["degenerate"].latents))
    s1 = rep.sessions[1]
    assert s1["anchor_rank"][slow] == 1 and f"rotation in latents {slow}" in s1["underdetermined"]
    assert s1["anchor_rank"][str(list(kinds["plane"].latents))] >= 1
    assert "UNDER-DETERMINED" in str(rep) and "O(3) block" in str(rep)
    K0, K1 = _truth_maps(al, days)
    plane = list(kinds["plane"].latents)
    ang = [np.degrees(np.arctan2(K[0, plane[1]], K[0, plane[0]])) for K in (K0, K1)]
    assert abs((ang[1] - ang[0] + 180) % 360 - 180) < 10, ang  # the plane's angle: fixed by the anchors
    a0, a1 = u @ K0, u @ K1  # the driven slow direction lands in the same place on both days
    assert a0 @ a1 / (np.linalg.norm(a0) * np.linalg.norm(a1)) > 0.9


def test_anchor_predict_removes_ongoing_dynamics():
    """anchor_predict subtracts what the session's rest dynamics predict from the pre-event samples:
    the evoked response is kept, the ongoing rotation carried into the event window leaves the noise,
    and the planes are still fixed."""
    days = _gaussian_days(_two_planes(), 30000, seed=3)
    rest, anchors = [d["rest"] for d in days], [d["anchors"] for d in days]
    al = RestAligner(4, reduction="pca", anchor_baseline=10, anchor_predict=3).fit(rest, anchors=anchors)
    red = al.reducers_[0]
    ye = al._project(red, anchors[0])
    base = ye[:, 10:] - ye[:, :10].mean(axis=1, keepdims=True)
    res = al._anchor_residuals(red, red.transform(rest[0]), anchors[0])
    assert res.shape == base.shape
    m_b, m_r = base.mean(0).ravel(), res.mean(0).ravel()
    assert np.corrcoef(m_b, m_r)[0, 1] > 0.8  # same evoked response
    assert res.var(axis=0).mean() < 0.8 * base.var(axis=0).mean()  # less event-to-event noise
    K0, K1 = _truth_maps(al, days)
    assert np.abs(K1 - K0).max() < 0.15
    np.testing.assert_allclose(al.transforms_[1].T @ al.transforms_[1], np.eye(4), atol=1e-8)
    with pytest.raises(Exception, match="anchor_predict"):
        RestAligner(4, anchor_predict=3).fit(rest, anchors=anchors)
    with pytest.raises(Exception, match="anchor_predict"):
        RestAligner(4, anchor_baseline=2, anchor_predict=3).fit(rest, anchors=anchors)


def test_posterior_scores_keep_a_frozen_decoder_calibrated_on_a_noisier_day():
    """scores="posterior": each session's factor scores shrunk by its own noise model (fitted on its rest).

    Day 1 keeps only 40 of 120 neurons, so its Bartlett scores are much noisier than day 0's; a decoder
    frozen on day 0 over-weights them. Posterior means fix the scale: the fit (frames) is identical, the
    scores equal (I + N)^-1 times the Bartlett scores in each session's frame (N its noise covariance)."""
    days = simulate_days("timescales", k=3, n_neurons=120, turnover=(0.0, 0.5), rest_s=300, task_s=60, seed=11)
    sub = np.random.default_rng(0).choice(120, 40, replace=False)
    rest = [days[0].rest, days[1].rest[:, sub]]
    task = [days[0].task, days[1].task[:, sub]]
    anchors = [days[0].anchors, days[1].anchors[:, sub]]
    beh = [d.behavior for d in days]
    out = {}
    for sc in ("bartlett", "posterior"):
        al = RestAligner(3, scores=sc).fit(rest, anchors=anchors)
        zs = [al.transform(x, session=i) for i, x in enumerate(task)]
        out[sc] = (al, frozen_decoder_transfer(zs[0], beh[0], zs, beh)["retained"].iloc[1])
    (ab, rb), (ap, rp) = out["bartlett"], out["posterior"]
    for Tb, Tp in zip(ab.transforms_, ap.transforms_):
        np.testing.assert_allclose(Tb, Tp)
    red = ap.reducers_[1]
    lam, psi = red.loadings_, red.noise_variance_
    N = np.linalg.inv(lam.T @ (lam / psi[:, None]))
    zb = red.transform(task[1])
    np.testing.assert_allclose(red.transform(task[1], posterior=True), zb @ np.linalg.inv(np.eye(3) + N), atol=1e-8)
    assert rp >= 0.9 and rp > rb + 0.02, (rb, rp)
    with pytest.raises(Exception, match="reduction='fa'"):
        RestAligner(3, reduction="pca", scores="posterior").fit(rest)
    with pytest.raises(Exception, match="scores="):
        RestAligner(3, scores="shrunk").fit(rest)
