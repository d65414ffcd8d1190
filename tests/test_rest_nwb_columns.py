"""Rest labels from the text columns of every TimeIntervals table of an NWB file (pynwb-written files),
and extract_rest / rest_window on the two real pynapple NWB files (../shared/data/pynapple_nwb)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import NotFoundError
from glue_widgets.rest.window import rest_window

pynwb = pytest.importorskip("pynwb")


def _write(path, *, table: str = "trials", column: str = "phase", rows=None, duration: float = 1000.0):
    """An NWB file with a 4-channel ElectricalSeries (50 Hz) and one intervals table with a text column."""
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ecephys import ElectricalSeries
    from pynwb.epoch import TimeIntervals

    nwb = NWBFile(session_description="rest-in-a-column fixture", identifier="gw-rest-col",
                  session_start_time=datetime(2024, 1, 2, tzinfo=timezone.utc), lab="elsewhere")
    dev = nwb.create_device("probe")
    grp = nwb.create_electrode_group("g", description="probe", location="CA1", device=dev)
    for _ in range(4):
        nwb.add_electrode(group=grp, location="CA1")
    region = nwb.create_electrode_table_region(list(range(4)), "all")
    rng = np.random.default_rng(0)
    fs = 50.0
    nwb.add_acquisition(ElectricalSeries(name="lfp", data=rng.normal(size=(int(duration * fs), 4)).astype(np.float32),
                                         electrodes=region, rate=fs))
    if table == "trials":
        nwb.add_trial_column(column, "what the row is")
        nwb.add_trial_column("condition", "a neutral condition code")
        for a, b, v in rows:
            nwb.add_trial(start_time=a, stop_time=b, **{column: v, "condition": "c1"})
    else:
        ti = TimeIntervals(name=table, description="custom intervals")
        ti.add_column(column, "what the row is")
        for a, b, v in rows:
            ti.add_interval(start_time=a, stop_time=b, **{column: v})
        nwb.add_time_intervals(ti)
    with NWBHDF5IO(str(path), "w") as io_:
        io_.write(nwb)
    return path


def _phase_rows():
    # ten 60-s rows of spontaneous activity, then 40 task trials of 8 s with 2-s inter-trial intervals
    rows = [(60.0 * i, 60.0 * (i + 1), "spontaneous activity") for i in range(10)]
    rows += [(600.0 + 10 * k, 608.0 + 10 * k, "stimulus presentation") for k in range(40)]
    return rows


def test_trials_phase_column_yields_one_merged_rest_window(tmp_path):
    s = gw.open(str(_write(tmp_path / "phase.nwb", rows=_phase_rows())))
    ep = s.epochs
    rest_rows = ep[ep["label"] == "spontaneous activity"]
    assert len(rest_rows) == 10 and set(rest_rows["label_column"]) == {"phase"}
    assert set(rest_rows["source_table"]) == {"trials"}
    seg = gw.extract_rest(s)
    c = seg.attrs["card"]
    assert (c["start"], c["stop"]) == (0.0, 600.0)
    assert c["state"]["evidence"] == "epochs" and c["state"]["definition"] == "spontaneous"
    assert c["state"]["details"]["candidate"]["rows"] == 10
    assert c["state"]["details"]["candidate"]["column"] == "phase"
    assert seg.attrs["coverage"] == pytest.approx(1.0) and seg.attrs["window"] == "0.0–600.0 s"
    w = rest_window(s, use_extract=False)
    assert (w["start"], w["stop"], w["method"]) == (0.0, 600.0, "epochs") and "10 consecutive rows" in w["note"]


@pytest.mark.parametrize("table,column,value,state", [
    ("trials", "stimulus_name", "spontaneous", "spontaneous"),
    ("trials", "condition_label", "gray screen", "gray screen"),
    ("behavior_states", "state", "quiet wakefulness", "quiet wakefulness"),
    ("blocks", "block_type", "pre-task baseline", "baseline"),
    ("epochs_custom", "behavior", "NREM", "sleep/rest box"),
])
def test_rest_words_in_other_columns_and_tables(tmp_path, table, column, value, state):
    rows = [(0.0, 100.0, "task"), (100.0, 400.0, value), (400.0, 900.0, "task")]
    s = gw.open(str(_write(tmp_path / "x.nwb", table=table, column=column, rows=rows)))
    with pytest.warns(gw.rest.ShortRestWarning):
        seg = gw.extract_rest(s)
    c = seg.attrs["card"]
    assert (c["start"], c["stop"]) == (100.0, 400.0)
    assert c["coverage"] == pytest.approx(0.5) and not c["meets_target"]  # shown with its coverage, not refused
    if column != "state":  # an explicit state column defines the state itself
        assert c["state"]["definition"] == state
    else:
        assert c["state"]["definition"] == value


def test_inter_trial_rest_rows_are_not_rest(tmp_path):
    rows = []
    for k in range(30):
        rows += [(20.0 * k, 20.0 * k + 12, "trial"), (20.0 * k + 12, 20.0 * k + 20, "inter-trial rest")]
    s = gw.open(str(_write(tmp_path / "iti.nwb", rows=rows)))
    with pytest.raises(NotFoundError, match="annotate_rest"):
        gw.extract_rest(s)


def test_tags_still_label_rows(tmp_path):
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    nwb = NWBFile(session_description="d", identifier="i", session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    nwb.add_acquisition(TimeSeries(name="x", data=np.zeros((10, 1)), rate=1.0, unit="a.u."))
    nwb.add_epoch(0.0, 5.0, ["sleep"])
    nwb.add_epoch(5.0, 10.0, ["wake"])
    with NWBHDF5IO(str(tmp_path / "t.nwb"), "w") as io_:
        io_.write(nwb)
    ep = gw.open(str(tmp_path / "t.nwb")).epochs
    assert ep["label"].tolist() == ["sleep", "wake"] and set(ep["label_column"]) == {"tags"}


# --- the two real NWB files (MANIFEST: no explicit rest intervals) -------------------------------------------

@pytest.fixture(scope="module")
def pynapple(shared_data):
    root = shared_data / "pynapple_nwb"
    if not root.exists():
        pytest.skip("pynapple_nwb not present")
    return root


def test_real_human_mtl_file_fails_with_annotate_example(pynapple):
    """Three task tables (encoding, recognition, time discrimination) and no rest label: the untagged
    stretch between task blocks is not declared rest (the subject may be getting instructions), but
    the error shows it and the runnable annotate_rest call."""
    s = gw.open(str(pynapple / "sub-4_ses-4_ecephys+image.nwb"))
    with pytest.raises(NotFoundError) as ei:
        gw.extract_rest(s)
    msg = str(ei.value)
    assert "gw.annotate_rest(s, 939.1, 1246.8" in msg and "gw.open(" in msg and "inter-trial" in msg
    # the example in the message runs as written
    code = msg[msg.index("import glue_widgets"):msg.index("\nor add")]
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec("\n".join(line.strip() for line in code.splitlines()), ns)
    c = ns["seg"].attrs["card"]
    assert c["state"]["evidence"] == "user" and c["start"] == pytest.approx(939.1)
    assert rest_window(s, use_extract=False)["method"] == "none"


def test_real_mouse_wake_epoch_is_not_rest(pynapple):
    """One epoch tagged 'wake' (the animal awake, moving or not): not a rest statement."""
    s = gw.open(str(pynapple / "A8604-211122.nwb"))
    with pytest.raises(NotFoundError, match=r"gw\.annotate_rest\(s, 0\.0, 600\.0"):
        gw.extract_rest(s)
    seg = gw.annotate_rest(s, 0.0, 300.0, state="home cage", lab="Peyrache", region="ADN", species="mouse",
                           bin_width=0.1)
    c = seg.attrs["card"]
    assert seg.sizes["time"] == 3000 and c["coverage"] == pytest.approx(0.5)
    assert (c["lab"], c["regions"], c["species"]) == ("Peyrache", ["ADN"], "Mus musculus")
    assert any("annotate_rest" in n for n in c["notes"])
