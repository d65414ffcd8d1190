"""Moved: the across-days generator lives in :mod:`glue_widgets.simulate.alignment_days` (one home of
generators); this name stays importable for old scripts."""

from ..simulate.alignment_days import Day, latent_dynamics, simulate_days  # noqa: F401

__all__ = ["latent_dynamics", "simulate_days", "Day"]
