"""Catalog: add / query / get / export round trip, DANDI-ready NWB export, two concurrent writers."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp

import numpy as np
import pandas as pd
import pytest

import glue_widgets as gw
from glue_widgets.rest.catalog import Catalog
from glue_widgets.errors import InvalidInputError, NotFoundError
from glue_widgets.model import ArraySession, make_timeseries


def make_segment(kind="lfp", species="mouse", lab="arbor", state_label="gray screen", dur=60.0, seed=0,
                 subject="m1"):
    rng = np.random.default_rng(seed)
    ep = pd.DataFrame({"start": [5.0], "stop": [5.0 + dur], "label": [state_label]})
    md = {"species": species, "subject": subject, "session": f"s{seed}", "lab": lab,
          "session_start_time": dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc),
          "institution": "Arbor Institute (virtual)", "experimenter": "Ash, Rowan"}
    if kind == "spikes":
        units = {f"u{i}": np.sort(rng.uniform(0, dur + 10, 300)) for i in range(6)}
        s = ArraySession("mem://sp", spikes={"units": units}, epochs=ep, metadata=md)
        return gw.extract_rest(s, min_duration=dur, bin_width=0.05)
    fs = 50.0
    t = np.arange(int((dur + 10) * fs)) / fs
    x = make_timeseries(rng.normal(size=(t.size, 4)) * 1e-5, t, ["Fz", "Cz", "O1", "O2"], modality=kind, fs=fs,
                        units="V", channel_coords={"region": ["frontal", "central", "occipital", "occipital"]})
    s = ArraySession(f"mem://{kind}{seed}", signals={kind: x}, epochs=ep, metadata=md)
    return gw.extract_rest(s, min_duration=dur)


def _writer(path, worker, n):
    cat = Catalog(path)
    for i in range(n):
        cat.add(make_segment(seed=100 * worker + i, lab=f"lab{worker}", dur=20.0))
    return n


def test_round_trip_query_export(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    cat = Catalog(tmp_path / "cat")
    a = cat.add(make_segment("lfp", "mouse", "arbor", "gray screen", 60.0, 1))
    b = cat.add(make_segment("eeg", "human", "delta", "eyes closed", 30.0, 2, subject="01"))
    c = cat.add(make_segment("spikes", "macaque", "cedar", "rest eyes-open fixation", 40.0, 3))
    assert len(cat) == 3 and a in cat
    assert list(cat.query(species="mouse").id) == [a]
    assert list(cat.query(species="Homo sapiens").id) == [b]
    assert set(cat.query(min_duration=35).id) == {a, c}
    assert list(cat.query(state="fixation").id) == [c]
    assert list(cat.query(modality="eeg", lab="delta").id) == [b]
    assert cat.query(lab="nobody").empty
    seg = cat.get(a)
    orig = make_segment("lfp", "mouse", "arbor", "gray screen", 60.0, 1)
    np.testing.assert_allclose(seg.values, orig.values, rtol=1e-6, atol=1e-12)   # float32 storage
    np.testing.assert_allclose(seg.time.values, orig.time.values)
    assert list(seg.channel.values) == ["Fz", "Cz", "O1", "O2"]
    assert seg.attrs["card"] == cat.card(a) and seg.attrs["card"]["state"]["definition"] == "gray screen"
    sp = cat.get(c)
    assert sp.attrs["card"]["bin_width_s"] == 0.05 and sp.sizes["channel"] == 6
    np.testing.assert_array_equal(sp.values, make_segment("spikes", "macaque", "cedar", "rest eyes-open fixation",
                                                           40.0, 3).values)
    # a standalone NWB for DANDI, re-opened with pynwb
    out = cat.export_nwb(a, tmp_path / "export" / "rest.nwb", subject={"age": "P90D"})
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        assert nwb.subject.species == "Mus musculus" and nwb.subject.subject_id == "m1"
        assert nwb.subject.sex == "U" and nwb.subject.age == "P90D"
        assert nwb.lab == "arbor" and nwb.session_start_time.year == 2024
        es = nwb.acquisition["rest_segment"]
        assert type(es).__name__ == "ElectricalSeries" and es.data.shape == seg.shape
        assert list(nwb.electrodes["channel_name"][:]) == ["Fz", "Cz", "O1", "O2"]
        import json
        assert json.loads(nwb.scratch["rest_card"].data[()] if hasattr(nwb.scratch["rest_card"].data, "shape")
                          else nwb.scratch["rest_card"].data)["duration_s"] == 60.0
    inspector = pytest.importorskip("nwbinspector")
    msgs = list(inspector.inspect_nwbfile(nwbfile_path=str(out)))
    assert not [m for m in msgs if m.importance.name in ("CRITICAL", "PYNWB_VALIDATION")], msgs


def test_two_writers_lose_nothing(tmp_path):
    path = tmp_path / "shared"
    Catalog(path)
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        done = pool.starmap(_writer, [(str(path), 1, 6), (str(path), 2, 6)])
    assert done == [6, 6]
    cat = Catalog(path)
    df = cat.query()
    assert len(df) == 12 and df.id.is_unique
    assert (df.lab.value_counts() == 6).all()
    for sid in df.id:
        assert cat.get(sid).sizes["time"] == 1000
    assert not list((path / "segments").glob(".tmp-*"))


def test_catalog_errors(tmp_path):
    cat = Catalog(tmp_path / "c")
    with pytest.raises(NotFoundError, match="not in the catalog"):
        cat.get("nope")
    with pytest.raises(InvalidInputError, match="card"):
        cat.add(make_timeseries(np.zeros((10, 2)), np.arange(10.0), modality="lfp"))
    seg = make_segment(dur=10.0)
    sid = cat.add(seg, id="fixed")
    with pytest.raises(InvalidInputError, match="already"):
        cat.add(seg, id=sid)
