"""The decoder-transfer protocol: a decoder trained on the reference session, frozen, read elsewhere.

One idea, shared by the Alignment dashboard and notebook 03: the behaviour is decoded (ridge) from
the reference session's latents; the decoder is frozen and applied to every other session's latents
— once in each session's own frame (before alignment) and once in the aligned frame (after) — and
compared with a decoder retrained within that session. The behaviour is never used to fit the
alignment, so the comparison is out of sample. When the aligner made a forecast (``forecast_``), it is
shown beside the realised transfer.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InvalidInputError
from .evaluate import frozen_decoder_transfer

__all__ = ["decoder_transfer"]


def decoder_transfer(before: Sequence[Any], after: Sequence[Any], behaviour: Sequence[Any], *,
                     names: Sequence[str] | None = None, forecast: Sequence[float] | None = None,
                     alpha: float = 1.0, n_folds: int = 5) -> dict[str, Any]:
    """Frozen-decoder transfer before and after alignment, with the aligner's forecast beside it.

    Parameters
    ----------
    before, after : list of (time, k) arrays
        Per session, the task-period latents in the session's own frame and in the aligned frame
        (session 0 is the reference).
    behaviour : list of (time,) or (time, q) arrays
        Per session, the behaviour sampled at the latents' times.
    names : list of str, optional
        Session labels (default ``"session i"``).
    forecast : sequence of float, optional
        The aligner's ``forecast_`` (fraction of within-session R² expected to transfer).
    alpha : float
        Ridge penalty. ``n_folds``: contiguous folds of the within-session reference.

    Returns
    -------
    dict
        ``table`` (one row per non-reference session: ``r2_within``, ``r2_frozen_before``,
        ``r2_frozen_after``, ``retained_after`` = after / within, ``forecast``), ``settings`` (text).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = [rng.normal(size=(400, 2)) for _ in range(2)]
    >>> y = [zi @ [1.0, -0.5] + 0.1 * rng.normal(size=400) for zi in z]
    >>> out = decoder_transfer([zi[:, ::-1] for zi in z], z, y, forecast=[1.0, 0.9])
    >>> round(out["table"][0]["retained_after"], 2), out["table"][0]["forecast"]
    (1.0, 0.9)
    """
    n = len(after)
    if len(before) != n or len(behaviour) != n or n < 2:
        raise InvalidInputError(f"before, after and behaviour need one array per session (>= 2 sessions); got "
                                f"{len(before)}, {n} and {len(behaviour)}.")
    names = [f"session {i}" for i in range(n)] if names is None else list(names)
    ys = [np.asarray(y, float).reshape(len(y), -1) for y in behaviour]
    zb = [np.asarray(z, float) for z in before]
    za = [np.asarray(z, float) for z in after]
    fb = frozen_decoder_transfer(zb[0], ys[0], zb, ys, alpha=alpha, n_folds=n_folds)
    fa = frozen_decoder_transfer(za[0], ys[0], za, ys, alpha=alpha, n_folds=n_folds)
    table = []
    for i in range(1, n):
        w = float(fa["r2_within"][i])
        table.append({"session": names[i], "r2_within": w, "r2_frozen_before": float(fb["r2_frozen"][i]),
                      "r2_frozen_after": float(fa["r2_frozen"][i]),
                      "retained_after": float(fa["r2_frozen"][i]) / w if w > 0 else float("nan"),
                      "forecast": float(forecast[i]) if forecast is not None else float("nan")})
    return {"table": table,
            "settings": f"ridge (alpha={alpha:g}) from the {za[0].shape[1]} latents to the behaviour, trained on "
                        f"{names[0]} and applied frozen; r2_within: decoder refitted in that session's aligned "
                        f"frame, {n_folds} contiguous folds; forecast: the aligner's estimate made before any "
                        f"behaviour was seen (NaN when it had no anchor events to check itself on)."}
