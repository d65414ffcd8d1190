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
