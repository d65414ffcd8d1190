"""The RestCard: the label of an adhesive dot, validated against the JSON Schema shipped here."""

from __future__ import annotations

import json
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
    """Validate ``card`` against the schema; return it as a plain dict or raise InvalidInputError."""
    import jsonschema

    card = json.loads(json.dumps(card, default=_jsonable))  # also proves it is JSON-serializable
    validator = jsonschema.Draft202012Validator(restcard_schema())
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.path))
    if errors:
        lines = [f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors[:5]]
        raise InvalidInputError("RestCard does not follow the schema:\n  " + "\n  ".join(lines))
    _check_semantics(card)
    return card


def _check_semantics(card: Mapping[str, Any]) -> None:
    """What JSON Schema cannot say: numbers finite, start < stop, duration and coverage consistent."""
    import math

    bad = [k for k in ("start", "stop", "duration_s", "target_s", "coverage", "fs", "bin_width_s", "min_duration_s")
           if isinstance(card.get(k), float) and not math.isfinite(card[k])]
    if bad:
        raise InvalidInputError(f"RestCard fields {bad} are not finite ({ {k: card[k] for k in bad} }); "
                                "every time, length and rate in a card must be a finite number.")
    start, stop, dur = card.get("start"), card.get("stop"), card.get("duration_s")
    if start is not None and stop is not None and not start < stop:
        raise InvalidInputError(f"RestCard start={start} is not before stop={stop}; a rest window needs start < stop.")
    if dur is not None and start is not None and stop is not None and abs(dur - (stop - start)) > 1e-6 * max(1.0, dur):
        raise InvalidInputError(f"RestCard duration_s={dur} does not equal stop - start = {stop - start}.")
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
    """Assemble and validate a RestCard with the derived fields (duration, coverage) filled in."""
    from .._version import __version__

    duration = float(stop) - float(start)
    card: dict[str, Any] = {
        "schema_version": "1.0",
        "state": {"definition": state, "evidence": evidence},
        "start": float(start),
        "stop": float(stop),
        "duration_s": duration,
        "target_s": float(target_s),
        "coverage": duration / float(target_s),
        "meets_target": duration >= float(target_s),
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
