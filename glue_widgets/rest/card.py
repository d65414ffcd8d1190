"""Assemble the RestCard of a rest window (validated by glue_widgets.model.new_card)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import new_card

__all__ = ["ShortRestWarning", "build_card", "LATIN"]

# DANDI wants species as a Latin binomial; common names are mapped, anything else passes through
LATIN = {
    "mouse": "Mus musculus", "rat": "Rattus norvegicus", "human": "Homo sapiens",
    "macaque": "Macaca mulatta", "rhesus macaque": "Macaca mulatta", "monkey": "Macaca mulatta",
    "marmoset": "Callithrix jacchus", "zebrafish": "Danio rerio", "aplysia": "Aplysia californica",
    "fly": "Drosophila melanogaster", "ferret": "Mustela putorius furo",
}


class ShortRestWarning(UserWarning):
    """The rest window found is shorter than the requested ``min_duration``."""


def _regions(seg: Any, metadata: dict) -> list[str]:
    if "region" in getattr(seg, "coords", {}):
        vals = [str(v) for v in np.unique(seg.coords["region"].values) if str(v) not in ("", "nan", "None")]
        if vals:
            return vals
    r = metadata.get("regions") or metadata.get("region") or metadata.get("location")
    if isinstance(r, str):
        return [r]
    if isinstance(r, (list, tuple)):
        return [str(v) for v in r]
    return []


def _prov(session: Any, metadata: dict) -> dict[str, Any]:
    p: dict[str, Any] = {}
    for key, names in {"archive": ("archive",), "dataset_id": ("dataset_id", "dandiset_id", "dataset"),
                       "version": ("version", "dataset_version", "dandiset_version"),
                       "asset": ("asset", "asset_path", "path")}.items():
        for n in names:
            if metadata.get(n) is not None:
                p[key] = str(metadata[n])
                break
    uri = str(session.uri)
    if "archive" not in p:
        scheme = uri.split("://", 1)[0] if "://" in uri else "local"
        p["archive"] = {"dandi": "DANDI", "openneuro": "OpenNeuro", "demo": "demo"}.get(scheme, scheme)
    return p


def _str_or_none(v: Any) -> str | None:
    return None if v is None else str(v)


def _iso_age(v: Any) -> str:
    """Ages as ISO 8601 durations (DANDI): a bare number is taken as years ("34" -> "P34Y")."""
    s = str(v).strip()
    try:
        return f"P{int(float(s))}Y"
    except ValueError:
        return s


def _illumination(state: str) -> str | None:
    s = state.lower()
    if "dark" in s:
        return "dark"
    if "gray" in s or "grey" in s:
        return "gray screen (mean luminance)"
    if "blank" in s:
        return "blank screen"
    return None


def _state(cand: dict, md: dict) -> str:
    """Epoch labels and BIDS tasks name the state; behaviour-found windows take the session's definition."""
    if cand.get("evidence") == "behavior" and md.get("state_definition"):
        return str(md["state_definition"])
    return str(cand.get("state") or md.get("state_definition") or "rest")


def build_card(session: Any, seg: Any, *, stream: str, cand: dict, min_duration: float, target_s: float,
               quality: dict, arousal: dict, inferred: str | None, state_detail: dict,
               notes: list[str], fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The RestCard of ``seg`` (the window of ``cand`` read from ``stream``).

    ``fields`` (from :func:`glue_widgets.annotate_rest`) overrides card fields the session's metadata
    would fill (lab, species, regions, apparatus, illumination...); ``notes`` in it are appended.
    """
    md = dict(session.metadata)
    info = session.stream_info(stream)
    detail = dict(cand.get("detail") or {})
    duration = float(cand["stop"]) - float(cand["start"])
    if cand.get("evidence") == "user":
        notes = [*notes, f"window named by the user (annotate_rest): {duration:.1f} s, "
                         f"{100 * duration / target_s:.0f} % of the {target_s:.0f}-s target"]
    elif duration < min_duration:
        notes = [*notes, f"shorter than requested: {duration:.1f} s < min_duration {min_duration:.1f} s "
                         f"({100 * duration / target_s:.0f} % of the {target_s:.0f}-s target)"]
    extra: dict[str, Any] = {}
    if md.get("session_start_time") is not None:
        v = md["session_start_time"]
        extra["session_start_time"] = v.isoformat() if hasattr(v, "isoformat") else str(v)
    if md.get("institution"):
        extra["institution"] = str(md["institution"])
    if md.get("experimenter"):
        e = md["experimenter"]
        extra["experimenter"] = [str(v) for v in e] if isinstance(e, (list, tuple)) else [str(e)]
    for key, names in (("subject_age", ("age", "subject_age")), ("subject_sex", ("sex", "subject_sex"))):
        for n in names:
            v = md.get(n)
            if v not in (None, "", "None", "n/a", "U", "unknown"):
                extra[key] = _iso_age(v) if key == "subject_age" else str(v)
                break
    species = md.get("species")
    fs = seg.attrs.get("fs", info.fs)
    kw: dict[str, Any] = dict(
        start=float(cand["start"]), stop=float(cand["stop"]), modality=info.modality, source=str(session.uri),
        state=_state(cand, md), evidence=str(cand["evidence"]),
        target_s=target_s,
        state_details={"inferred": inferred, "details": {"label": cand.get("label"), **state_detail,
                                                          "candidate": detail}},
        species=_str_or_none(LATIN.get(str(species).lower(), species) if species else None),
        subject=_str_or_none(md.get("subject")), session=_str_or_none(md.get("session")),
        lab=_str_or_none(md.get("lab")), regions=_regions(seg, md), stream=stream,
        fs=float(fs) if fs else None, n_channels=int(seg.sizes["channel"]),
        bin_width_s=float(seg.attrs["bin_width"]) if seg.attrs.get("bin_width") else None,
        arousal=arousal, illumination=_str_or_none(detail.get("illumination", md.get("illumination"))
                                                   or _illumination(_state(cand, md))),
        apparatus=_str_or_none(detail.get("apparatus", md.get("apparatus"))), quality=quality,
        min_duration_s=float(min_duration), provenance=_prov(session, md), notes=notes, **extra,
    )
    for key, value in (fields or {}).items():
        if key == "notes":
            kw["notes"] = [*kw["notes"], *([value] if isinstance(value, str) else [str(v) for v in value])]
        elif key == "species" and value is not None:
            kw["species"] = LATIN.get(str(value).lower(), str(value))
        else:
            kw[key] = value
    return new_card(**kw)
