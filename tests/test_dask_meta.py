"""Fragment meta from a DataArray's RestCard (dask_utils._meta_from_attrs via as_fragments)."""

import numpy as np
import xarray as xr

from glue_widgets.model.fragment import as_fragments, fragment_meta_table


def _card(order):
    entries = {
        "running_speed": {"role": "speed", "units": "cm/s", "mean": 0.12, "sd": 0.17},
        # the card's speed derived from the ball/cursor velocity readout (a readout of the neural latents)
        "velocity": {"role": "speed", "mean": 1.25, "sd": 0.74, "source_role": "velocity",
                     "derived": "speed from velocity"},
        "pupil_diameter": {"role": "pupil", "units": "mm", "mean": 1.5, "sd": 0.25},
    }
    return {"arousal": {"available": ["speed:running_speed", "speed:velocity", "pupil:pupil_diameter"],
                        **{k: entries[k] for k in order}}}


def test_velocity_speed_does_not_overwrite_running_speed():
    # the velocity-derived speed listed after the running speed used to overwrite it
    for order in (["running_speed", "velocity", "pupil_diameter"], ["velocity", "running_speed", "pupil_diameter"]):
        x = xr.DataArray(np.zeros((10, 2)), dims=("time", "channel"), attrs={"card": _card(order), "lab": "a"})
        meta = fragment_meta_table(as_fragments({"f": x, "g": x.copy()})).loc["f"].to_dict()
        assert meta["arousal_speed_mean"] == 0.12 and meta["arousal_speed_sd"] == 0.17, order
        assert meta["arousal_pupil_mean"] == 1.5 and meta["arousal_pupil_sd"] == 0.25
        # the single arousal number is the level a field would use: the mean pupil diameter
        assert meta["arousal"] == 1.5 and meta["lab"] == "a"


def test_arousal_pick_falls_back_to_speed_level_then_flat_numbers():
    card = {"arousal": {"running_speed": {"role": "speed", "mean": 3.0, "sd": 2.0}}}  # no pupil camera
    x = xr.DataArray(np.zeros((10, 2)), dims=("time", "channel"), attrs={"card": card})
    assert as_fragments({"f": x, "g": x})[0].meta["arousal"] == 3.0
    # simulated cards carry flat numbers (the session's pupil SD); no level -> the SD is used
    flat = xr.DataArray(np.zeros((10, 2)), dims=("time", "channel"),
                        attrs={"card": {"arousal": {"available": ["pupil"], "pupil_sd": 0.4}}})
    m = as_fragments({"f": flat, "g": flat})[0].meta
    assert m["arousal"] == 0.4 and m["arousal_pupil_sd"] == 0.4
