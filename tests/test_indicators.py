"""One indicator table (issue 15/18): every generator reads it; its kinetics match what papers report."""

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import InvalidInputError
from glue_widgets.model.indicators import INDICATORS, indicator_params, kernel_times


def test_one_table_everywhere():
    import glue_widgets.simulate as sim

    assert sim.INDICATORS is gw.translate.INDICATORS is INDICATORS


@pytest.mark.parametrize("name, t_peak, t_half", [
    ("GCaMP6f", (0.045, 0.135), (0.14, 0.30)),   # Chen et al. 2013; ground truth DS09/DS10
    ("GCaMP6s", (0.15, 0.25), (0.50, 0.80)),     # Chen et al. 2013; ground truth DS12/DS13
    ("jGCaMP8f", (0.0, 0.03), (0.05, 0.20)),     # Zhang et al. 2023: half-rise ≈ 2 ms
])
def test_kinetics_match_the_reported_times(name, t_peak, t_half):
    p = INDICATORS[name]
    tp, th = kernel_times(p["tau_rise"], p["tau_decay"])
    assert t_peak[0] <= tp <= t_peak[1] and t_half[0] <= th <= t_half[1]


def test_simulators_use_the_table():
    x = np.zeros(300)
    x[30] = 1
    for name in ("GCaMP6f", "GCaMP6s"):
        p = INDICATORS[name]
        y = gw.translate.simulate_calcium(x, 30.0, name, shot_noise=0, read_noise=0, k_sat=1e9)
        assert abs(y.max() - p["amplitude"]) < 0.02 * p["amplitude"] + 0.02  # peak ≈ 1-AP amplitude
        c = gw.simulate.calcium_from_spikes(x[:, None], 30.0, name, rng=0, shot_noise=0, read_noise=0, amp_jitter=0)
        assert np.argmax(c[:, 0]) == np.argmax(y)


def test_unknown_indicator_and_parameter():
    assert indicator_params("gcamp6s")["tau_decay"] == INDICATORS["GCaMP6s"]["tau_decay"]
    with pytest.raises(InvalidInputError, match="GCaMP6f"):
        indicator_params("GCaMP99")
    with pytest.raises(InvalidInputError, match="tau_rise"):
        indicator_params("GCaMP6f", speed=2.0)
