"""The one table of calcium-indicator kinetics, shared by the simulators and spike inference.

Every generator of calcium (``simulate.calcium_from_spikes``, ``translate.simulate_calcium``, the demo
corpus) and the spike-inference checks read :data:`INDICATORS`; nothing else keeps its own copy.

Model of one indicator: a spike adds free calcium shaped as a difference of exponentials
``exp(-t/tau_decay) - exp(-t/tau_rise)`` normalised to peak 1; fluorescence saturates as
``amplitude * c / (1 + c / k_sat)``. So ``amplitude`` is ΔF/F (fraction) of one isolated action potential,
``tau_rise``/``tau_decay`` (s) are the two time constants of the kernel (NOT the time to peak or the
half-decay time that papers report; :func:`kernel_times` converts), and ``k_sat`` is the number of
near-coincident spikes at which the response is half-saturated.

Sources (in-vivo, mouse layer 2/3 unless noted; single-AP values, rounded):

- GCaMP6f/m/s: Chen et al. 2013, *Nature* 499:295 (Fig. 3, Suppl. Table 3). GCaMP6f time to peak
  ≈ 45–90 ms, half decay ≈ 140–250 ms; GCaMP6s time to peak ≈ 180–200 ms, half decay ≈ 550–650 ms;
  1-AP ΔF/F ≈ 0.18 (6f), ≈ 0.14 (6m), ≈ 0.23–0.25 (6s).
- jGCaMP7f/s: Dana et al. 2019, *Nat Methods* 16:649 (7f: fast, half decay ≈ 250 ms; 7s: brightest
  1-AP response, slow decay).
- jGCaMP8f/m/s: Zhang et al. 2023, *Nature* 615:884 (half-rise ≈ 2 ms for all three; half decay
  8f < 8m < 8s, ≈ 100–400 ms).
- jRGECO1a, jRCaMP1a: Dana et al. 2016, *eLife* 5:e12727. R-CaMP1.07: Ohkura et al. 2012 / Bethge et al.
  2017. XCaMP-Gf: Inoue et al. 2019, *Cell*. OGB-1, Cal-520: synthetic dyes (Kwan & Dan 2012;
  Tada et al. 2014).

Checked against this project's ground truth (``../shared/data/cascade_gt*``: a linear per-spike kernel
fit at 30 Hz, see ``scripts/fit_indicator_kernels.py``): GCaMP6f (DS09, DS10) time to peak 67–133 ms, half
decay 270–300 ms, peak 0.26–0.28 per spike; GCaMP6s (DS12, DS13) time to peak 170–200 ms, half decay
600–770 ms, peak 0.29–0.33. The rows for the dyes and red indicators are set from that fit (their
in-vivo literature values vary by more than the fit's uncertainty).

Which of the two old tables was right (issue "one indicator table"): they agreed on GCaMP6f. For
GCaMP6m the 1-AP amplitude 0.14 (``translate/reverse.py``) matches Chen et al. 2013, 0.22
(``simulate/spiking.py``) does not. For GCaMP6s the rise constant 0.10 s (``translate/reverse.py``) was
the closer one: 0.18 s is the reported *time to peak*, and used as the kernel's rise constant it puts
the peak at ≈ 350 ms, twice what both the paper and the ground truth show. We use 0.08 s (time to peak
205 ms, half decay 640 ms).

Examples
--------
>>> from glue_widgets.model.indicators import INDICATORS, kernel_times
>>> p = INDICATORS["GCaMP6s"]
>>> t_peak, t_half = kernel_times(p["tau_rise"], p["tau_decay"])
>>> 0.15 < t_peak < 0.25 and 0.5 < t_half < 0.8
True
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError

__all__ = ["INDICATORS", "indicator_params", "kernel_times"]

#: name -> kernel rise/decay constants (s), 1-AP ΔF/F amplitude (fraction), saturation (spikes),
#: the reference, and the ground-truth datasets of ``cascade_gt*`` recorded with it (empty: none).
INDICATORS: dict[str, dict] = {
    "GCaMP6f": dict(tau_rise=0.045, tau_decay=0.20, amplitude=0.18, k_sat=12.0,
                    source="Chen et al. 2013", groundtruth=("DS06", "DS08", "DS09", "DS10")),
    "GCaMP6m": dict(tau_rise=0.070, tau_decay=0.45, amplitude=0.14, k_sat=15.0,
                    source="Chen et al. 2013", groundtruth=()),
    "GCaMP6s": dict(tau_rise=0.080, tau_decay=0.80, amplitude=0.25, k_sat=10.0,
                    source="Chen et al. 2013", groundtruth=("DS12", "DS13", "DS40", "DS41")),
    "jGCaMP7f": dict(tau_rise=0.030, tau_decay=0.30, amplitude=0.25, k_sat=12.0,
                     source="Dana et al. 2019", groundtruth=()),
    "jGCaMP7s": dict(tau_rise=0.070, tau_decay=0.90, amplitude=0.50, k_sat=10.0,
                     source="Dana et al. 2019", groundtruth=()),
    "jGCaMP8f": dict(tau_rise=0.005, tau_decay=0.15, amplitude=0.30, k_sat=12.0,
                     source="Zhang et al. 2023", groundtruth=()),
    "jGCaMP8m": dict(tau_rise=0.005, tau_decay=0.20, amplitude=0.35, k_sat=12.0,
                     source="Zhang et al. 2023", groundtruth=()),
    "jGCaMP8s": dict(tau_rise=0.008, tau_decay=0.45, amplitude=0.45, k_sat=10.0,
                     source="Zhang et al. 2023", groundtruth=()),
    "jRGECO1a": dict(tau_rise=0.030, tau_decay=0.40, amplitude=0.14, k_sat=12.0,
                     source="Dana et al. 2016; ground-truth fit DS21", groundtruth=("DS21",)),
    "jRCaMP1a": dict(tau_rise=0.100, tau_decay=1.50, amplitude=0.06, k_sat=12.0,
                     source="Dana et al. 2016; ground-truth fit DS20", groundtruth=("DS20",)),
    "R-CaMP1.07": dict(tau_rise=0.040, tau_decay=0.55, amplitude=0.09, k_sat=12.0,
                       source="Bethge et al. 2017; ground-truth fit DS18, DS19", groundtruth=("DS18", "DS19")),
    "XCaMP-Gf": dict(tau_rise=0.020, tau_decay=0.20, amplitude=0.5, k_sat=8.0,
                     source="Inoue et al. 2019; ground-truth fit DS28", groundtruth=("DS28",)),
    "OGB-1": dict(tau_rise=0.020, tau_decay=0.60, amplitude=0.05, k_sat=20.0,
                  source="ground-truth fit DS01, DS02, DS04, DS22, DS23",
                  groundtruth=("DS01", "DS02", "DS04", "DS22", "DS23")),
    "Cal-520": dict(tau_rise=0.015, tau_decay=0.90, amplitude=0.15, k_sat=20.0,
                    source="Tada et al. 2014; ground-truth fit DS03, DS05", groundtruth=("DS03", "DS05")),
}


def indicator_params(name: str, **overrides: float) -> dict[str, float]:
    """Kinetic parameters (``tau_rise``, ``tau_decay``, ``amplitude``, ``k_sat``) of one indicator.

    Parameters
    ----------
    name : str
        A key of :data:`INDICATORS` (case-insensitive).
    **overrides : float
        Replace any of the four parameters (``None`` values are ignored).

    Examples
    --------
    >>> indicator_params("gcamp6f", amplitude=0.3)["amplitude"]
    0.3
    """
    key = {k.lower(): k for k in INDICATORS}.get(str(name).lower())
    if key is None:
        raise InvalidInputError(f"indicator={name!r} is not one of {sorted(INDICATORS)}; pass one of them "
                                "(or its kinetics: tau_rise, tau_decay, amplitude, k_sat).")
    p = {k: float(v) for k, v in INDICATORS[key].items() if k in ("tau_rise", "tau_decay", "amplitude", "k_sat")}
    for k, v in overrides.items():
        if k not in p:
            raise InvalidInputError(f"{k!r} is not an indicator parameter; use tau_rise, tau_decay, amplitude or k_sat.")
        if v is not None:
            p[k] = float(v)
    return p


def kernel_times(tau_rise: float, tau_decay: float) -> tuple[float, float]:
    """Time to peak and half-decay time after the peak (s) of the difference-of-exponentials kernel.

    These are the numbers papers report; compare them, not the time constants.

    Examples
    --------
    >>> [round(v, 3) for v in kernel_times(0.045, 0.20)]
    [0.087, 0.188]
    """
    if not 0 < tau_rise < tau_decay:
        raise InvalidInputError(f"need 0 < tau_rise ({tau_rise}) < tau_decay ({tau_decay}) in seconds.")
    tpk = np.log(tau_decay / tau_rise) * tau_decay * tau_rise / (tau_decay - tau_rise)
    t = tpk + np.linspace(0.0, 10 * tau_decay, 200_001)
    h = np.exp(-t / tau_decay) - np.exp(-t / tau_rise)
    half = t[np.argmax(h < 0.5 * h[0])] - tpk
    return float(tpk), float(half)
