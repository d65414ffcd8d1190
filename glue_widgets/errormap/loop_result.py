"""What the coupling loop returns: one :class:`LoopIteration` per pass and the :class:`LoopResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["LoopIteration", "LoopResult"]


@dataclass
class LoopIteration:
    """One pass of the loop: its map, partition, references, weights and held-out error."""

    index: int
    error_map: xr.DataArray
    clusters: pd.Series
    references: dict[int, str]
    weights: pd.Series
    heldout: pd.Series
    heldout_error: float
    aligner: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "heldout_error": self.heldout_error, "n_clusters": int(self.clusters.nunique()),
                "references": dict(self.references), "aligner": self.aligner}


@dataclass
class LoopResult:
    """Everything the loop did and found.

    Attributes
    ----------
    iterations : list of LoopIteration
        ``iterations[0]`` is the single pass.
    converged : bool
    error_map : DataArray (source, target)
        The last map.
    latents : dict name -> ndarray (time, k)
        Final aligned latents (one frame per cluster).
    generalization : DataFrame
        Leave-one-group-out held-out error per grouping key and held-out group, final vs single pass.
    attribution : DataFrame
        Commonality analysis of the map's pair errors over the confounds, given the cluster cells
        (``unique``, ``shared``, ``alone`` R², partial ``F``, Freedman–Lane QAP ``p_value``), sorted
        by ``unique``; ``attrs`` hold ``full_r2``, ``shared``, ``table`` (every commonality
        coefficient), ``n`` (fragments), ``n_pairs``, ``test`` and ``per_fragment`` (the same with one
        observation per fragment).
    improvement : float
        Single-pass held-out error minus final held-out error (positive = the loop helped).
    """

    iterations: list[LoopIteration]
    converged: bool
    error_map: xr.DataArray
    latents: dict[str, np.ndarray]
    generalization: pd.DataFrame
    attribution: pd.DataFrame
    improvement: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def history(self) -> pd.DataFrame:
        """One row per iteration."""
        return pd.DataFrame([it.to_dict() for it in self.iterations]).set_index("index")

    @property
    def top_confound(self) -> str | None:
        """The confound with the largest unique share of the residual error variance (None if none)."""
        return None if self.attribution.empty else str(self.attribution.index[0])

    def summary(self) -> str:
        first, last = self.iterations[0], self.iterations[-1]
        lines = [f"coupling loop: {len(self.iterations)} iteration(s), converged={self.converged}",
                 f"held-out error (1 - R², {self.settings.get('holdout')}-out): single pass "
                 f"{first.heldout_error:.3f} -> final {last.heldout_error:.3f}",
                 f"clusters: {last.clusters.nunique()}; references: {last.references}"]
        if not self.attribution.empty:
            top = self.attribution.iloc[0]
            lines.append(f"residual errors: {self.top_confound} explains {100 * top['unique']:.0f} % "
                         f"(unique R², Freedman–Lane QAP p = {top['p_value']:.3g}, "
                         f"n = {self.attribution.attrs.get('n')} fragments)")
        return "\n".join(lines)
