"""Model-based spike inference with OASIS (Friedrich et al. 2017) through ``oasis-deconv``."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError, UnsupportedError

__all__ = ["oasis_trace", "oasis_fast"]


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
    if ar_order == 2 and y.size < 200:  # OASIS estimates AR(2) from ~100 lags of autocovariance
        raise InvalidInputError(f"ar_order=2 needs at least 200 frames to estimate its decay; the trace has "
                                f"{y.size}. Use ar_order=1.")
    scale = float(np.max(np.abs(y))) if y.size else 0.0
    if not np.isfinite(scale) or scale > 1e100:
        raise InvalidInputError(f"the trace reaches |value| = {scale:.3g}: too large for OASIS's noise and decay "
                                "estimates; pass ΔF/F (or units='raw' so it is converted).")
    g = (None,) * ar_order
    try:
        _c, s, _b, _g, _lam = deconvolve(y, g=g, penalty=penalty)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise InvalidInputError(f"OASIS failed on this trace ({type(exc).__name__}: {exc}); the trace may be "
                                "too short, constant or not calcium-like. Try method='supervised'.") from exc
    return np.asarray(s, dtype=float)


def oasis_fast(y: np.ndarray, fs: float) -> np.ndarray:
    """OASIS AR(1) without its noise-constrained optimisation: fast enough to mix into every trace.

    Baseline: low percentile in blocks; noise σ: median absolute frame difference; decay ``g``:
    OASIS's autocovariance estimate; then the exact OASIS AR(1) solver with a minimum spike size of one
    σ (a hard threshold instead of the L1 penalty the constrained version tunes per trace).
    """
    try:
        from oasis.functions import estimate_time_constant
        from oasis.oasis_methods import oasisAR1
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise UnsupportedError("the OASIS mix needs the oasis-deconv package: pip install oasis-deconv") from exc
    from .spike_features import baseline, robust_sigma

    y = np.asarray(y, dtype=np.float64)
    sn = robust_sigma(y)
    if not np.isfinite(sn) or sn <= 0:
        return np.zeros_like(y)
    g = float(estimate_time_constant(y, 1, sn)[0])
    g = min(max(g, 0.0), 0.999)
    _c, s = oasisAR1(np.ascontiguousarray(y - baseline(y, fs)), g, lam=0.0, s_min=sn)
    return np.asarray(s, dtype=float)
