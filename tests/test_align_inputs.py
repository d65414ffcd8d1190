"""Bad input to the aligners: clear errors or documented handling."""

from __future__ import annotations

import numpy as np
import pytest

from glue_widgets.align import GroupAligner, PairedCCA, Procrustes, RestAligner, RiemannianRecenter
from glue_widgets.errors import BadDataError, GlueError, InvalidInputError


def _rest(n=2000, c=20, seed=0):
    rng = np.random.default_rng(seed)
    z = np.zeros((n, 3))
    for t in range(1, n):
        z[t] = z[t - 1] * np.array([0.95, 0.8, 0.5]) + rng.standard_normal(3)
    return z @ rng.standard_normal((3, c)) + 0.3 * rng.standard_normal((n, c))


def test_fewer_samples_than_channels():
    with pytest.raises(InvalidInputError, match="samples but .* channels"):
        RestAligner(2, lags=(1,)).fit([_rest(), _rest(n=40, c=60)])


def test_constant_channels_dropped_with_warning_or_refused():
    x = _rest()
    x[:, 3] = 5.0
    with pytest.warns(UserWarning, match="dropping 1 constant"):
        al = RestAligner(3).fit([_rest(seed=1), x])
    assert not al.reducers_[1].keep_[3]
    assert al.transform(x, session=1).shape == (2000, 3)  # same channel count in, handled inside
    from glue_widgets.align.base import SessionReducer

    with pytest.raises(BadDataError, match="constant channels"):
        SessionReducer(3, constant="raise").fit(x)


def test_nans_are_refused_with_advice():
    x = _rest()
    x[10, 2] = np.nan
    with pytest.raises(BadDataError, match="NaN"):
        RestAligner(3).fit([_rest(), x])


def test_k_too_large():
    with pytest.raises(InvalidInputError, match="n_components=25 exceeds"):
        RestAligner(25).fit([_rest(), _rest(seed=2)])
    with pytest.raises(InvalidInputError, match="n_components"):
        RestAligner(0).fit([_rest()])
    with pytest.raises(InvalidInputError, match="n_components=30 exceeds"):
        PairedCCA(30).fit([_rest(), _rest(seed=2)])


def test_misc_errors_are_glue_errors():
    with pytest.raises(InvalidInputError, match="list"):
        RestAligner(2).fit(_rest())
    with pytest.raises(InvalidInputError, match="samples"):
        RestAligner(2, lags=(50,)).fit([_rest(n=500)])
    with pytest.raises(InvalidInputError, match="not fitted"):
        RestAligner(2).transform(_rest(), session=0)
    al = RestAligner(3).fit([_rest(), _rest(seed=2)])
    with pytest.raises(InvalidInputError, match="session=5"):
        al.transform(_rest(), session=5)
    with pytest.raises(InvalidInputError, match="channels"):
        al.transform(_rest(c=7), session=0)
    with pytest.raises(InvalidInputError, match="time-matched"):
        RestAligner(3).fit([_rest(), _rest(seed=2)], anchors=[np.ones((10, 20)), np.ones((12, 20))])
    with pytest.raises(InvalidInputError, match="one per session"):
        RestAligner(3).fit([_rest(), _rest(seed=2)], anchors=[np.ones((10, 20))])
    with pytest.raises(InvalidInputError, match="equal length"):
        PairedCCA(3).fit([_rest(), _rest(n=1500)])
    with pytest.raises(InvalidInputError, match="channel ids"):
        Procrustes(3).fit([_rest(), _rest(seed=2)])
    with pytest.raises(InvalidInputError, match="channel-matched"):
        RiemannianRecenter(window=100).fit([_rest(), _rest(c=10)])
    with pytest.raises(InvalidInputError, match="time-matched"):
        GroupAligner(3).fit([_rest(), _rest(n=1000)])
    with pytest.raises(GlueError):
        RestAligner(3, reference="median").fit([_rest()])
