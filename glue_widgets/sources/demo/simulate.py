"""Generative models of the demo corpus: the neutral :mod:`glue_widgets.simulate`, re-exported here.

The generators live in ``glue_widgets.simulate`` so that analysis tests (``align``) can use them
without importing ``sources``; this module keeps the names the demo builder, the benchmarks and older
code import (``from glue_widgets.sources.demo import simulate as sim``).

Examples
--------
>>> from glue_widgets.sources.demo import simulate as sim
>>> sim.simulate_latents("rotational", 500, 100.0, 4, 0).shape
(500, 4)
"""

from __future__ import annotations

from ...simulate import (
    FAMILIES,
    INDICATORS,
    anchor_response,
    arousal_traces,
    calcium_from_spikes,
    communication_subspace,
    discrete_dynamics,
    eeg_sources,
    latent_params,
    narrowband,
    pink_noise,
    project,
    rates_from_latents,
    run_lds,
    simulate_latents,
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
    "calcium_from_spikes",
    "communication_subspace",
    "narrowband",
    "pink_noise",
    "eeg_sources",
    "project",
]
