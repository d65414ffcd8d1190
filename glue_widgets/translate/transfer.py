"""Transfer tests: a translator trained on fragment A, tested on fragment B (another day, animal, lab)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
from sklearn.base import clone

from ..errors import InvalidInputError

__all__ = ["transfer_table"]


def transfer_table(translator: Any, fragments: Mapping[str, tuple[Any, Any]],
                   pairs: Iterable[tuple[str, str]] | None = None, matrix: bool = False) -> Any:
    """Train on each fragment, test on every other; a table of held-out R².

    Parameters
    ----------
    translator : estimator
        An unfitted :class:`Translator` (or any estimator with fit/score); cloned per training fragment.
    fragments : mapping name -> (X, Y)
        Paired source/target data of each fragment (same channels across fragments, in the same order:
        e.g. latents in a shared aligned frame, or the same electrode layout).
    pairs : iterable of (train, test), optional
        Default: all ordered pairs, plus each fragment with itself.
    matrix : bool
        Return the (train × test) matrix of mean R² instead of the long table.

    Returns
    -------
    pandas.DataFrame with columns ``train, test, r2, r2_within, n_test, kind`` (``kind`` "within" rows
    use the translator's own blocked CV on the training fragment — out-of-fold R² — and "transfer" rows
    fit on all of A and score all of B), or the pivoted matrix.

    Examples
    --------
    >>> from glue_widgets.translate import Translator
    >>> rng = np.random.default_rng(0); W = rng.standard_normal((5, 2))
    >>> frags = {d: (X, X @ W + 0.1 * rng.standard_normal((500, 2)))
    ...          for d, X in (("day0", rng.standard_normal((500, 5))), ("day1", rng.standard_normal((500, 5))))}
    >>> transfer_table(Translator("ridge"), frags).shape
    (4, 7)
    """
    import pandas as pd

    if not fragments:
        raise InvalidInputError("fragments is empty; pass {name: (X, Y)} of at least one fragment.")
    names = list(fragments)
    if pairs is None:
        pairs = [(a, b) for a in names for b in names]
    pairs = list(pairs)
    for a, b in pairs:
        for n in (a, b):
            if n not in fragments:
                raise InvalidInputError(f"fragment {n!r} is not in fragments ({names}).")
    fitted = {}
    rows = []
    for a, b in pairs:
        if a not in fitted:
            fitted[a] = clone(translator).fit(*fragments[a])
        est = fitted[a]
        within = float(np.nanmean(est.cv_r2_)) if hasattr(est, "cv_r2_") else float("nan")
        if a == b:
            r2, kind = within, "within"
        else:
            r2, kind = float(est.score(*fragments[b])), "transfer"
        scheme = getattr(est, "cv_", {}).get("scheme", "")
        rows.append(dict(train=a, test=b, r2=r2, r2_within=within, n_test=int(np.shape(fragments[b][1])[0]),
                         kind=kind, cv=scheme))
    df = pd.DataFrame(rows)
    if matrix:
        return df.pivot(index="train", columns="test", values="r2")
    return df
