"""The RestCard: the label of an adhesive dot, validated against the JSON Schema shipped here."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from ..errors import InvalidInputError

__all__ = ["REST_TARGET_S", "restcard_schema", "validate_card", "new_card"]

REST_TARGET_S = 600.0  # the standardized ~10-minute rest segment


@lru_cache(maxsize=1)
def restcard_schema() -> dict[str, Any]:
    """The RestCard JSON Schema (draft 2020-12) as a dict."""
    text = resources.files("glue_widgets.model").joinpath("schemas/restcard.schema.json").read_text()
    return json.loads(text)


def validate_card(card: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``card`` against the schema, then its values; return it as a plain dict.

    After the JSON Schema, the time fields are checked for meaning (the schema cannot): ``start``,
    ``stop``, ``duration_s``, ``target_s``, ``coverage`` finite; ``start <= stop``; ``duration_s``
    equal to ``stop - start`` (within 1 ms); ``fs`` and ``bin_width_s`` positive and finite when given.

    Raises
    ------
    InvalidInputError
        Not JSON-serializable, not following the schema, or values that contradict each other.

    Examples
    --------
    >>> card = new_card(start=0, stop=600, modality="lfp", source="demo://x", state="dark", evidence="label")
    >>> validate_card({**card, "duration_s": float("nan")})
    Traceback (most recent call last):
    ...
    glue_widgets.errors.InvalidInputError: RestCard duration_s=nan must be a finite number ...
    """
    import jsonschema

    try:  # also proves it is JSON-serializable
        card = json.loads(json.dumps(card, default=_jsonable))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInputError(f"RestCard is not JSON-serializable ({exc}); use str, numbers, lists and dicts.") \
            from None
    validator = jsonschema.Draft202012Validator(restcard_schema())
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.path))
    if errors:
        lines = [f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors[:5]]
        raise InvalidInputError("RestCard does not follow the schema:\n  " + "\n  ".join(lines))
    _check_semantics(card)
    return card


def _check_semantics(card: Mapping[str, Any]) -> None:
    """What JSON Schema cannot say: numbers finite, start < stop, duration and coverage consistent."""
    bad = [k for k in ("start", "stop", "duration_s", "target_s", "coverage", "fs", "bin_width_s", "min_duration_s")
           if isinstance(card.get(k), float) and not math.isfinite(card[k])]
    if bad:
        given = ", ".join(f"{k}={card[k]!r}" for k in bad)
        raise InvalidInputError(f"RestCard {given} must be a finite number (it is not finite); every time, "
                                "length and rate in a card is finite.")
    for key in ("fs", "bin_width_s"):
        v = card.get(key)
        if v is not None and not v > 0:
            raise InvalidInputError(f"RestCard {key}={v!r} must be a positive finite number or null.")
    start, stop, dur = card.get("start"), card.get("stop"), card.get("duration_s")
    if start is not None and stop is not None and not start < stop:
        raise InvalidInputError(f"RestCard start={start} s is not before stop={stop} s (start after stop); a rest "
                                "window needs start < stop (swap them if they are reversed).")
    if dur is not None and start is not None and stop is not None and abs(dur - (stop - start)) > 1e-6 * max(1.0, dur):
        raise InvalidInputError(f"RestCard duration_s={dur} does not match: it does not equal stop - start = {stop - start}; "
                                "set duration_s to stop - start.")
    target, cov = card.get("target_s"), card.get("coverage")
    if dur is not None and target and cov is not None and abs(cov - dur / target) > 1e-6 * max(1.0, cov):
        raise InvalidInputError(f"RestCard coverage={cov} does not equal duration_s / target_s = {dur / target}.")


def new_card(
    *,
    start: float,
    stop: float,
    modality: str,
    source: str,
    state: str,
    evidence: str,
    target_s: float = REST_TARGET_S,
    **fields: Any,
) -> dict[str, Any]:
    """Assemble and validate a RestCard with the derived fields (duration, coverage) filled in.

    ``start``, ``stop`` and ``target_s`` must be finite numbers (``target_s`` > 0, ``start <= stop``);
    anything else raises InvalidInputError naming the value.

    Examples
    --------
    >>> card = new_card(start=0, stop=300, modality="lfp", source="demo://x", state="dark", evidence="label")
    >>> card["coverage"], card["meets_target"]
    (0.5, False)
    """
    from .._version import __version__
    from .validation import check_number

    start, stop = check_number(start, name="start"), check_number(stop, name="stop")
    target_s = check_number(target_s, name="target_s")
    if target_s <= 0:
        raise InvalidInputError(f"target_s={target_s!r} must be a positive number of seconds (the standard is "
                                f"{REST_TARGET_S:g}).")
    duration = stop - start
    card: dict[str, Any] = {
        "schema_version": "1.0",
        "state": {"definition": state, "evidence": evidence},
        "start": start,
        "stop": stop,
        "duration_s": duration,
        "target_s": target_s,
        "coverage": duration / target_s,
        "meets_target": duration >= target_s,
        "modality": modality,
        "provenance": {"source": source, "software": f"glue_widgets {__version__}"},
    }
    state_extra = fields.pop("state_details", None)
    if state_extra:
        card["state"].update(state_extra)
    prov = fields.pop("provenance", None)
    if prov:
        card["provenance"].update(prov)
    card.update(fields)
    return validate_card(card)


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serializable")
