"""gw.annotate_rest, candidates frames without a state, coverage of short windows, and the argument
checks of extract_rest / annotate_rest / the RestCard (issue 20 item 7)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import glue_widgets as gw
from glue_widgets.errors import InvalidInputError
from glue_widgets.model import ArraySession, make_timeseries, validate_card
from glue_widgets.rest.window import rest_window


@pytest.fixture(scope="module")
def session():
    rng = np.random.default_rng(1)
    fs, dur = 20.0, 900.0
    t = np.arange(int(fs * dur)) / fs
    x = make_timeseries(rng.normal(size=(t.size, 3)), t, ["a", "b", "c"], modality="lfp", fs=fs, units="uV")
    ep = pd.DataFrame({"start": [0.0, 100.0, 400.0], "stop": [100.0, 400.0, 900.0],
                       "label": ["task", "gray screen", "task"]})
    return ArraySession("file://test/annotate", signals={"lfp": x}, epochs=ep,
                        metadata={"species": "mouse", "lab": "home"})


def test_annotate_rest_builds_segment_and_card(session):
    seg = gw.annotate_rest(session, 450.0, 750.0, state="dark", apparatus="sleep box", illumination="dark",
                           region=["V1", "LGN"], notes="lights off at 450 s", lab="other lab")
    c = seg.attrs["card"]
    assert seg.sizes == {"time": 6000, "channel": 3}
    assert (c["start"], c["stop"], c["duration_s"]) == (450.0, 750.0, 300.0)
    assert c["state"]["definition"] == "dark" and c["state"]["evidence"] == "user"
    assert (c["apparatus"], c["illumination"], c["regions"], c["lab"]) == ("sleep box", "dark", ["V1", "LGN"],
                                                                         "other lab")
    assert "lights off at 450 s" in c["notes"] and c["species"] == "Mus musculus"
    assert seg.attrs["coverage"] == c["coverage"] == pytest.approx(0.5) and seg.attrs["window"] == "450.0–750.0 s"
    assert validate_card(c) == c


def test_annotate_rest_is_public():
    assert "annotate_rest" in gw.__all__ and gw.annotate_rest is gw.rest.annotate_rest
    assert "annotate_segment" not in gw.rest.__all__


@pytest.mark.parametrize("kw,match", [
    (dict(start=500.0, stop=400.0), r"start=500.0 must be before stop=400.0"),
    (dict(start=math.nan, stop=400.0), r"start=nan"),
    (dict(start=0.0, stop=math.inf), r"stop=inf"),
    (dict(start="0", stop=10.0), r"start='0'"),
    (dict(start=-50.0, stop=10.0), r"outside stream 'lfp'.*\[0.000, 900.000\]"),
    (dict(start=800.0, stop=2000.0), r"outside stream"),
    (dict(start=0.0, stop=10.0, stream="nope"), r"stream 'nope' is not in .*\['lfp'\]"),
    (dict(start=0.0, stop=10.0, colour="red"), r"unknown metadata key\(s\) \['colour'\].*'lab'"),
    (dict(start=0.0, stop=10.0, lab=3), r"lab=3 must be a string"),
    (dict(start=0.0, stop=10.0, state=""), r"state=''"),
    (dict(start=0.0, stop=10.0, target_s=0), r"target_s=0"),
])
def test_annotate_rest_refuses_bad_arguments(session, kw, match):
    with pytest.raises(InvalidInputError, match=match):
        gw.annotate_rest(session, **kw)


@pytest.mark.parametrize("bad", ["a string", 3, None, np.zeros((10, 2))])
def test_extract_rest_refuses_non_sessions(bad):
    with pytest.raises(InvalidInputError, match="needs a Session"):
        gw.extract_rest(bad)
    with pytest.raises(InvalidInputError, match="needs a Session"):
        gw.annotate_rest(bad, 0.0, 1.0)


def test_extract_rest_string_hint_is_runnable_call():
    with pytest.raises(InvalidInputError, match=r"gw.extract_rest\(gw.open\('demo://x'\)\)"):
        gw.extract_rest("demo://x")


@pytest.mark.parametrize("kw", [dict(target_s=0), dict(target_s=-600), dict(min_duration=-1),
                                dict(min_duration=math.nan), dict(min_duration="600"), dict(max_duration=0),
                                dict(bin_width=math.nan), dict(nan_channels="ignore")])
def test_extract_rest_refuses_bad_numbers(session, kw):
    with pytest.raises(InvalidInputError, match=next(iter(kw))):
        gw.extract_rest(session, **kw)


def test_candidates_without_state(session):
    """Issue 19: candidates=DataFrame(start, stop) crashed with KeyError 'state'."""
    cands = pd.DataFrame({"start": [120.0, 500.0], "stop": [300.0, 560.0]})
    with pytest.warns(gw.rest.ShortRestWarning):
        seg = gw.extract_rest(session, candidates=cands)
    c = seg.attrs["card"]
    assert (c["start"], c["stop"]) == (120.0, 300.0) and c["state"]["evidence"] == "user"
    with pytest.raises(InvalidInputError, match=r"lacks column\(s\) \['stop'\]"):
        gw.extract_rest(session, candidates=pd.DataFrame({"start": [0.0]}))
    with pytest.raises(InvalidInputError, match="row 0"):
        gw.extract_rest(session, candidates=pd.DataFrame({"start": [10.0], "stop": [5.0]}))


def test_short_window_shown_with_coverage(session):
    with pytest.warns(gw.rest.ShortRestWarning, match="coverage 50%"):
        seg = gw.extract_rest(session)
    c = seg.attrs["card"]
    assert (c["start"], c["stop"]) == (100.0, 400.0)
    assert c["coverage"] == pytest.approx(0.5) and not c["meets_target"] and seg.attrs["coverage"] == c["coverage"]
    w = rest_window(session)
    assert w["method"] == "gw.extract_rest" and w["window"] == "100.0–400.0 s"
    assert w["coverage"] == pytest.approx(0.5) and "covers 50%" in w["note"]


def test_rest_window_of_delegates(session):
    from glue_widgets.apps._common import rest_window_of

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = rest_window_of(session, None, use_analysis=False)
    assert a == rest_window(session, use_extract=False)
    assert {"start", "stop", "method", "card", "note", "coverage"} <= set(a)
    assert (a["start"], a["stop"], a["method"]) == (100.0, 400.0, "epochs")


def _card(session):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(gw.extract_rest(session).attrs["card"])


@pytest.mark.parametrize("change,match", [
    (dict(duration_s=math.nan), "not finite"),
    (dict(start=500.0), "not before stop"),
    (dict(stop=100.0), "not before stop"),
    (dict(duration_s=10.0), "does not equal stop - start"),
    (dict(coverage=0.9), "coverage"),
    (dict(fs=math.inf), "not finite"),
])
def test_card_semantics(session, change, match):
    card = {**_card(session), **change}
    with pytest.raises(InvalidInputError, match=match):
        validate_card(card)
