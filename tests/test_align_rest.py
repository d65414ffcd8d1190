"""RestAligner: rest statistics, what anchors fix (leave-one-event-out), the forecast and the report."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from sklearn.base import clone

from glue_widgets.align import RestAligner, frozen_decoder_transfer
from glue_widgets.align.anchors import KEEP_RATIO
from glue_widgets.align.candidates import FA_MAPS, PCA_MAPS
from glue_widgets.errors import GlueError
from glue_widgets.simulate.alignment_days import simulate_days
from glue_widgets.simulate.alignment_scenarios import alignment_scenario


@pytest.fixture(scope="module")
def timescales_days():
    return simulate_days("timescales", k=3, n_neurons=120, turnover=(0.0, 0.75), rest_s=300, task_s=60, seed=11)


@pytest.fixture(scope="module")
def rotational_days():
    return simulate_days("rotational", k=4, n_neurons=120, turnover=(0.0, 0.75), rest_s=300, task_s=60,
                         n_anchor=8, seed=5)


@pytest.fixture(scope="module")
def scenario():
    return alignment_scenario("rotational", seed=7, n_days=3, rest_min=3.0, turnover_step=0.35)


def _retained(al, days):
    zs = [al.transform(d.task, session=i) for i, d in enumerate(days)]
    return frozen_decoder_transfer(zs[0], days[0].behavior, zs, [d.behavior for d in days])


def test_rest_only_fixes_axes_up_to_sign_and_says_so(timescales_days):
    al = RestAligner(n_components=3).fit([d.rest for d in timescales_days])
    rep = al.identifiability_
    assert not rep.free_latents  # distinct timescales: no rotation left free
    assert all(s.status == "fixed up to sign" for s in rep.subspaces)
    # up to signs, the aligned latents of day 1 equal day 0's frame
    z0 = al.transform(timescales_days[0].rest, 0)
    z1 = al.transform(timescales_days[1].rest, 1)
    m0 = np.linalg.lstsq(z0, timescales_days[0].rest_latents, rcond=None)[0]
    m1 = np.linalg.lstsq(z1, timescales_days[1].rest_latents, rcond=None)[0]
    np.testing.assert_allclose(np.abs(m0), np.abs(m1), atol=0.2)
    # without anchors: no forecast, and the report says signs are left open
    assert al.map_ == ["reference", "rest only"] and np.isnan(al.forecast_[1])
    assert "sign" in al.report_["summary"].iloc[1] and "anchor" in al.summary()


def test_anchors_keep_decoder_and_forecast_it(timescales_days):
    al = RestAligner(n_components=3).fit([d.rest for d in timescales_days],
                                          anchors=[d.anchors for d in timescales_days])
    res = _retained(al, timescales_days)
    assert res["retained"].iloc[1] >= 0.9, res
    assert 0.5 < al.forecast_[1] <= 1.0 and al.forecast_[0] == 1.0
    assert {"map", "why", "forecast", "summary"} <= set(al.report_.columns)


def test_anchor_shapes_give_the_same_frame(scenario):
    rest = [d.rest for d in scenario]
    a3 = RestAligner(3).fit(rest, anchors=[d.anchors for d in scenario])
    a2 = RestAligner(3).fit(rest, anchors=[d.anchors.reshape(-1, d.anchors.shape[2]) for d in scenario])
    for t3, t2, o3, o2 in zip(a3.transforms_, a2.transforms_, a3.offsets_, a2.offsets_):
        np.testing.assert_allclose(t3, t2, atol=1e-10)
        np.testing.assert_allclose(o3, o2, atol=1e-10)
    assert a3.map_ == a2.map_
    for p3, p2 in zip(a3.secondary_transforms_, a2.secondary_transforms_):  # maps of the PCA-reduced candidates, when kept
        assert (p3 is None) == (p2 is None)
        if p3 is not None:
            np.testing.assert_allclose(p3, p2, atol=1e-10)


def test_leave_one_event_out_choice_is_reported_and_can_be_forced(scenario):
    rest, anc = [d.rest for d in scenario], [d.anchors for d in scenario]
    al = RestAligner(3).fit(rest, anchors=anc)
    for i in (1, 2):
        kept = al.map_[i].split("+")
        assert kept and set(kept) <= set(FA_MAPS + PCA_MAPS)
        assert "held-out anchor" in al.report_["why"].iloc[i]
        errs = {m: al.report_[f"heldout_error_{m}"].iloc[i] for m in FA_MAPS + PCA_MAPS[3:]}
        best = min(errs.values())
        if len(kept) > 1 or kept != ["rest"]:
            assert all(errs[m] <= KEEP_RATIO * best + 1e-12 for m in kept)  # the documented keep rule
    forced = RestAligner(3, anchor_map="orthogonal").fit(rest, anchors=anc)
    assert forced.map_[1:] == ["orthogonal", "orthogonal"]
    T = forced.transforms_[1]
    np.testing.assert_allclose(T.T @ T, np.eye(3), atol=1e-8)  # an orthogonal map in whitened coordinates
    with pytest.raises(GlueError, match="anchor_map"):
        RestAligner(3, anchor_map="best").fit(rest, anchors=anc)


def test_rotational_reports_free_plane(rotational_days):
    al = RestAligner(n_components=4).fit([d.rest for d in rotational_days])
    free = [s for s in al.identifiability_.subspaces if s.free]
    assert len(free) == 1 and free[0].dimension == 2
    assert "rotation" in free[0].why and al.identifiability_.needs_anchors
    al2 = RestAligner(n_components=4).fit([d.rest for d in rotational_days],
                                           anchors=[d.anchors for d in rotational_days])
    assert _retained(al2, rotational_days)["retained"].iloc[1] > 0.85
    assert "anchors" in str(al2.identifiability_)


def test_estimator_convention():
    al = RestAligner(3, anchor_baseline=5)
    c = clone(al)
    assert c.get_params() == al.get_params() and "anchor_baseline=5" in repr(al)
    assert set(al.get_params()) == {"n_components", "anchor_map", "anchor_baseline", "reduction", "reference",
                                    "lags", "input_transform", "covariate_lags"}


def test_dataarray_in_dataarray_out(timescales_days):
    d0 = timescales_days[0]
    x = xr.DataArray(d0.rest, dims=("time", "channel"), coords={"time": np.arange(len(d0.rest)) * 0.02})
    al = RestAligner(n_components=3).fit([x, timescales_days[1].rest])
    z = al.transform(x, session=0)
    assert isinstance(z, xr.DataArray) and z.dims == ("time", "latent")
    assert isinstance(al.transform(d0.rest, session=0), np.ndarray)


def test_group_reference_mode(rotational_days):
    al = RestAligner(n_components=4, reference="group").fit([d.rest for d in rotational_days],
                                                             anchors=[d.anchors for d in rotational_days])
    assert _retained(al, rotational_days)["retained"].iloc[1] > 0.85


def test_anchor_baseline_removes_state_offset():
    """Anchor events given with pre-event samples and a state offset (arousal) during the anchor block:
    with ``anchor_baseline`` each event's own baseline is subtracted, and the decoder still transfers."""
    days = simulate_days("timescales", k=3, n_neurons=120, turnover=(0.0, 0.5), rest_s=300, task_s=60, seed=11,
                         anchor_kind="evoked", anchor_offset=1.0, n_anchor=16)
    nb = int(round(0.5 / 0.02))
    al = RestAligner(3, anchor_baseline=nb).fit([d.rest for d in days], anchors=[d.anchors for d in days])
    assert _retained(al, days)["retained"].iloc[1] > 0.8
    with pytest.raises(GlueError, match="anchor_baseline"):
        RestAligner(3, anchor_baseline=500).fit([d.rest for d in days], anchors=[d.anchors for d in days])


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


