"""Can these sessions be aligned together? Modality and species checked before any fit.

One idea: alignment assumes every session observes the same kind of latent dynamics through a
different population. Spikes and scalp EEG (cellular vs field signals) do not share a latent frame a
rotation or linear map could find from rest; across species the frame may not even exist. Mixing
modalities of different families is refused; different species or modalities of the same family
(spikes and calcium) are allowed with a warning that says what the map then means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

__all__ = ["AlignCheck", "check_alignable", "MODALITY_FAMILY"]

MODALITY_FAMILY = {"spikes": "cellular", "calcium": "cellular", "lfp": "field", "ecog": "field", "ieeg": "field",
                   "eeg": "field", "meg": "field", "fmri": "hemodynamic", "behavior": "behaviour"}


@dataclass
class AlignCheck:
    """Outcome of :func:`check_alignable`: ``level`` is "ok", "warn" or "refuse"; ``message`` says why."""

    level: str
    message: str
    modalities: list[str] = field(default_factory=list)
    species: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.level != "refuse"


def _attr(m: Any, key: str) -> str:
    if isinstance(m, Mapping):
        v = m.get(key)
    else:
        v = getattr(m, "attrs", {}).get(key)
    return str(v).lower() if v not in (None, "") else "unknown"


def check_alignable(items: Sequence[Any]) -> AlignCheck:
    """Check that sessions (DataArrays with attrs, or attribute mappings) can share one latent frame.

    Parameters
    ----------
    items : list of DataArray or mapping
        Each with ``modality`` and ``species`` (attrs of a DataArray, or keys of a mapping).

    Returns
    -------
    AlignCheck
        ``refuse`` when modalities of different families are mixed (e.g. mouse spikes + human EEG),
        ``warn`` for different species or for different modalities of one family, else ``ok``.

    Examples
    --------
    >>> check_alignable([{"modality": "spikes", "species": "mouse"}, {"modality": "eeg", "species": "human"}]).level
    'refuse'
    >>> check_alignable([{"modality": "spikes", "species": "mouse"}, {"modality": "spikes", "species": "rat"}]).level
    'warn'
    """
    mods = [_attr(m, "modality") for m in items]
    species = [_attr(m, "species") for m in items]
    fams = {MODALITY_FAMILY.get(m, m) for m in mods if m != "unknown"}
    umods = sorted(set(mods))
    usp = sorted(set(s for s in species if s != "unknown"))
    if len(fams) > 1:
        return AlignCheck("refuse", f"these sessions mix {', '.join(umods)} ({' vs '.join(sorted(fams))} signals"
                                    f"{', species ' + ' and '.join(usp) if len(usp) > 1 else ''}): a rest-based "
                                    f"alignment assumes one kind of signal observing the same latent dynamics. "
                                    f"Align each modality separately, or translate between them "
                                    f"(gw.translate) with paired data.", umods, usp)
    notes = []
    if len(usp) > 1:
        notes.append(f"different species ({', '.join(usp)}): the aligned frame matches rest dynamics only; "
                     f"it does not claim the same neurons or areas")
    if len(set(m for m in mods if m != "unknown")) > 1:
        notes.append(f"different modalities of one family ({', '.join(umods)}): their noise and kinetics differ "
                     f"(e.g. infer spikes from calcium first)")
    if notes:
        return AlignCheck("warn", "; ".join(notes) + ".", umods, usp)
    return AlignCheck("ok", "same modality" + (f" ({umods[0]})" if umods else "") + " and species.", umods, usp)
