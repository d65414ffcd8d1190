"""The one rest vocabulary (glue_widgets.model.labels): labels from many labs, BIDS task names, and
what must NOT count as rest. The faces use it too (apps/_common no longer has a list of its own)."""

from __future__ import annotations

import pandas as pd
import pytest

from glue_widgets.model.labels import classify_label, is_rest_label, rest_match, state_from_label
from glue_widgets.rest.candidates import blocked_intervals, rest_epochs

REST = ["spontaneous", "Spontaneous activity", "spontaneous_activity", "Spon.2", "gray screen", "grey_screen",
        "blank", "baseline", "pre-task baseline", "quiet wakefulness", "Quiet wake", "resting", "rest",
        "resting state", "eyes closed", "eyes-open", "fixation", "dark", "sleep", "NREM", "SWS",
        "slow-wave sleep", "home cage", "task-free", "immobility", "quiescence", "no stimulus",
        "stimulus off", "mean luminance"]
NOT_REST = ["inter-trial interval", "ITI", "intertrial", "rest between trials", "wake", "active wake", "running",
            "trials", "encoding_table", "drifting gratings", "natural_movie_one", "pre-stimulus baseline",
            "prestim", "flash", "forest", "interest", "reward", "go cue"]
BIDS_REST = ["task-rest", "rest", "restingstate", "rs", "task-rs", "eyesclosed", "eyesopen", "restEC", "restEO",
             "prerest", "postrest", "rsfmri", "ec", "eo", "rest2"]
BIDS_NOT = ["task-nback", "motor", "arithmetic", "gonogo", "interest", "faces"]


@pytest.mark.parametrize("label", REST)
def test_rest_labels(label):
    assert classify_label(label) == "rest" and is_rest_label(label), label


@pytest.mark.parametrize("label", NOT_REST)
def test_not_rest_labels(label):
    assert not is_rest_label(label) and classify_label(label) != "rest", label


@pytest.mark.parametrize("task", BIDS_REST)
def test_bids_task_names(task):
    assert rest_match(task) is not None, task


@pytest.mark.parametrize("task", BIDS_NOT)
def test_bids_task_names_not_rest(task):
    assert rest_match(task) is None, task


def test_state_definitions():
    assert state_from_label("restEC") == "eyes-closed rest"
    assert state_from_label("task-eo") == "eyes-open fixation"
    assert state_from_label("quiet wakefulness") == "quiet wakefulness"
    assert state_from_label("NREM") == "sleep/rest box"
    assert state_from_label("Spontaneous activity") == "spontaneous"


def test_inter_trial_is_task_and_blocks_behaviour_windows():
    ep = pd.DataFrame({"start": [0.0, 10.0], "stop": [10.0, 12.0], "label": ["trial", "inter-trial interval"]})
    assert blocked_intervals(ep) == [(0.0, 10.0), (10.0, 12.0)]


def test_neutral_trial_rows_still_block():
    # a trials table labelled by a neutral condition ("c0") is still a task table
    ep = pd.DataFrame({"start": [0.0, 5.0], "stop": [2.0, 7.0], "label": ["c0", "spontaneous"],
                       "source_table": ["trials", "trials"]})
    assert blocked_intervals(ep) == [(0.0, 2.0)]


def test_rest_epochs_merges_consecutive_rows_only():
    ep = pd.DataFrame({"start": [0.0, 60, 120, 180, 240, 300], "stop": [60.0, 120, 180, 240, 300, 330],
                       "label": ["spontaneous activity"] * 2 + ["task"] + ["spontaneous activity"] * 2 + ["gray"],
                       "source_table": ["trials"] * 6})
    out = rest_epochs(ep)
    assert out[["start", "stop", "rows"]].values.tolist() == [[0.0, 120.0, 2], [180.0, 300.0, 2]]
    # a gap larger than max_gap splits a run
    ep2 = pd.DataFrame({"start": [0.0, 100.0], "stop": [60.0, 160.0], "label": ["rest", "rest"]})
    assert len(rest_epochs(ep2, max_gap=5.0)) == 2 and len(rest_epochs(ep2, max_gap=60.0)) == 1


def test_apps_have_no_vocabulary_of_their_own():
    import glue_widgets.apps._common as common

    assert not hasattr(common, "REST_LABEL_WORDS") and not hasattr(common, "_is_rest_label")
