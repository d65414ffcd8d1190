"""extract_rest / find_rest_candidates / broaden_rest on in-memory sessions with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import glue_widgets as gw
from glue_widgets.errors import BadDataError, InvalidInputError, NotFoundError, StreamNotFoundError, WindowError
from glue_widgets.model import ArraySession, make_timeseries, validate_card
from glue_widgets.rest import ShortRestWarning, classify_label


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def lfp(duration=900.0, fs=20.0, n=4, seed=0, scale=None, names=None):
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * fs)) / fs
    x = rng.normal(size=(t.size, n))
    if scale is not None:
        x *= scale(t)[:, None]
    return make_timeseries(x, t, names, modality="lfp", fs=fs, units="V")


def speed_trace(duration, rest, fs=10.0, seed=1):
    """Running speed (cm/s): running outside ``rest`` (a list of intervals), still inside, with twitches."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * fs)) / fs
    v = np.abs(rng.normal(15, 5, t.size))
    for a, b in rest:
        m = (t >= a) & (t < b)
        v[m] = np.abs(rng.normal(0.3, 0.2, m.sum()))
        # brief 1-s twitches every ~60 s inside rest: must not break the window
        for tw in np.arange(a + 30, b - 10, 60):
            v[(t >= tw) & (t < tw + 1.0)] = 12.0
    return make_timeseries(v, t, ["speed"], modality="behavior", fs=fs, units="cm/s")


class CountingSession(ArraySession):
    """Records every window read, to prove only the rest window of the neural stream is read."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.reads = []

    def _read_window(self, info, start, stop, **kw):
        self.reads.append((info.name, start, stop))
        return super()._read_window(info, start, stop, **kw)


def test_labels():
    assert classify_label("Spontaneous") == "rest"
    assert classify_label("gray_screen") == "rest"
    assert classify_label("task-rest") == "rest"
    assert classify_label("anchor") == "stimulus"
    assert classify_label("pre-stimulus baseline") == "stimulus"
    assert classify_label("arithmetic") == "task"
    assert classify_label("wake") == "other"


def test_epochs_window_and_card():
    ep = pd.DataFrame({"start": [0.0, 200.0, 800.0], "stop": [200.0, 800.0, 900.0],
                       "label": ["task", "gray screen", "anchor"]})
    s = CountingSession("mem://a", signals={"lfp": lfp()}, epochs=ep,
                        metadata={"species": "mouse", "subject": "m1", "session": "d0", "lab": "arbor"})
    seg = gw.extract_rest(s)
    card = seg.attrs["card"]
    validate_card(card)
    assert (card["start"], card["stop"]) == (200.0, 800.0)
    assert card["duration_s"] == 600.0 and card["coverage"] == 1.0 and card["meets_target"]
    assert card["state"]["evidence"] == "epochs" and card["state"]["definition"] == "gray screen"
    assert card["species"] == "Mus musculus" and card["lab"] == "arbor" and card["n_channels"] == 4
    assert seg.time.values[0] >= 200.0 and seg.time.values[-1] < 800.0
    q = card["quality"]
    assert q["missing_fraction"] == 0.0 and q["artifact_fraction"] < 0.01
    assert q["stationarity"]["mean_drift"] < 0.1
    # only the rest window of the neural stream was read
    assert s.reads == [("lfp", 200.0, 800.0)]
    c = gw.find_rest_candidates(s)
    assert list(c.evidence) == ["epochs"] and c.iloc[0].label == "gray screen"


def test_short_window_warns_and_card_says_so():
    ep = pd.DataFrame({"start": [100.0], "stop": [160.0], "label": ["rest"]})
    s = ArraySession("mem://b", signals={"lfp": lfp(300)}, epochs=ep)
    with pytest.warns(ShortRestWarning, match="shorter than min_duration"):
        seg = gw.extract_rest(s, min_duration=600)
    card = seg.attrs["card"]
    assert card["meets_target"] is False and card["coverage"] == pytest.approx(0.1)
    assert any("shorter than requested" in n for n in card["notes"])


def test_behaviour_only_rest_and_running_state():
    rest = [(300.0, 900.0)]
    s = CountingSession("mem://c", signals={"lfp": lfp(1200), "running_speed": speed_trace(1200, rest)},
                        epochs=pd.DataFrame({"start": [0.0], "stop": [250.0], "label": ["task"]}))
    c = gw.find_rest_candidates(s)
    assert c.iloc[0].evidence == "behavior"
    seg = gw.extract_rest(s, min_duration=500)
    card = seg.attrs["card"]
    assert iou((card["start"], card["stop"]), rest[0]) >= 0.95
    assert card["state"]["inferred"] == "still"
    assert card["arousal"]["running_speed"]["still_fraction"] > 0.95
    assert "speed:running_speed" in card["arousal"]["available"]
    neural = [r for r in s.reads if r[0] == "lfp"]
    assert len(neural) == 1 and neural[0][2] - neural[0][1] < 700


def test_position_stream_gives_speed():
    t = np.arange(0, 1000, 0.1)
    rng = np.random.default_rng(3)
    x = np.where((t > 400) & (t < 900), 5.0, 50 + 40 * np.sin(t / 3)) + rng.normal(0, 0.05, t.size)
    pos = make_timeseries(np.c_[x, x * 0.5], t, ["x", "y"], modality="behavior", fs=10.0)
    s = ArraySession("mem://pos", signals={"lfp": lfp(1000), "position": pos})
    seg = gw.extract_rest(s, min_duration=400)
    assert iou((seg.attrs["card"]["start"], seg.attrs["card"]["stop"]), (400, 900)) > 0.95


def test_bids_task_rest_and_task():
    s = ArraySession("mem://bids", signals={"eeg": lfp(200)}, metadata={"TaskName": "rest"})
    with pytest.warns(ShortRestWarning):
        seg = gw.extract_rest(s)
    assert seg.attrs["card"]["state"]["evidence"] == "bids-task"
    assert seg.attrs["card"]["duration_s"] == pytest.approx(200.0, abs=0.1)
    s2 = ArraySession("mem://bids2", signals={"eeg": lfp(200)}, metadata={"TaskName": "arithmetic"})
    with pytest.raises(NotFoundError, match="arithmetic"):
        gw.extract_rest(s2)


def test_eyes_closed_from_occipital_alpha():
    fs = 250.0
    t = np.arange(int(120 * fs)) / fs
    rng = np.random.default_rng(0)
    names = ["Fz", "Cz", "O1", "O2"]
    x = rng.normal(size=(t.size, 4))
    closed = x.copy()
    closed[:, 2:] += 4 * np.sin(2 * np.pi * 10 * t)[:, None]
    for data, want in ((closed, "eyes closed"), (x, "eyes open")):
        eeg = make_timeseries(data, t, names, modality="eeg", fs=fs)
        s = ArraySession("mem://eeg", signals={"eeg": eeg}, metadata={"TaskName": "rest"})
        seg = gw.extract_rest(s, min_duration=60)
        assert seg.attrs["card"]["state"]["inferred"].startswith(want)
        assert "alpha_ratio" in seg.attrs["card"]["state"]["details"]


def test_spike_stream_binned_and_recorded():
    rng = np.random.default_rng(0)
    units = {f"u{i}": np.sort(rng.uniform(0, 100, 500)) for i in range(5)}
    ep = pd.DataFrame({"start": [0.0, 30.0], "stop": [30.0, 100.0], "label": ["spontaneous", "stimulation"]})
    s = ArraySession("mem://sp", spikes={"units": units}, epochs=ep)
    with pytest.warns(ShortRestWarning):
        seg = gw.extract_rest(s, bin_width=0.1)
    c = seg.attrs["card"]
    assert c["modality"] == "spikes" and c["bin_width_s"] == 0.1 and seg.sizes["time"] == 300


def test_broaden_grows_until_state_change_and_task():
    # variance doubles before t = 200 s; a task epoch starts at 700 s; only [300, 600) is labelled rest
    sig = lfp(800, scale=lambda t: np.where(t < 200, 3.0, 1.0))
    ep = pd.DataFrame({"start": [300.0, 700.0], "stop": [600.0, 800.0], "label": ["rest", "task"]})
    s = ArraySession("mem://br", signals={"lfp": sig}, epochs=ep)
    seg = gw.extract_rest(s, min_duration=300)
    wide = gw.broaden_rest(s, seg, step_s=20)
    b = wide.attrs["card"]["broadening"]
    assert b["core"] == [300.0, 600.0]
    assert wide.attrs["card"]["start"] == pytest.approx(200.0) and wide.attrs["card"]["stop"] == pytest.approx(700.0)
    assert "state changed" in b["stopped"]["left"] and "task" in b["stopped"]["right"]
    assert wide.sizes["time"] == pytest.approx(500 * 20, abs=2)
    with pytest.raises(InvalidInputError):
        gw.broaden_rest(s, lfp(10))


# -- bad input -------------------------------------------------------------------------------------

def test_no_evidence_lists_what_was_looked_for():
    s = ArraySession("mem://none", signals={"lfp": lfp(100)})
    with pytest.raises(NotFoundError) as e:
        gw.extract_rest(s)
    msg = str(e.value)
    assert "spontaneous" in msg and "behaviour streams" in msg and "lfp" in msg


def test_all_nan_channels():
    sig = lfp(100)
    sig[:, 1] = np.nan
    ep = pd.DataFrame({"start": [0.0], "stop": [90.0], "label": ["rest"]})
    s = ArraySession("mem://nan", signals={"lfp": sig}, epochs=ep)
    with pytest.raises(BadDataError, match="entirely NaN"):
        gw.extract_rest(s, min_duration=60)
    seg = gw.extract_rest(s, min_duration=60, nan_channels="drop")
    assert seg.sizes["channel"] == 3 and any("all-NaN" in n for n in seg.attrs["card"]["notes"])
    sig[:] = np.nan
    s = ArraySession("mem://nan2", signals={"lfp": sig}, epochs=ep)
    with pytest.raises(BadDataError, match="every channel"):
        gw.extract_rest(s, min_duration=60, nan_channels="drop")


def test_window_shorter_than_a_second():
    ep = pd.DataFrame({"start": [10.0], "stop": [10.5], "label": ["rest"]})
    s = ArraySession("mem://short", signals={"lfp": lfp(100)}, epochs=ep)
    with pytest.raises(WindowError, match="0.500 s long"):
        gw.extract_rest(s)


def test_wrong_kind_of_stream():
    s = ArraySession("mem://kind", signals={"lfp": lfp(100), "running_speed": speed_trace(100, [(0, 50)])})
    with pytest.raises(InvalidInputError, match="not neural activity"):
        gw.extract_rest(s, stream="running_speed")
    with pytest.raises(StreamNotFoundError):
        gw.extract_rest(s, stream="nope")
    s2 = ArraySession("mem://beh", signals={"running_speed": speed_trace(100, [(0, 50)])})
    with pytest.raises(InvalidInputError, match="no neural stream"):
        gw.extract_rest(s2)


def test_eyes_open_closed_relative_to_other_rest_window():
    # both states have an alpha peak (open one above the absolute threshold): the comparison decides
    fs = 200.0
    t = np.arange(int(200 * fs)) / fs
    rng = np.random.default_rng(5)
    x = rng.normal(size=(t.size, 3))
    amp = np.where(t < 100, 2.0, 5.0)
    x[:, 1:] += (amp * np.sin(2 * np.pi * 10 * t))[:, None]
    eeg = make_timeseries(x, t, ["Cz", "O1", "O2"], modality="eeg", fs=fs)
    ep = pd.DataFrame({"start": [0.0, 100.0], "stop": [100.0, 200.0], "label": ["eyes open", "eyes closed"]})
    s = ArraySession("mem://eo", signals={"eeg": eeg}, epochs=ep)
    cands = gw.find_rest_candidates(s)
    for order, want in (([0, 1], "eyes open"), ([1, 0], "eyes closed")):
        seg = gw.extract_rest(s, min_duration=60, candidates=cands.iloc[order].reset_index(drop=True))
        st = seg.attrs["card"]["state"]
        assert st["inferred"].startswith(want) and st["details"]["alpha_basis"].startswith("relative")
        assert st["details"]["alpha_ratio"] > 8.0  # the absolute threshold alone would call both closed
