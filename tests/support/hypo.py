"""Shared pieces of the property-based suite (tests/test_hypothesis_*.py).

The property every public entry point must keep: given any input, it returns a valid result or raises an
instance of :class:`glue_widgets.errors.GlueError`, never another exception type and never hangs. Each
test runs a fixed, derandomized set of examples (reproducible in CI) under a pytest-timeout.

Known failures in code owned elsewhere are kept out of the strategies by ``known`` filters and pinned
as explicit ``xfail(strict=False)`` cases, so the property covers everything else meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from glue_widgets.errors import GlueError

#: fixed examples, no example database, generous per-example deadline (2 cores shared by many jobs)
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), print_blob=True)


def fast(n: int = 30) -> settings:
    return settings(max_examples=n, **SETTINGS)


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, error)`` for a GlueError; any other exception propagates (fails)."""
    name = getattr(fn, "__name__", "call")
    try:
        out = fn(*args, **kwargs)
    except GlueError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        _event(f"{name}: {type(exc).__name__}: {str(exc)[:70]}")
        return False, exc
    _event(f"{name}: ok")
    return True, out


def _event(text: str) -> None:
    from hypothesis import event
    from hypothesis.errors import InvalidArgument

    try:
        event(text)
    except InvalidArgument:  # called outside a Hypothesis test (the pinned xfail cases)
        pass


# -- strategies ------------------------------------------------------------------------------------
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
any_float = st.floats(allow_nan=True, allow_infinity=True)
junk = st.one_of(st.none(), st.booleans(), st.text(max_size=8), st.binary(max_size=8), st.integers(-10**6, 10**6),
                 any_float, st.lists(st.integers(-3, 3), max_size=3), st.just(object()), st.just(1 + 2j),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
number_or_junk = st.one_of(finite, any_float, st.integers(-10**9, 10**9), junk)


@st.composite
def arrays(draw: Any, max_t: int = 60, max_c: int = 5, nan: bool = True) -> np.ndarray:
    """Small float arrays of 0-3 dims, sometimes with NaN/inf, sometimes constant or empty."""
    ndim = draw(st.sampled_from([2, 2, 2, 1, 0, 3]))
    shape = tuple(draw(st.integers(0, max_t if i == 0 else max_c)) for i in range(ndim))
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).normal(size=shape) * draw(st.sampled_from([1.0, 1e-12, 1e9, 0.0]))
    if nan and x.size and draw(st.booleans()):
        flat = x.reshape(-1)
        flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return x


MUTATIONS = ["nan", "inf", "constant_channel", "zeros", "1d", "3d", "empty", "one_sample",
             "huge", "tiny", "int", "bool", "transposed", "text", "list"]


@st.composite
def near_valid(draw: Any, t: tuple[int, int] = (40, 160), c: tuple[int, int] = (2, 6), positive: bool = False,
               exclude: tuple[str, ...] = ()) -> Any:
    """A valid (time, channel) array half of the time; otherwise one thing is wrong with it (see MUTATIONS)."""
    T, C = draw(st.integers(*t)), draw(st.integers(*c))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.normal(size=(T, C))
    if positive:
        x = np.abs(x)
    bad = [m for m in MUTATIONS if m not in exclude]
    kind = draw(st.integers(0, 1).flatmap(lambda i: st.sampled_from(bad) if i else st.just("ok")))
    if kind in ("nan", "inf"):
        x[draw(st.integers(0, T - 1)), draw(st.integers(0, C - 1))] = np.nan if kind == "nan" else np.inf
    elif kind == "constant_channel":
        x[:, 0] = 3.0
    elif kind == "zeros":
        x[:] = 0.0
    elif kind == "1d":
        x = x[:, 0]
    elif kind == "3d":
        x = x[:, :, None]
    elif kind == "empty":
        x = x[:0]
    elif kind == "one_sample":
        x = x[:1]
    elif kind == "huge":
        x = x * 1e300
    elif kind == "tiny":
        x = x * 1e-300
    elif kind == "int":
        x = (x * 10).astype(int)
    elif kind == "bool":
        x = x > 0
    elif kind == "transposed":
        x = x.T
    elif kind == "text":
        x = x.astype(str)
    elif kind == "list":
        x = x.tolist()
    return x


def mostly(valid: Any, bad: Any) -> Any:
    """Draw from ``valid`` three times in four, else from ``bad``."""
    return st.integers(0, 3).flatmap(lambda i: bad if i == 3 else valid)
