"""Property-based tests of the analysis entry points with generated bad input (issue #20): extract_rest,
annotate_rest (when present), RestAligner, infer_spikes and error_map.

Property: a valid result or a ``GlueError`` — never another exception type, never a hang.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

import glue_widgets as gw
from glue_widgets.model import ArraySession, make_timeseries
from tests.support.hypo import arrays, fast, finite, junk, mostly, near_valid, number_or_junk, outcome

pytestmark = [pytest.mark.timeout(300), pytest.mark.filterwarnings("ignore")]


@pytest.fixture(scope="module")
def session():
    fs = 20.0
    t = np.arange(int(120 * fs)) / fs
    x = make_timeseries(np.random.default_rng(0).normal(size=(t.size, 3)), t, ["a", "b", "c"], modality="lfp",
                        fs=fs)
    units = {f"u{i}": np.sort(np.random.default_rng(i).uniform(0, 120, 200)) for i in range(3)}
    ep = pd.DataFrame({"start": [10.0, 70.0], "stop": [70.0, 110.0], "label": ["rest eyes closed", "task"]})
    return ArraySession("mem://hyp-rest", signals={"lfp": x}, spikes={"units": units}, epochs=ep,
                        metadata={"species": "mouse"})


def _is_segment(seg):
    assert isinstance(seg, xr.DataArray) and seg.dims == ("time", "channel")
    card = seg.attrs["card"]
    assert np.isfinite(card["duration_s"]) and card["start"] <= card["stop"]


# failures found here in code owned by other helpers: kept out of the strategies, pinned as xfail cases
KNOWN = {
    "extract_rest(non-session)": "rest helper: extract_rest(None / 'a string' / 3) raises AttributeError "
                                 "('... has no attribute streams') in choose_stream",
    "oasis ar_order": "spikes helper: infer_spikes(method='oasis') with ar_order 0 (IndexError), 3 (ValueError "
                      "from the OASIS backend), None (TypeError), or ar_order=2 on a 60-frame trace (ValueError: "
                      "shapes (20,20) and (0,) not aligned)",
    "oasis huge": "spikes helper: infer_spikes(dff * 1e300, 30, 'oasis', axis=0) raises numpy LinAlgError "
                  "('SVD did not converge') instead of a GlueError",
    "infer_spikes(axis=None|float)": "spikes helper: infer_spikes(axis=None) TypeError ('NoneType' % int), "
                                     "axis=0.0 TypeError ('float' object is not iterable)",
}


@pytest.mark.parametrize("first", [None, "a string", 3])
def test_extract_rest_known_failures(first):
    outcome(gw.extract_rest, first)


@pytest.mark.parametrize("axis", [None, 0.0])
def test_infer_spikes_known_failures(axis):
    outcome(gw.translate.infer_spikes, np.random.default_rng(0).normal(size=(50, 2)), 30.0, axis=axis)


@fast(30)
@given(stream=st.one_of(st.none(), st.sampled_from(["lfp", "units", "nope"]), junk),
       min_duration=st.sampled_from([0.0, 1.0, 30.0, 600.0, 1e9]),
       kw=st.dictionaries(st.sampled_from(["target_s", "bin_width", "max_duration"]),
                          st.floats(0.05, 1e4), max_size=2))
def test_extract_rest_good_numbers_any_stream(session, stream, min_duration, kw):
    ok, seg = outcome(gw.extract_rest, session, stream, min_duration, **kw)
    if ok:
        _is_segment(seg)


@fast(30)
@given(first=st.one_of(st.just("session"), junk, st.text(max_size=10)),
       stream=st.one_of(st.none(), st.sampled_from(["lfp", "units", "nope"]), junk),
       min_duration=st.one_of(st.sampled_from([0.0, 1.0, 30.0, 600.0, -1.0, float("nan"), float("inf")]),
                              number_or_junk),
       kw=st.dictionaries(st.sampled_from(["target_s", "bin_width", "max_duration", "nan_channels"]),
                          st.one_of(finite, number_or_junk, st.sampled_from(["raise", "drop", "x"])), max_size=2))
def test_extract_rest_any_input(session, first, stream, min_duration, kw):
    target = session if isinstance(first, str) and first == "session" else first
    ok, seg = outcome(gw.extract_rest, target, stream, min_duration, **kw)
    if ok:
        _is_segment(seg)


@fast(40)
@given(start=number_or_junk, stop=number_or_junk,
       state=st.one_of(st.text(max_size=12), junk),
       stream=st.one_of(st.none(), st.sampled_from(["lfp", "units", "nope"]), junk))
def test_annotate_rest(session, start, stop, state, stream):
    if not hasattr(gw, "annotate_rest"):
        pytest.skip("gw.annotate_rest is not in this build yet")
    ok, seg = outcome(gw.annotate_rest, session, start, stop, state=state, stream=stream)
    if ok:
        _is_segment(seg)


# -- alignment -------------------------------------------------------------------------------------

@fast(40)
@given(rest=mostly(st.lists(near_valid(), min_size=1, max_size=3),
                   st.one_of(st.lists(near_valid(), max_size=3), st.lists(arrays(max_t=80, max_c=6), max_size=3),
                             junk)),
       n_components=mostly(st.integers(1, 2), st.one_of(st.integers(-2, 8), junk)),
       x=near_valid(), session_i=mostly(st.integers(0, 1), st.one_of(st.integers(-3, 4), junk)))
def test_rest_aligner(rest, n_components, x, session_i):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok, al = outcome(gw.align.RestAligner(n_components=n_components).fit, rest)
        if ok:
            assert al is not None
            ok, z = outcome(al.transform, x, session=session_i)
            if ok:
                assert np.asarray(z).shape[0] == np.asarray(x).shape[0]


# -- spike inference -------------------------------------------------------------------------------

@fast(40)
@given(dff=mostly(near_valid(t=(60, 300), c=(1, 4), positive=True, exclude=("huge",)), st.one_of(arrays(max_t=200, max_c=4), junk)),
       fs=mostly(st.sampled_from([30.0, 7.5, 100.0]), st.one_of(st.sampled_from([1.0, 1e6, 0.0]), number_or_junk)),
       method=mostly(st.sampled_from(["supervised", "oasis"]), st.sampled_from(["OASIS", "x", None, ""])),
       axis=mostly(st.just(0), st.sampled_from([-1, 1, 2, -3])))
def test_infer_spikes(dff, fs, method, axis):
    kw = {"ar_order": 1} if method == "oasis" else {}  # other orders: KNOWN["oasis ar_order"]
    ok, r = outcome(gw.translate.infer_spikes, dff, fs, method, axis=axis, **kw)
    if ok:
        assert np.shape(r) == np.shape(dff)


# -- error map -------------------------------------------------------------------------------------

@fast(20)
@given(frags=st.one_of(st.lists(near_valid(t=(80, 160), c=(5, 7)), min_size=2, max_size=3),
                       st.lists(near_valid(t=(80, 160), c=(5, 7)), min_size=2, max_size=3),
                       st.lists(near_valid(t=(80, 160), c=(5, 7)), min_size=2, max_size=3),
                       st.lists(arrays(max_t=80, max_c=4), max_size=3),
                       st.dictionaries(st.text(max_size=3), arrays(max_t=80, max_c=4), max_size=3),
                       st.lists(st.one_of(st.just({"uri": "demo://nope"}), st.just({"data": "x"}),
                                          st.just({"name": "a"}), junk), max_size=2), junk),
       kw=st.dictionaries(st.sampled_from(["cv", "n_boot", "n_components", "horizon", "alpha", "model"]),
                          st.one_of(st.integers(-1, 4), number_or_junk, st.just("ridge")), max_size=1))
def test_error_map(frags, kw):
    kw = {"cv": 2, "n_boot": 2, **kw}
    ok, E = outcome(gw.error_map, frags, **kw)
    if ok:
        assert E is not None


@pytest.mark.parametrize("ar_order, n", [(0, 100), (3, 100), (None, 100), (2, 60)])
def test_oasis_known_failures(ar_order, n):
    x = np.abs(np.random.default_rng(0).normal(size=(n, 1)))
    outcome(gw.translate.infer_spikes, x, 30.0, "oasis", axis=0, ar_order=ar_order)


def test_oasis_huge_values_known_failure():
    x = np.abs(np.random.default_rng(0).normal(size=(100, 1))) * 1e300
    outcome(gw.translate.infer_spikes, x, 30.0, "oasis", axis=0)


OTHER_ALIGNERS = {
    "PairedCCA": lambda k: gw.align.PairedCCA(n_components=k),
    "Procrustes": lambda k: gw.align.Procrustes(n_components=k),
    "GroupAligner": lambda k: gw.align.GroupAligner(n_components=k, n_iter=5),
    # window: 30-90 samples in the valid branch (a window shorter than the channel count: KNOWN["riemann window"])
    "RiemannianRecenter": lambda k: gw.align.RiemannianRecenter(
        window=k * 30 if isinstance(k, int) and not isinstance(k, bool) and k > 0 else k),
    "UnitMatcher": lambda k: gw.align.UnitMatcher(max_lag=k),
}


@pytest.mark.parametrize("name", sorted(OTHER_ALIGNERS))
@fast(20)
@given(data=mostly(st.lists(near_valid(t=(60, 160), c=(3, 6)), min_size=2, max_size=3),
                   st.one_of(st.lists(arrays(max_t=60, max_c=5), max_size=3), junk)),
       k=mostly(st.integers(1, 3), st.one_of(st.integers(-2, 10), junk)))
def test_other_aligners(name, data, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok, est = outcome(lambda: OTHER_ALIGNERS[name](k).fit(data))
        if ok and hasattr(est, "transform") and isinstance(data, list) and data:
            outcome(est.transform, data[0], session=0)


def _has_huge(data):
    if not isinstance(data, list):
        return False
    return any(isinstance(d, np.ndarray) and d.dtype.kind == "f" and d.size and np.nanmax(np.abs(d)) > 1e200
               for d in data)


KNOWN["riemann window"] = ("alignment helper: RiemannianRecenter(window=1).fit(two (100, 3) arrays) raises "
                           "ValueError('Matrices must be positive definite') instead of a GlueError")
KNOWN["unitmatcher huge"] = ("alignment helper: UnitMatcher().fit([x, x * 1e299]) raises ValueError('matrix "
                             "contains invalid numeric entries') from the assignment solver")


def test_riemann_short_window_known_failure():
    rng = np.random.default_rng(0)
    outcome(gw.align.RiemannianRecenter(window=1).fit, [rng.normal(size=(100, 3)), rng.normal(size=(100, 3))])


def test_unitmatcher_huge_values_known_failure():
    x = np.random.default_rng(0).normal(size=(100, 3))
    outcome(gw.align.UnitMatcher().fit, [x, x * 1e299])
