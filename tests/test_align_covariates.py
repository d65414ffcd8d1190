"""RestAligner with measured covariates (e.g. pupil, running speed): a covariate-driven shared mode
spoils the alignment; regressing the measured covariate out of every session restores it."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.signal import lfilter

from glue_widgets.align import RestAligner, frozen_decoder_transfer
from glue_widgets.simulate.alignment_days import simulate_days
from glue_widgets.errors import InvalidInputError


def _ou(rng, n, tau_s=20.0, dt=0.02):
    a = np.exp(-dt / tau_s)
    return lfilter([np.sqrt(1 - a * a)], [1, -a], rng.standard_normal(n))


@pytest.fixture(scope="module")
def covariate_days():
    """Three-latent days with 75 % turnover plus a slow (20 s) covariate that drives every neuron (random
    coupling per session) and runs 2 SD higher in the task than at rest, measured with a little noise."""
    days = simulate_days("timescales", k=3, n_neurons=120, turnover=(0.0, 0.75), rest_s=300, task_s=60, seed=11)
    rng = np.random.default_rng(0)
    out = {"days": days, "rest": [], "task": [], "c_rest": [], "c_task": []}
    for d in days:
        w = rng.normal(0, 1.0, d.rest.shape[1])
        c_r, c_t = _ou(rng, len(d.rest)), _ou(rng, len(d.task)) + 2.0
        out["rest"].append(d.rest + np.outer(c_r, w))
        out["task"].append(d.task + np.outer(c_t, w))
        out["c_rest"].append(c_r[:, None] + 0.05 * rng.standard_normal((len(c_r), 1)))
        out["c_task"].append(c_t[:, None] + 0.05 * rng.standard_normal((len(c_t), 1)))
    return out


def _retained(al, data, covs=None):
    days = data["days"]
    zs = [al.transform(x, session=i, covariates=None if covs is None else covs[i]) for i, x in enumerate(data["task"])]
    return frozen_decoder_transfer(zs[0], days[0].behavior, zs, [d.behavior for d in days])["retained"].to_numpy()[1:]


def test_removing_measured_covariate_restores_alignment(covariate_days):
    data = covariate_days
    anchors = [d.anchors for d in data["days"]]
    spoiled = _retained(RestAligner(3).fit(data["rest"], anchors=anchors), data)
    al = RestAligner(3).fit(data["rest"], anchors=anchors, covariates=data["c_rest"])
    restored = _retained(al, data, data["c_task"])
    assert (spoiled < 0.88).all(), spoiled  # measured 0.80 at this seed
    assert (restored >= 0.9).all(), restored  # measured 0.96
    assert al.covariate_r2_.shape == (2,) and (al.covariate_r2_ > 0.5).all(), al.covariate_r2_
    # the same fit, task data without their covariates: the task's offset and drift stay in -> worse
    assert (_retained(al, data) < restored).all()


def test_covariates_accept_dataarrays_and_lags(covariate_days):
    data = covariate_days
    cs = [xr.DataArray(c[:, 0], dims=("time",)) for c in data["c_rest"]]
    al = RestAligner(3, covariate_lags=(-2, 0, 2)).fit(data["rest"], covariates=cs)
    z = al.transform(data["task"][1], session=1, covariates=data["c_task"][1])
    assert z.shape == (len(data["task"][1]), 3) and np.isfinite(z).all()
    # fit_transform passes each session's covariates on
    zs = RestAligner(3).fit_transform(data["rest"], covariates=data["c_rest"])
    assert len(zs) == 2 and zs[0].shape == (len(data["rest"][0]), 3)


def test_covariate_input_errors(covariate_days):
    data = covariate_days
    rest, c = data["rest"], data["c_rest"]
    with pytest.raises(InvalidInputError, match="one per session"):
        RestAligner(3).fit(rest, covariates=c[:1])
    with pytest.raises(InvalidInputError, match="one \\(time, q\\) array per session"):
        RestAligner(3).fit(rest, covariates=c[0])
    with pytest.raises(InvalidInputError, match="samples but rest_list\\[1\\] has"):
        RestAligner(3).fit(rest, covariates=[c[0], c[1][:-5]])
    bad = c[1].copy()
    bad[10] = np.nan
    with pytest.raises(InvalidInputError, match="NaN/inf.*interpolate"):
        RestAligner(3).fit(rest, covariates=[c[0], bad])
    with pytest.raises(InvalidInputError, match="same covariates"):
        RestAligner(3).fit(rest, covariates=[c[0], np.hstack([c[1], c[1] ** 2])])
    with pytest.raises(InvalidInputError, match="covariate_lags"):
        RestAligner(3, covariate_lags=()).fit(rest, covariates=c)
    with pytest.raises(InvalidInputError, match="covariate_lags"):
        RestAligner(3, covariate_lags=("a",)).fit(rest, covariates=c)
    al = RestAligner(3).fit(rest, covariates=c)
    with pytest.raises(InvalidInputError, match="samples but x has"):
        al.transform(data["task"][0], session=0, covariates=data["c_task"][0][:-1])
    with pytest.raises(InvalidInputError, match="fitted with 1"):
        al.transform(data["task"][0], session=0, covariates=np.hstack([data["c_task"][0]] * 2))
    with pytest.raises(InvalidInputError, match="fitted without"):
        RestAligner(3).fit(rest).transform(data["task"][0], session=0, covariates=data["c_task"][0])


def test_constant_covariate_column_is_dropped_with_warning(covariate_days):
    data = covariate_days
    cs = [np.hstack([c, np.zeros_like(c)]) for c in data["c_rest"]]  # e.g. a mouse that never runs at rest
    with pytest.warns(UserWarning, match="constant on its rest segment"):
        al = RestAligner(3).fit(data["rest"], covariates=cs)
    z = al.transform(data["task"][0], session=0, covariates=np.hstack([data["c_task"][0]] * 2))
    assert np.isfinite(z).all()
