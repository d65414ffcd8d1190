"""Small shared pieces of the evidence package: embedding, result container, input checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ..model.validation import as_time_by_channel
from ..model.wrap import channel_names

__all__ = ["TestResult", "embed_past", "check_same_length", "as_2d", "node_names", "source_target"]


def as_2d(x: Any, name: str, min_samples: int = 3) -> np.ndarray:
    """(time, channels) float array from numpy or a DataArray; None stays None."""
    if x is None:
        return None
    return as_time_by_channel(x, name=name, min_samples=min_samples)


def node_names(x: Any, names: Any, d: int) -> list[str]:
    """Names of the ``d`` channels: ``names`` if given, else a DataArray's channel coordinate, else "0", "1", …"""
    if names is None:
        names = channel_names(x)
    if names is None:
        return [str(i) for i in range(d)]
    names = [str(s) for s in names]
    if len(names) != d:
        raise InvalidInputError(f"names has {len(names)} entries; the data have {d} channels.")
    return names


def source_target(values: np.ndarray, names: list[str], name: str) -> Any:
    """A (source, target) DataArray of a directed statistic between channels ``names``."""
    import xarray as xr

    return xr.DataArray(values, dims=("source", "target"), coords={"source": names, "target": names}, name=name)


def check_same_length(**arrays: np.ndarray) -> int:
    """Common number of samples of several (time, ch) arrays; raise naming the mismatch."""
    lens = {k: v.shape[0] for k, v in arrays.items() if v is not None}
    if len(set(lens.values())) > 1:
        raise InvalidInputError(
            f"inputs must share the time axis; got lengths {lens}. Cut them to the same window first."
        )
    return next(iter(lens.values()))


def embed_past(x: np.ndarray, history: int) -> np.ndarray:
    """Delay embedding: row t (t = history..N-1) holds x[t-1], ..., x[t-history] (channels inner)."""
    n = x.shape[0]
    cols = [x[history - lag: n - lag] for lag in range(1, history + 1)]
    return np.concatenate(cols, axis=1)


@dataclass
class TestResult:
    """A statistic with its permutation null.

    Attributes
    ----------
    value : float
        The statistic (nats for transfer entropy).
    p_value : float or None
        ``(1 + #{null >= value}) / (1 + n_permutations)``; None when no permutations were run.
    null_mean, null_std : float or None
        Summary of the permutation null distribution.
    null_quantiles : dict
        ``{"q05", "q50", "q95", "q99"}`` of the null.
    settings : dict
        Everything that defines the number (estimator, history, k, N, surrogate scheme, seed).
    """

    __test__ = False  # not a pytest class

    value: float
    p_value: float | None = None
    null_mean: float | None = None
    null_std: float | None = None
    null_quantiles: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return float(self.value)

    # behave like the number it reports in comparisons and formatting (``te > 0.1``, ``f"{te:.3f}"``)
    def __lt__(self, other: Any) -> bool:
        return self.value < float(other)

    def __le__(self, other: Any) -> bool:
        return self.value <= float(other)

    def __gt__(self, other: Any) -> bool:
        return self.value > float(other)

    def __ge__(self, other: Any) -> bool:
        return self.value >= float(other)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec) if spec else repr(self)

    def __round__(self, ndigits: int | None = None) -> float:
        return round(self.value, ndigits)

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the permutation p-value is below ``alpha``."""
        if self.p_value is None:
            raise InvalidInputError("no permutation null was computed; pass n_permutations > 0.")
        return bool(self.p_value < alpha)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "p_value": self.p_value, "null_mean": self.null_mean,
                "null_std": self.null_std, "null_quantiles": dict(self.null_quantiles),
                "settings": dict(self.settings)}


def summarize_null(value: float, null: np.ndarray) -> dict[str, Any]:
    """p-value and summary of a permutation null (empty null -> Nones)."""
    if null.size == 0:
        return {"p_value": None, "null_mean": None, "null_std": None, "null_quantiles": {}}
    q = np.quantile(null, [0.05, 0.5, 0.95, 0.99])
    return {
        "p_value": float((1 + np.sum(null >= value)) / (1 + null.size)),
        "null_mean": float(null.mean()),
        "null_std": float(null.std(ddof=1)) if null.size > 1 else 0.0,
        "null_quantiles": {"q05": float(q[0]), "q50": float(q[1]), "q95": float(q[2]), "q99": float(q[3])},
    }
