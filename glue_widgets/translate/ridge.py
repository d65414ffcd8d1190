"""The one ridge of the translate and evidence packages, and its scale-free penalty.

Every ridge fit here measures its penalty relative to the data: ``alpha · tr(X_cᵀ X_c)`` (the summed
variance of the centred design times the number of samples), so one default serves spikes, ΔF/F and
volts alike.

- :func:`fit_ridge`: on data, with scikit-learn's :class:`~sklearn.linear_model.Ridge`
  (intercept fitted, X and Y centred): ``(coef (p × q), intercept (q,))``.
- :func:`solve_ridge`: on sufficient statistics (centred ``XᵀX``, ``XᵀY`` summed over blocks), for
  blocked cross-validation without a pass over the data per fold (:class:`~.cv.BlockStats`,
  :class:`~.ecog_source_space.SourceSpaceEcogToEeg`), where scikit-learn has no entry point.

Both solve ``(X_cᵀX_c + λ I) B = X_cᵀY_c``; ``tests/test_translate_mappings.py`` checks they agree.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_ridge", "solve_ridge", "relative_penalty"]


def relative_penalty(alpha: float, xx_trace: float) -> float:
    """Absolute ridge penalty λ = ``alpha`` · tr(X_cᵀX_c).

    Examples
    --------
    >>> relative_penalty(1e-3, 2000.0)
    2.0
    """
    return float(alpha) * float(xx_trace)


def fit_ridge(X: np.ndarray, Y: np.ndarray, alpha: float, *, relative: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression of Y (n × q) on X (n × p) with an intercept: ``(B (p × q), b (q,))``.

    ``alpha`` is relative (× tr(X_cᵀX_c)) unless ``relative=False``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3)); Y = X @ np.array([[1.0], [2.0], [0.0]]) + 5
    >>> B, b = fit_ridge(X, Y, 1e-8)
    >>> bool(np.allclose(B.ravel(), [1, 2, 0], atol=1e-3)), np.round(b, 3).tolist()
    (True, [5.0])
    """
    from sklearn.linear_model import Ridge

    X = np.asarray(X, float)
    Y = np.asarray(Y, float)
    lam = relative_penalty(alpha, X.var(0).sum() * X.shape[0]) if relative else float(alpha)
    m = Ridge(alpha=lam, fit_intercept=True, solver="cholesky").fit(X, Y)
    B = np.asarray(m.coef_, float).reshape(Y.shape[1] if Y.ndim == 2 else 1, X.shape[1]).T
    return B, np.atleast_1d(np.asarray(m.intercept_, float))


def solve_ridge(xx: np.ndarray, xy: np.ndarray, penalty: float) -> np.ndarray:
    """B = (xx + ``penalty`` I)⁻¹ xy from centred sufficient statistics (absolute penalty).

    Examples
    --------
    >>> solve_ridge(np.eye(2) * 4.0, np.array([[4.0], [8.0]]), penalty=4.0).ravel().tolist()
    [0.5, 1.0]
    """
    return np.linalg.solve(xx + float(penalty) * np.eye(xx.shape[0]), xy)
