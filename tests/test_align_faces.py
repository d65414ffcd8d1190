"""What the Alignment dashboard and notebook 03 call: the transfer protocol, the modality check, clone()."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from sklearn.base import clone

import glue_widgets as gw
from glue_widgets.errors import GlueError


def test_check_alignable_refuses_mixed_modality_families():
    mouse = xr.DataArray(np.zeros((10, 3)), dims=("time", "channel"), attrs={"modality": "spikes", "species": "mouse"})
    human = xr.DataArray(np.zeros((10, 3)), dims=("time", "channel"), attrs={"modality": "eeg", "species": "human"})
    chk = gw.align.check_alignable([mouse, human])
    assert chk.level == "refuse" and not chk.ok and "spikes" in chk.message and "eeg" in chk.message
    warn = gw.align.check_alignable([{"modality": "spikes", "species": "mouse"}, {"modality": "calcium", "species": "rat"}])
    assert warn.level == "warn" and warn.ok and "species" in warn.message
    assert gw.align.check_alignable([mouse, mouse]).level == "ok"


def test_decoder_transfer_table_and_errors():
    rng = np.random.default_rng(1)
    z = [rng.normal(size=(600, 3)) for _ in range(3)]
    y = [zi @ np.array([[1.0, 0.2], [-0.5, 1.0], [0.3, 0.0]]) + 0.1 * rng.normal(size=(600, 2)) for zi in z]
    before = [zi @ np.linalg.qr(rng.normal(size=(3, 3)))[0] for zi in z]
    out = gw.align.decoder_transfer(before, z, y, names=["a", "b", "c"], forecast=[1.0, 0.8, 0.7])
    rows = out["table"]
    assert [r["session"] for r in rows] == ["b", "c"]
    for r in rows:
        assert r["retained_after"] > 0.95 and r["r2_frozen_before"] < r["r2_frozen_after"]
    assert rows[1]["forecast"] == 0.7 and "frozen" in out["settings"]
    with pytest.raises(GlueError):
        gw.align.decoder_transfer(before, z[:2], y)


@pytest.mark.parametrize("cls", ["RestAligner", "PairedCCA", "Procrustes", "GroupAligner", "UnitMatcher",
                                 "RiemannianRecenter", "AnchorMapBaseline"])
def test_every_align_estimator_clones_with_its_params(cls):
    est = getattr(gw.align, cls)()
    c = clone(est)
    assert type(c) is type(est) and c.get_params() == est.get_params()
    assert repr(c).startswith(cls + "(")
