"""Model-based spike inference with OASIS (Friedrich et al. 2017) through ``oasis-deconv``."""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError

__all__ = ["oasis_trace"]


def oasis_trace(y: np.ndarray, fs: float, *, penalty: int = 1, ar_order: int = 1) -> np.ndarray:
    """Deconvolve one finite ΔF/F trace; AR decay (g) and noise (sn) are estimated from the trace.

    Returns the deconvolved activity per frame in ΔF/F units (proportional to spike counts; Pearson
    correlations do not depend on that scale).
    """
    try:
        from oasis.functions import deconvolve
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise UnsupportedError("method='oasis' needs the oasis-deconv package: pip install oasis-deconv") from exc
    y = np.ascontiguousarray(y, dtype=np.float64)
    g = (None,) * ar_order
    _c, s, _b, _g, _lam = deconvolve(y, g=g, penalty=penalty)
    return np.asarray(s, dtype=float)
