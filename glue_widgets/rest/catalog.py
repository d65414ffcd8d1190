"""A catalog of rest segments (the adhesive dots) and their RestCards, growing as sessions are added.

Layout of a catalog directory::

    catalog.sqlite        cards (one row per segment, the card as JSON plus indexed columns)
    segments/<id>.nwb     each segment as a standalone NWB file (card inside, see ``segment_to_nwb``)

SQLite runs in WAL mode with a busy timeout, and every add is one ``BEGIN IMMEDIATE`` transaction, so
several processes can add at once without losing a row. Segment files are written to a temporary
name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InvalidInputError, NotFoundError
from ..model import make_timeseries, validate_card
from .card import LATIN

__all__ = ["Catalog", "segment_to_nwb", "segment_from_nwb"]

_COLUMNS = ("id", "species", "modality", "state", "inferred_state", "lab", "subject", "session", "duration_s",
            "start", "stop", "n_channels", "fs", "source", "stream", "evidence", "added_at", "segment_path")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    id TEXT PRIMARY KEY, species TEXT, modality TEXT NOT NULL, state TEXT, inferred_state TEXT, lab TEXT,
    subject TEXT, session TEXT, duration_s REAL NOT NULL, start REAL, stop REAL, n_channels INTEGER, fs REAL,
    source TEXT NOT NULL, stream TEXT, evidence TEXT, added_at TEXT NOT NULL, segment_path TEXT NOT NULL,
    card_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cards_species ON cards(species);
CREATE INDEX IF NOT EXISTS cards_modality ON cards(modality);
CREATE INDEX IF NOT EXISTS cards_lab ON cards(lab);
"""
_ELECTRICAL = ("lfp", "ecog", "ieeg", "eeg")


# -- NWB -----------------------------------------------------------------------------------------

def _start_time(seg: xr.DataArray, card: dict) -> tuple[_dt.datetime, bool]:
    for v in (seg.attrs.get("session_start_time"), card.get("session_start_time")):
        if v:
            t = v if isinstance(v, _dt.datetime) else _dt.datetime.fromisoformat(str(v))
            return (t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)), True
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc), False


def segment_to_nwb(seg: xr.DataArray, path: str | os.PathLike, *, card: dict | None = None,
                   subject: dict | None = None) -> Path:
    """Write ``seg`` and its card as a standalone NWB file (atomically: temp file + rename).

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
    data = np.asarray(seg.transpose("time", "channel").values)
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
        groups = {}
        for r in dict.fromkeys(regions):
            groups[r] = nwb.create_electrode_group(name=f"group_{r}", description=f"{card['modality']} channels in {r}",
                                                   location=r, device=dev)
        nwb.add_electrode_column(name="channel_name", description="channel id in the source recording")
        for c, r in zip(chans, regions):
            nwb.add_electrode(location=r, group=groups[r], channel_name=c)
        region = nwb.create_electrode_table_region(list(range(len(chans))), "all channels of the segment")
        conv = 1e-6 if str(seg.attrs.get("units", "")).lower() in ("uv", "µv", "microvolts") else 1.0
        series = ElectricalSeries(name="rest_segment", data=data.astype(np.float32), electrodes=region,
                                  conversion=conv, description=desc, **timing)
    else:
        unit = {"spikes": "count", "calcium": "dF/F"}.get(card["modality"], seg.attrs.get("units") or "a.u.")
        series = TimeSeries(name="rest_segment", data=data.astype(np.float32), unit=unit, description=desc,
                            comments=f"columns: {len(chans)} channels, ids in scratch/channel_ids", **timing)
    nwb.add_acquisition(series)
    nwb.add_scratch(ScratchData(name="rest_card", data=json.dumps(card),
                                description="glue_widgets RestCard (JSON, schema restcard-1)"))
    nwb.add_scratch(ScratchData(name="channel_ids", data=np.asarray(chans, dtype=object),
                                description="channel ids of rest_segment columns, in order"))
    nwb.add_scratch(ScratchData(name="channel_regions", data=np.asarray(regions, dtype=object),
                                description="brain region of each column of rest_segment"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    try:
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def segment_from_nwb(path: str | os.PathLike) -> xr.DataArray:
    """Read a segment written by :func:`segment_to_nwb` back as a DataArray with ``attrs["card"]``."""
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
        chans = [c.decode() if isinstance(c, bytes) else str(c) for c in nwb.scratch["channel_ids"].data[:]]
        regions = [c.decode() if isinstance(c, bytes) else str(c) for c in nwb.scratch["channel_regions"].data[:]]
    attrs = {k: card.get(k) for k in ("species", "subject", "session", "lab")}
    attrs.update(source=card["provenance"]["source"], stream=card.get("stream"))
    if card.get("bin_width_s"):
        attrs["bin_width"] = card["bin_width_s"]
    seg = make_timeseries(data, t, chans, modality=card["modality"], fs=card.get("fs"),
                          channel_coords={"region": regions}, **attrs)
    seg.attrs["card"] = card
    return seg


# -- the catalog ----------------------------------------------------------------------------------

class Catalog:
    """Rest segments and their cards from many sessions, on disk, safe for concurrent writers.

    Parameters
    ----------
    path : str or Path
        Catalog directory (created if missing).
    timeout : float
        Seconds a writer waits for another writer's transaction (SQLite busy timeout).

    Examples
    --------
    >>> cat = gw.Catalog("my_catalog")                       # doctest: +SKIP
    >>> sid = cat.add(gw.extract_rest(session))              # doctest: +SKIP
    >>> cat.query(species="mouse", min_duration=300)         # doctest: +SKIP
    >>> seg = cat.get(sid); cat.export_nwb(sid, "rest.nwb")  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.timeout = float(timeout)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "segments").mkdir(exist_ok=True)
        self.db_path = self.path / "catalog.sqlite"
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"<Catalog {str(self.path)!r}: {len(self)} segments>"

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db_path, timeout=self.timeout, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        return con

    def __len__(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM cards").fetchone()[0])

    def __contains__(self, seg_id: object) -> bool:
        with self._connect() as con:
            return con.execute("SELECT 1 FROM cards WHERE id = ?", (str(seg_id),)).fetchone() is not None

    def add(self, segment: xr.DataArray, *, card: dict | None = None, id: str | None = None) -> str:  # noqa: A002
        """Store ``segment`` (with its RestCard) and return its id."""
        if not isinstance(segment, xr.DataArray) or set(segment.dims) != {"time", "channel"}:
            raise InvalidInputError("segment must be a ('time', 'channel') DataArray, e.g. from gw.extract_rest.")
        card = card or segment.attrs.get("card")
        if not card:
            raise InvalidInputError("segment has no attrs['card']; pass card=... or use gw.extract_rest.")
        card = validate_card(card)
        seg_id = id or uuid.uuid4().hex[:16]
        rel = f"segments/{seg_id}.nwb"
        if seg_id in self:
            raise InvalidInputError(f"id {seg_id!r} is already in the catalog; pass another id or omit it.")
        segment_to_nwb(segment, self.path / rel, card=card)
        row = (seg_id, card.get("species"), card["modality"], card["state"]["definition"],
               card["state"].get("inferred"), card.get("lab"), card.get("subject"), card.get("session"),
               float(card["duration_s"]), float(card["start"]), float(card["stop"]), card.get("n_channels"),
               card.get("fs"), card["provenance"]["source"], card.get("stream"), card["state"].get("evidence"),
               _dt.datetime.now(_dt.timezone.utc).isoformat(), rel, json.dumps(card))
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute(f"INSERT INTO cards ({', '.join(_COLUMNS)}, card_json) VALUES "
                        f"({', '.join('?' * (len(_COLUMNS) + 1))})", row)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            (self.path / rel).unlink(missing_ok=True)
            raise
        finally:
            con.close()
        return seg_id

    def query(self, species: str | None = None, modality: str | None = None, state: str | None = None,
              lab: str | None = None, min_duration: float | None = None, *, subject: str | None = None,
              max_duration: float | None = None) -> pd.DataFrame:
        """Cards matching every given filter, one row per segment.

        ``species`` matches common or Latin names ("mouse" or "Mus musculus"); ``state`` is a
        case-insensitive substring of the state definition or the inferred state.
        """
        where, args = [], []
        if species is not None:
            names = {str(species).lower(), str(LATIN.get(str(species).lower(), species)).lower()}
            where.append(f"lower(species) IN ({', '.join('?' * len(names))})")
            args += sorted(names)
        for col, val in (("modality", modality), ("lab", lab), ("subject", subject)):
            if val is not None:
                where.append(f"lower({col}) = ?")
                args.append(str(val).lower())
        if state is not None:
            where.append("(lower(state) LIKE ? OR lower(coalesce(inferred_state, '')) LIKE ?)")
            args += [f"%{str(state).lower()}%"] * 2
        if min_duration is not None:
            where.append("duration_s >= ?")
            args.append(float(min_duration))
        if max_duration is not None:
            where.append("duration_s <= ?")
            args.append(float(max_duration))
        sql = f"SELECT {', '.join(_COLUMNS)} FROM cards"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._connect() as con:
            rows = con.execute(sql + " ORDER BY added_at, id", args).fetchall()
        return pd.DataFrame(rows, columns=list(_COLUMNS))

    def card(self, seg_id: str) -> dict[str, Any]:
        """The RestCard of segment ``seg_id``."""
        with self._connect() as con:
            row = con.execute("SELECT card_json FROM cards WHERE id = ?", (str(seg_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"segment {seg_id!r} is not in the catalog at {self.path}; "
                                f"see Catalog.query() for the ids it holds.")
        return json.loads(row[0])

    def _file(self, seg_id: str) -> Path:
        with self._connect() as con:
            row = con.execute("SELECT segment_path FROM cards WHERE id = ?", (str(seg_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"segment {seg_id!r} is not in the catalog at {self.path}; "
                                f"see Catalog.query() for the ids it holds.")
        return self.path / row[0]

    def get(self, seg_id: str) -> xr.DataArray:
        """Segment ``seg_id`` as a DataArray with ``attrs["card"]``."""
        return segment_from_nwb(self._file(seg_id))

    def export_nwb(self, seg_id: str, path: str | os.PathLike, *, subject: dict | None = None) -> Path:
        """Write segment ``seg_id`` with its card as a standalone NWB file (e.g. for DANDI upload).

        ``subject`` adds or overrides Subject fields (``age`` as ISO 8601 duration, ``sex``...).
        """
        seg = self.get(seg_id)
        return segment_to_nwb(seg, path, card=seg.attrs["card"], subject=subject)
