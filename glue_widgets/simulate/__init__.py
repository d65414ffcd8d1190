"""Generative models shared by the demo corpus and the analysis tests: numpy and scipy, the one home of generators.

A neutral layer beside ``model``: ``sources.demo`` builds the consortium from these, and analysis
packages (``align``) build their self-contained test scenarios from them, without the analysis layer
importing ``sources``. Every function takes an explicit ``numpy.random.Generator`` (or an int seed)
and is deterministic given it. Sample axes come first (``time x channels``). The building blocks:

* :func:`latent_params` / :func:`discrete_dynamics` / :func:`simulate_latents` / :func:`run_lds`
  (``latents``): a k-dimensional linear dynamical system of one of two families, ``"timescales"``
  (independent Ornstein-Uhlenbeck latents with distinct time constants; the frame is identifiable
  from lagged covariances) and ``"rotational"`` (a damped rotation plane driven by isotropic noise plus
  slower OU latents; the in-plane rotation angle is *not* fixed by any second-order statistic of
  spontaneous activity); :func:`anchor_response`, a fixed latent response to an anchor stimulus.
* :func:`arousal_traces` (``spiking``): a slow arousal process with pupil diameter and running speed.
* :func:`rates_from_latents` / :func:`spikes_from_latents` / :func:`spike_times_from_counts`: Poisson
  spiking ``rate = gain * exp(b + C z + a * arousal)``.
* :func:`calcium_kernel` / :func:`calcium_from_spikes`: a GCaMP-like indicator (rise/decay kinetics, saturation, shot and read
  noise) giving dF/F.
* :func:`communication_subspace`: a rank-r map from one area's activity into another's drive.
* :func:`narrowband`, :func:`pink_noise`, :func:`eeg_sources`, :func:`project` (``fields``): cortical
  sources and their linear projection to sensors (EEG/ECoG) through a leadfield.
* :func:`random_network`, :func:`simulate_linear_network`, :func:`simulate_var` (``networks``): coupled
  networks with known directed coupling, to validate ``gw.evidence``.
* :func:`simulate_sessions` (``sessions``): a multi-session corpus from a few latent generators with
  days, subjects, labs and an arousal confound, to validate the error map and the coupling loop.
* ``toy`` (:func:`glue_widgets.simulate.toy.toy_session`): small ``toy://`` sessions for tests and
  the dashboards (imported on demand: it builds model Sessions).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> z = simulate_latents("timescales", 1000, 100.0, 4, rng)
>>> counts = spikes_from_latents(z, rng.normal(0, 0.4, (30, 4)), np.full(30, np.log(5.0)), 100.0, rng)
>>> counts.shape
(1000, 30)
"""

from __future__ import annotations

from .fields import eeg_sources, narrowband, pink_noise, project
from .latents import FAMILIES, anchor_response, discrete_dynamics, latent_params, run_lds, simulate_latents
from .networks import random_network, simulate_linear_network, simulate_var
from .sessions import simulate_sessions
from .spiking import (
    INDICATORS,
    arousal_traces,
    calcium_from_spikes,
    calcium_kernel,
    communication_subspace,
    rates_from_latents,
    spike_times_from_counts,
    spikes_from_latents,
)

__all__ = [
    "FAMILIES",
    "INDICATORS",
    "latent_params",
    "discrete_dynamics",
    "simulate_latents",
    "run_lds",
    "anchor_response",
    "arousal_traces",
    "rates_from_latents",
    "spikes_from_latents",
    "spike_times_from_counts",
    "calcium_kernel",
    "calcium_from_spikes",
    "communication_subspace",
    "narrowband",
    "pink_noise",
    "eeg_sources",
    "project",
    "random_network",
    "simulate_linear_network",
    "simulate_var",
    "simulate_sessions",
]
