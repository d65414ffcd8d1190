"""Property-based tests of the catalog and the model helpers with generated bad input (issue #20).

Property: a valid result or a ``GlueError``; for the catalog also: nothing is ever written outside the
catalog folder, and a refused add leaves no row and no file behind.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

from glue_widgets.model import bin_spikes, make_timeseries, new_card, validate_card
from glue_widgets.rest.catalog import Catalog
from tests.support.hypo import fast, finite, junk, mostly, near_valid, number_or_junk, outcome

pytestmark = [pytest.mark.timeout(300), pytest.mark.filterwarnings("ignore")]
pytest.importorskip("pynwb")


def _card(stop=2.0, n_channels=2, **over):
    card = new_card(start=0.0, stop=stop, modality="lfp", source="mem://hyp", state="dark", evidence="label",
                    fs=20.0, n_channels=n_channels)
    card.update(over)
    return card


def _seg(n=40, c=2):
    t = np.arange(n) / 20.0
    x = make_timeseries(np.random.default_rng(0).normal(size=(n, c)), t, [f"c{i}" for i in range(c)],
                        modality="lfp", fs=20.0)
    x.attrs["card"] = _card(n_channels=c, stop=n / 20.0)
    return x


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("hyp_cat")


def _outside_files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                  and not (p.parent == root / "cat" and p.name.startswith("catalog.sqlite"))
                  and not (p.parent == root / "cat" / "segments"))


ids = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True), st.text(max_size=20),
                st.sampled_from(
    ["../../outside/x", "../x", "/tmp/abs", "a/b", "a\\b", "..", ".", "", "ok-id", "ok.id_2", "CON", "x" * 129,
     "nul\x00", "é", "a" * 128, "-lead", "_lead"]), junk)


@fast(20)
@given(seg_id=ids)
def test_catalog_add_any_id(root, seg_id):
    cat = Catalog(root / "cat")
    before = len(cat)
    ok, sid = outcome(cat.add, _seg(), id=seg_id)
    assert _outside_files(root) == []
    if ok:
        assert sid in cat and cat.get(sid).sizes["time"] == 40
        cat.remove(sid)
    assert len(cat) == before


def _bad_segment(draw):
    kind = draw(st.sampled_from(["ok", "ok", "ok", "dims", "no_card", "card_junk", "card_field", "values", "empty", "object",
                                 "not_array", "channel_coord"]))
    if kind == "not_array":
        return draw(junk)
    x = _seg(draw(st.integers(1, 60)), draw(st.integers(1, 4)))
    if kind == "dims":
        return x.rename(time="t")
    if kind == "no_card":
        x.attrs.pop("card")
    elif kind == "card_junk":
        x.attrs["card"] = draw(junk)
    elif kind == "card_field":
        key = draw(st.sampled_from(["start", "stop", "duration_s", "fs", "modality", "state", "provenance",
                                    "n_channels", "target_s", "coverage", "species", "session_start_time"]))
        x.attrs["card"] = {**x.attrs["card"], key: draw(st.one_of(number_or_junk, st.text(max_size=5)))}
    elif kind == "values":
        x = x.copy(data=np.full(x.shape, draw(st.sampled_from([np.nan, np.inf, 1e300, -0.0]))))
    elif kind == "empty":
        x = x.isel(time=slice(0, 0))
    elif kind == "object":
        x = x.astype(object)
        x[0, 0] = draw(st.one_of(st.text(max_size=3), st.none()))
    elif kind == "channel_coord":
        x = x.assign_coords(region=("channel", [draw(st.text(max_size=4)) for _ in range(x.sizes["channel"])]))
    return x


@fast(15)
@given(data=st.data())
def test_catalog_add_any_segment(root, data):
    cat = Catalog(root / "cat")
    before = len(cat)
    seg = _bad_segment(data.draw)
    ok, sid = outcome(cat.add, seg)
    assert _outside_files(root) == []
    if ok:
        back = cat.get(sid)
        assert back.shape == seg.shape
        cat.remove(sid)
    assert len(cat) == before
    assert not list((root / "cat" / "segments").glob(".tmp-*"))


@fast(30)
@given(kw=st.dictionaries(st.sampled_from(["species", "modality", "state", "lab", "min_duration", "subject",
                                           "max_duration"]), number_or_junk, max_size=3))
def test_catalog_query_any_filter(root, kw):
    ok, df = outcome(Catalog(root / "cat").query, **kw)
    if ok:
        assert list(df.columns)[:2] == ["id", "species"]


@fast(40)
@given(data=mostly(near_valid(t=(1, 50), c=(1, 3)), junk), fs=mostly(st.floats(0.1, 1e4), number_or_junk),
       shift=st.integers(-1, 1), chans=st.one_of(st.none(), st.integers(0, 4), junk),
       modality=mostly(st.just("lfp"), st.one_of(st.text(max_size=5), junk)))
def test_make_timeseries(data, fs, shift, chans, modality):
    n = int(np.shape(data)[0]) if np.ndim(data) >= 1 else 0
    t = np.arange(max(0, n + shift)) / 10.0
    ch = [f"c{i}" for i in range(chans)] if isinstance(chans, int) and not isinstance(chans, bool) else chans
    ok, x = outcome(make_timeseries, data, t, ch, modality=modality, fs=fs)
    if ok:
        assert isinstance(x, xr.DataArray) and x.dims == ("time", "channel") and np.isfinite(x.attrs["fs"])


@fast(40)
@given(spikes=st.one_of(st.dictionaries(st.text(max_size=3), st.lists(finite, max_size=20), max_size=3),
                        st.lists(st.lists(st.one_of(finite, st.just(np.nan)), max_size=5), max_size=2), junk),
       start=mostly(st.floats(-10, 10), number_or_junk), stop=mostly(st.floats(-10, 100), number_or_junk),
       bw=mostly(st.floats(1e-3, 5), st.one_of(st.sampled_from([0.0, -1.0, 1e-12, np.nan]), number_or_junk)))
def test_bin_spikes(spikes, start, stop, bw):
    ok, x = outcome(bin_spikes, spikes, start, stop, bw)
    if ok:
        assert x.dims == ("time", "channel") and x.size <= 2**28 and (x.values >= 0).all()


@fast(60)
@given(key=st.sampled_from(["start", "stop", "duration_s", "target_s", "coverage", "fs", "n_channels", "bin_width_s",
                            "modality", "state", "provenance", "meets_target", "regions", "notes", "quality"]),
       value=st.one_of(number_or_junk, st.text(max_size=5), st.lists(number_or_junk, max_size=2)))
def test_validate_card(key, value):
    ok, card = outcome(validate_card, {**_card(), key: value})
    if ok:
        for k in ("start", "stop", "duration_s", "target_s", "coverage"):
            assert np.isfinite(card[k])
        assert card["start"] <= card["stop"]
