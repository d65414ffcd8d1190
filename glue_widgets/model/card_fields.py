"""Card helpers: flat numbers drawn from a RestCard's fields, for grouping and confound attribution."""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["card_arousal"]


def card_arousal(card: Mapping[str, Any] | None) -> dict[str, float]:
    """Arousal covariates of a RestCard as flat numbers: ``arousal_<role>_mean`` / ``_sd``.

    Only measured arousal covariates count (pupil, running speed, movement...). A speed the card
    *derived from a behavioural velocity readout* (``source_role == "velocity"`` or a ``derived``
    note) is skipped: in the demo, and often in real task rigs, that velocity is a readout of the
    neural latents themselves (a ball or cursor driven by the animal), so using it as a "confound"
    would be circular. When two covariates share a role, the first measured one wins.

    Examples
    --------
    >>> card = {"arousal": {"running_speed": {"role": "speed", "mean": 0.1, "sd": 0.2},
    ...                     "velocity": {"role": "speed", "mean": 1.2, "sd": 0.7, "source_role": "velocity"}}}
    >>> card_arousal(card)
    {'arousal_speed_mean': 0.1, 'arousal_speed_sd': 0.2}
    """
    ar = (card or {}).get("arousal") if isinstance(card, Mapping) else None
    out: dict[str, float] = {}
    if not isinstance(ar, Mapping):
        return out
    for key, v in ar.items():
        if not isinstance(v, Mapping) or v.get("source_role") == "velocity" or v.get("derived"):
            continue
        role = v.get("role") or key
        for stat in ("mean", "sd"):
            x = v.get(stat)
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                out.setdefault(f"arousal_{role}_{stat}", float(x))
    return out
