"""A rest segment as a standalone NWB file (card inside): the catalog's storage and its export format.

:func:`segment_to_nwb` writes, :func:`segment_from_nwb` reads back. The series is
``acquisition/rest_segment``; the RestCard is JSON in ``scratch/rest_card``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import CorruptFileError, InvalidInputError, NotFoundError, StorageError
from ..model import make_timeseries, validate_card
from .card import LATIN

__all__ = ["segment_to_nwb", "segment_from_nwb", "write_nwb"]

_ELECTRICAL = ("lfp", "ecog", "ieeg", "eeg")


# -- NWB -----------------------------------------------------------------------------------------

def _start_time(seg: xr.DataArray, card: dict) -> tuple[_dt.datetime, bool]:
    for v in (seg.attrs.get("session_start_time"), card.get("session_start_time")):
        if v:
            try:
                t = v if isinstance(v, _dt.datetime) else _dt.datetime.fromisoformat(str(v))
            except ValueError:
                raise InvalidInputError(f"session_start_time={v!r} is not an ISO 8601 date-time; pass e.g. "
                                        "'2024-05-01T10:00:00+00:00'.") from None
            return (t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)), True
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc), False


def segment_to_nwb(seg: xr.DataArray, path: str | os.PathLike, *, card: dict | None = None,
                   subject: dict | None = None) -> Path:
    """Write ``seg`` and its card as a standalone NWB file (atomically: temp file + rename).

    See :func:`write_nwb` for the layout. Raises :class:`~glue_widgets.errors.InvalidInputError`
    for a segment or card that cannot be written, :class:`~glue_widgets.errors.StorageError` when
    the folder cannot hold the file.

    Examples
    --------
    >>> seg = gw.extract_rest(session)                    # doctest: +SKIP
    >>> segment_to_nwb(seg, "rest.nwb")                   # doctest: +SKIP
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder {str(path.parent)!r} for {path.name}: {exc}. "
                           "Choose a path whose parents are folders you can write.") from exc
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    try:
        write_nwb(seg, tmp, card=card, subject=subject)
        os.replace(tmp, path)
    except OSError as exc:
        raise StorageError(f"cannot write {str(path)!r}: {exc}. Check the folder is writable and has space.") from exc
    finally:
        tmp.unlink(missing_ok=True)  # our own temporary file, never another writer's
    return path


def write_nwb(seg: xr.DataArray, path: str | os.PathLike, *, card: dict | None = None,
              subject: dict | None = None) -> Path:
    """Write ``seg`` and its card to exactly ``path`` (no rename; callers make it atomic).

    Electrical modalities (lfp, ecog, ieeg, eeg) become an ``ElectricalSeries`` with an electrodes
    table (channel names, regions as locations); others (binned spike counts, ΔF/F, behaviour) a
    ``TimeSeries``. The series is ``acquisition/rest_segment``; the RestCard is stored as JSON in
    ``scratch/rest_card`` and the channel ids in ``scratch/channel_ids``. Subject: species as a
    Latin binomial, ``sex`` "U" unless known, ``age`` only when known (``subject`` overrides).
    """
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.core import ScratchData
    from pynwb.ecephys import ElectricalSeries
    from pynwb.file import Subject

    if not isinstance(seg, xr.DataArray) or set(seg.dims) != {"time", "channel"} or seg.sizes["time"] < 1:
        raise InvalidInputError("segment must be a non-empty ('time', 'channel') DataArray, e.g. from "
                                "gw.extract_rest.")
    card = validate_card(card or seg.attrs.get("card") or {})
    path = Path(path)
    start_time, known = _start_time(seg, card)
    species = card.get("species")
    species = LATIN.get(str(species).lower(), species) if species else None
    subj = {"subject_id": card.get("subject") or "unknown", "species": species, "sex": "U",
            "description": f"subject of {card['provenance']['source']}"}
    if card.get("subject_sex") in ("M", "F", "O", "U"):
        subj["sex"] = card["subject_sex"]
    if card.get("subject_age"):
        subj["age"] = card["subject_age"]
    subj.update({k: v for k, v in (subject or {}).items() if v is not None})
    subj = {k: v for k, v in subj.items() if v is not None}
    state = card["state"]["definition"]
    notes = [] if known else ["session start time unknown: set to 1970-01-01 UTC as a placeholder"]
    nwb = NWBFile(
        session_description=(f"Standardized rest segment ({state}; {card['duration_s']:.1f} s, "
                             f"{card['modality']}) cut by glue_widgets from {card['provenance']['source']}"),
        identifier=str(uuid.uuid4()), session_start_time=start_time, session_id=card.get("session") or None,
        lab=card.get("lab") or None, institution=card.get("institution") or seg.attrs.get("institution") or None,
        experimenter=card.get("experimenter") or None,
        experiment_description=(f"Spontaneous-activity (rest) segment, state '{state}', found from "
                                f"{card['state'].get('evidence', 'unknown')} evidence; RestCard in scratch/rest_card."),
        keywords=["rest", "spontaneous activity", "resting state", "glue_widgets"],
        subject=Subject(**subj), notes="; ".join(notes) or None,
        source_script=card["provenance"].get("software"), source_script_file_name="glue_widgets",
    )
    try:
        data = np.asarray(seg.transpose("time", "channel").values, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"segment values are not numeric ({seg.dtype}): {exc}") from None
    t = np.asarray(seg.time.values, float)
    fs = card.get("fs") or seg.attrs.get("fs")
    regular = bool(fs) and t.size > 1 and np.allclose(np.diff(t), 1.0 / fs, rtol=1e-3, atol=1e-9)
    timing = {"starting_time": float(t[0]), "rate": float(fs)} if regular else {"timestamps": t}
    chans = [str(c) for c in seg.channel.values]
    regions = ([str(r) for r in seg.coords["region"].values] if "region" in seg.coords
               else [(card.get("regions") or ["unknown"])[0]] * len(chans))
    desc = f"rest segment; card in scratch/rest_card; bin width {card.get('bin_width_s')} s" \
        if card.get("bin_width_s") else "rest segment; card in scratch/rest_card"
    if card["modality"] in _ELECTRICAL:
        dev = nwb.create_device(name="recording_device", description=f"{card['modality']} acquisition system")
        groups: dict[str, Any] = {}
        for i, r in enumerate(dict.fromkeys(regions)):
            loc = r.strip() or "unknown"
            name = "group_" + re.sub(r"[/:]", "_", loc)  # NWB names cannot hold '/' or ':'
            if name in nwb.electrode_groups:
                name = f"{name}_{i}"
            groups[r] = nwb.create_electrode_group(name=name, description=f"{card['modality']} channels in {loc}",
                                                   location=loc, device=dev)
        nwb.add_electrode_column(name="channel_name", description="channel id in the source recording")
        for c, r in zip(chans, regions):
            nwb.add_electrode(location=r.strip() or "unknown", group=groups[r], channel_name=c)
        region = nwb.create_electrode_table_region(list(range(len(chans))), "all channels of the segment")
        conv = 1e-6 if str(seg.attrs.get("units", "")).lower() in ("uv", "µv", "microvolts") else 1.0
        series = ElectricalSeries(name="rest_segment", data=data, electrodes=region,
                                  conversion=conv, description=desc, **timing)
    else:
        unit = {"spikes": "count", "calcium": "dF/F"}.get(card["modality"], seg.attrs.get("units") or "a.u.")
        series = TimeSeries(name="rest_segment", data=data, unit=unit, description=desc,
                            comments=f"columns: {len(chans)} channels, ids in scratch/channel_ids", **timing)
    nwb.add_acquisition(series)
    nwb.add_scratch(ScratchData(name="rest_card", data=json.dumps(card),
                                description="glue_widgets RestCard (JSON, schema restcard-1)"))
    nwb.add_scratch(ScratchData(name="channel_ids", data=np.asarray(chans, dtype=object),
                                description="channel ids of rest_segment columns, in order"))
    nwb.add_scratch(ScratchData(name="channel_regions", data=np.asarray(regions, dtype=object),
                                description="brain region of each column of rest_segment"))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def segment_from_nwb(path: str | os.PathLike) -> xr.DataArray:
    """Read a segment written by :func:`segment_to_nwb` back as a DataArray with ``attrs["card"]``.

    Raises :class:`~glue_widgets.errors.NotFoundError` when the file is missing and
    :class:`~glue_widgets.errors.CorruptFileError` when it is not such a segment (truncated, another
    NWB layout, a card that is not JSON).

    Examples
    --------
    >>> seg = segment_from_nwb("rest.nwb")                 # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no segment file at {str(path)!r}; check the path.")
    try:
        return _read_segment(path)
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise CorruptFileError(
            f"{str(path)!r} is not a readable rest segment ({type(exc).__name__}: {exc}). It is truncated or was "
            "not written by segment_to_nwb; write it again from its source, or delete it.") from exc


def _read_segment(path: Path) -> xr.DataArray:
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        ts = nwb.acquisition["rest_segment"]
        data = np.asarray(ts.data[:], float) * float(ts.conversion or 1.0)
        t = np.asarray(ts.get_timestamps(), float)
        raw = nwb.scratch["rest_card"].data
        if not isinstance(raw, (str, bytes)):
            raw = raw[()] if np.ndim(raw) == 0 else raw[0]
        card = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        chans = _strings(nwb.scratch["channel_ids"].data)
        regions = _strings(nwb.scratch["channel_regions"].data)
    attrs = {k: card.get(k) for k in ("species", "subject", "session", "lab")}
    attrs.update(source=card["provenance"]["source"], stream=card.get("stream"))
    if card.get("bin_width_s"):
        attrs["bin_width"] = card["bin_width_s"]
    seg = make_timeseries(data, t, chans, modality=card["modality"], fs=card.get("fs"),
                          channel_coords={"region": regions}, **attrs)
    seg.attrs["card"] = card
    return seg


def _strings(data) -> list[str]:
    """A scratch list of strings; a one-element list may come back as a scalar string, never split it."""
    if isinstance(data, (str, bytes)):
        values = [data]
    else:
        values = data[()] if np.ndim(data) == 0 else data[:]
        values = [values] if isinstance(values, (str, bytes)) else list(values)
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]
