"""The built-in demo corpus (``gw.demo``): a seeded virtual consortium of labs, species and days.

The generative models live in :mod:`glue_widgets.sources.demo.simulate` (pure numpy, public).
"""

from __future__ import annotations

from . import simulate

__all__ = ["simulate"]
