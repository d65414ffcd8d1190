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

from ...simulate import *  # noqa: F403  (the neutral generators, re-exported)
from ...simulate import __all__  # noqa: F401
