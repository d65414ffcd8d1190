"""infer_spikes / simulate_calcium: shapes, NaN gaps, both methods, bad input, model I/O."""

import numpy as np
import pytest

from glue_widgets.errors import BadDataError, CorruptFileError, InvalidInputError
from glue_widgets.translate import SpikeModel, infer_spikes, load_spike_model, simulate_calcium

FS = 30.0


@pytest.fixture(scope="module")
def sim():
    rng = np.random.default_rng(0)
    sp = rng.poisson(0.08, (4, 3000)).astype(float)
    return sp, simulate_calcium(sp, FS, seed=1)


def _r(a, b):
    ok = np.isfinite(a)
    return np.corrcoef(a[ok], b[ok])[0, 1]


def _bin(x, k=3):  # 30 Hz frames -> 10 Hz bins
    return x[: x.size // k * k].reshape(-1, k).sum(1)


@pytest.mark.parametrize("method", ["auto", "supervised", "oasis", "ensemble"])
def test_recovers_spikes_2d(sim, method):
    sp, dff = sim
    s = infer_spikes(dff, FS, method=method)
    assert s.shape == dff.shape and np.isfinite(s).all() and (s >= -1e-9).all()
    rs = [_r(_bin(a), _bin(b)) for a, b in zip(s, sp)]
    assert min(rs) > 0.5, rs


def test_supervised_counts_scale(sim):
    sp, dff = sim
    s = infer_spikes(dff, FS)
    # expected spikes per frame: total within a factor 3 of the truth (the model works in noise units,
    # so its count calibration depends on the spike's SNR; 2.5x on this clean simulation)
    assert 1 / 3 < s.sum() / sp.sum() < 3.0


def test_1d_and_axis_and_dataarray(sim):
    import xarray as xr

    sp, dff = sim
    one = infer_spikes(dff[0], FS)
    assert one.shape == (3000,)
    np.testing.assert_allclose(one, infer_spikes(dff, FS)[0])
    tbyc = infer_spikes(dff.T, FS, axis=0)
    np.testing.assert_allclose(tbyc.T, infer_spikes(dff, FS))
    da = xr.DataArray(dff.T, dims=("time", "channel"),
                      coords={"time": np.arange(3000) / FS, "channel": [f"c{i}" for i in range(4)]},
                      attrs={"modality": "calcium", "fs": FS})
    out = infer_spikes(da, FS)
    assert isinstance(out, xr.DataArray) and out.dims == ("time", "channel")
    assert out.attrs["modality"] == "spikes" and list(out.channel.values) == ["c0", "c1", "c2", "c3"]
    np.testing.assert_allclose(out.values.T, infer_spikes(dff, FS))


@pytest.mark.parametrize("method", ["supervised", "oasis"])
def test_nan_gaps_returned_as_nan(sim, method):
    sp, dff = sim
    x = dff.copy()
    x[1, 500:560] = np.nan
    x[2, :20] = np.nan
    s = infer_spikes(x, FS, method=method)
    assert np.isnan(s[1, 500:560]).all() and np.isnan(s[2, :20]).all()
    assert np.isfinite(s[1, :500]).all() and np.isfinite(s[1, 560:]).all()
    assert _r(_bin(np.nan_to_num(s[1])), _bin(sp[1])) > 0.4


def test_higher_rate_input_resampled():
    rng = np.random.default_rng(3)
    sp = rng.poisson(0.02, 6000).astype(float)
    dff = simulate_calcium(sp, 120.0, seed=2)
    s = infer_spikes(dff, 120.0)
    assert s.shape == dff.shape
    assert _r(_bin(s, 12), _bin(sp, 12)) > 0.5  # 10 Hz bins
    assert 0.4 < s.sum() / sp.sum() < 2.5


def test_bad_input_errors(sim):
    _, dff = sim
    x = dff.copy()
    x[2] = np.nan
    with pytest.raises(BadDataError, match="trace 2"):
        infer_spikes(x, FS)
    with pytest.raises(InvalidInputError, match="positive"):
        infer_spikes(dff, -30.0)
    with pytest.raises(InvalidInputError, match="units"):
        infer_spikes(dff, FS, units="volts")
    with pytest.raises(InvalidInputError, match="weight"):
        infer_spikes(dff, FS, method="ensemble", weight=2.0)
    with pytest.raises(InvalidInputError, match="method"):
        infer_spikes(dff, FS, method="magic")
    with pytest.raises(InvalidInputError):
        infer_spikes(np.zeros((2, 3, 400)), FS)
    with pytest.raises(InvalidInputError):
        infer_spikes(dff[0, :5], FS, method="oasis")
    with pytest.raises(InvalidInputError):
        simulate_calcium([0, -1, 2], FS)


def test_shipped_model_and_roundtrip(tmp_path):
    m = load_spike_model()
    assert m.rate == 30.0 and len(m.datasets_) == 20 and m.window > 10 and {'rule', 'domain'} <= set(m.extra_)
    p = m.save(tmp_path / "m.npz")
    assert p.stat().st_size < 2e5  # a small model file
    m2 = SpikeModel.load(p)
    y = simulate_calcium(np.random.default_rng(0).poisson(0.1, 600), FS, seed=0)
    np.testing.assert_allclose(m.predict_trace(y, FS), m2.predict_trace(y, FS))
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(CorruptFileError):
        SpikeModel.load(tmp_path / "bad.npz")


def test_train_small_model_on_groundtruth_format(tmp_path):
    from glue_widgets.translate.groundtruth import GTSegment

    rng = np.random.default_rng(5)
    segs = []
    for ds in ("DSa", "DSb"):
        sp = rng.poisson(0.1, 3000).astype(float)
        dff = simulate_calcium(sp, FS, seed=int(rng.integers(1e6)))
        t = np.arange(3000) / FS
        times = np.repeat(t, sp.astype(int)) + 0.5 / FS - 0.5 / FS
        segs.append(GTSegment(ds, ds + "n", t, dff, times, FS))
    m = SpikeModel(n_train=4000, max_iter=15, hidden=(32,), noise_levels=(2.0,)).fit(segs)
    out = infer_spikes(segs[0].dff, FS, model=m)
    assert _r(_bin(out), _bin(np.histogram(segs[0].spikes, np.arange(3001) / FS - 0.5 / FS)[0])) > 0.5


def test_simulate_calcium_kinetics():
    x = np.zeros(300)
    x[30] = 1
    f = simulate_calcium(x, FS, "GCaMP6f", shot_noise=0, read_noise=0)
    s = simulate_calcium(x, FS, "GCaMP6s", shot_noise=0, read_noise=0)
    assert f[:30].max() == 0 and f.argmax() in (30, 31, 32)
    assert np.argmax(s < s.max() / 2 * (np.arange(300) > s.argmax())) > np.argmax(f < f.max() / 2 * (np.arange(300) > f.argmax()))
    big = simulate_calcium(x * 50, FS, shot_noise=0, read_noise=0)
    assert big.max() < 50 * f.max()  # saturation


# ---------------------------------------------------------------- issue 6 must-show: bad input, one check each
@pytest.mark.parametrize("method", ["supervised", "oasis"])
def test_all_nan_trace_is_a_clear_error(sim, method):
    _, dff = sim
    with pytest.raises(BadDataError, match="entirely NaN"):
        infer_spikes(np.full(600, np.nan), FS, method=method)  # one trace, all NaN
    x = dff.copy()
    x[1] = np.nan
    with pytest.raises(BadDataError, match="trace 1"):  # names the offending trace
        infer_spikes(x, FS, method=method)


@pytest.mark.parametrize("fs", [-30.0, 0.0, float("nan"), float("inf")])
def test_non_positive_or_non_finite_fs(sim, fs):
    _, dff = sim
    with pytest.raises(InvalidInputError, match="fs"):
        infer_spikes(dff, fs)


@pytest.mark.parametrize("method", ["supervised", "oasis"])
def test_trace_shorter_than_the_models_window(sim, method):
    _, dff = sim
    with pytest.raises(InvalidInputError, match="frames"):
        infer_spikes(dff[:, :5], FS, method=method)


def test_slow_imaging_is_served_and_too_slow_imaging_warns(sim):
    from glue_widgets.translate import SpikeDomainWarning

    _, dff = sim
    assert infer_spikes(dff, 7.5).shape == dff.shape  # trained with frame-rate augmentation down to 2.5 Hz
    with pytest.warns(SpikeDomainWarning, match="frame rate"):
        s, info = infer_spikes(dff, 1.0, return_info=True)
    assert all(u.startswith("ensemble") for u in info["methods_used"]) and info["outside"]


def test_fs_mismatch_with_dataarray_attrs(sim):
    import xarray as xr

    _, dff = sim
    da = xr.DataArray(dff.T, dims=("time", "channel"), attrs={"fs": FS})
    with pytest.raises(InvalidInputError, match=r"attrs\['fs'\]"):
        infer_spikes(da, 2 * FS)
    assert infer_spikes(da, FS).shape == da.shape  # the matching rate is accepted
