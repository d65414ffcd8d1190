"""A catalog of rest segments (the adhesive dots) and their RestCards, growing as sessions are added.

Layout of a catalog directory::

    catalog.sqlite            cards (one row per segment, the card as JSON plus indexed columns)
    segments/<id>@<tag>.nwb   each segment as a standalone NWB file (card inside, see ``segment_to_nwb``)

Guarantees (tested in ``tests/test_catalog.py`` and ``tests/test_reliability_catalog.py``):

- **Atomic adds across processes.** The segment is written to a temporary file first; then, inside one
  ``BEGIN IMMEDIATE`` transaction, the row is inserted and the file renamed into place before the
  commit. Each row owns a file name with a random tag, so a writer only ever renames or deletes files
  it created: the loser of a race for an id gets a :class:`~glue_widgets.errors.ConflictError` and the
  winner's file is untouched. A row is never visible without its file.
- **Ids cannot name a path**: letters, digits, ``.``, ``_`` and ``-`` only (see :func:`check_id`).
- **Clear failures**: a corrupt or truncated database is a :class:`~glue_widgets.errors.CorruptFileError`
  (fix: :meth:`Catalog.rebuild` re-indexes the segment files, whose cards live inside them); a segment
  missing on disk is a :class:`~glue_widgets.errors.NotFoundError` naming the file and
  :meth:`Catalog.remove`; a path that cannot hold a catalog is a :class:`~glue_widgets.errors.StorageError`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import sqlite3
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import xarray as xr

from ..errors import ConflictError, CorruptFileError, GlueError, InvalidInputError, NotFoundError, StorageError
from ..model import validate_card
from .card import LATIN
from .segment_nwb import segment_from_nwb, segment_to_nwb, write_nwb

__all__ = ["Catalog", "check_id", "segment_to_nwb", "segment_from_nwb"]

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
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_id(seg_id: Any) -> str:
    """Return ``seg_id`` if it is a safe catalog id, else raise InvalidInputError.

    An id names a file inside the catalog, so it may hold only letters, digits, ``.``, ``_`` and
    ``-``, must start with a letter or digit and be at most 128 characters: ``"../x"``, ``"a/b"`` or
    an absolute path are refused, never written outside the catalog.

    Examples
    --------
    >>> check_id("sub-01_ses-2.rest")
    'sub-01_ses-2.rest'
    """
    if not isinstance(seg_id, str) or not _ID.fullmatch(seg_id):
        raise InvalidInputError(
            f"id={seg_id!r} is not a valid catalog id: use 1-128 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (it names a file inside the catalog), e.g. 'sub-01_ses-2', or omit it.")
    return seg_id


def _row(seg_id: str, card: dict, rel: str, added_at: str) -> tuple:
    return (seg_id, card.get("species"), card["modality"], card["state"]["definition"],
            card["state"].get("inferred"), card.get("lab"), card.get("subject"), card.get("session"),
            float(card["duration_s"]), float(card["start"]), float(card["stop"]), card.get("n_channels"),
            card.get("fs"), card["provenance"]["source"], card.get("stream"), card["state"].get("evidence"),
            added_at, rel, json.dumps(card))


_INSERT = f"INSERT INTO cards ({', '.join(_COLUMNS)}, card_json) VALUES ({', '.join('?' * (len(_COLUMNS) + 1))})"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


# -- the catalog ----------------------------------------------------------------------------------

class Catalog:
    """Rest segments and their cards from many sessions, on disk, safe for concurrent writers.

    Parameters
    ----------
    path : str or Path
        Catalog directory (created if missing).
    timeout : float
        Seconds a writer waits for another writer's transaction (SQLite busy timeout).

    Raises
    ------
    StorageError
        ``path`` lies under a regular file or cannot be created or written.
    CorruptFileError
        ``catalog.sqlite`` is not a database, is truncated, or lost its table while segment files
        remain (fix: :meth:`Catalog.rebuild`).

    Examples
    --------
    >>> cat = gw.Catalog("my_catalog")                       # doctest: +SKIP
    >>> sid = cat.add(gw.extract_rest(session))              # doctest: +SKIP
    >>> cat.query(species="mouse", min_duration=300)         # doctest: +SKIP
    >>> seg = cat.get(sid); cat.export_nwb(sid, "rest.nwb")  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, *, timeout: float = 60.0) -> None:
        self._init(path, timeout, lost_index_ok=False)

    def _init(self, path: Any, timeout: Any, *, lost_index_ok: bool) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise InvalidInputError(f"path={path!r} must be a folder path (str or pathlib.Path).")
        self.timeout = _seconds(timeout, "timeout")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise InvalidInputError(f"timeout={timeout!r} must be a positive number of seconds.")
        self.path = Path(path)
        self.db_path = self.path / "catalog.sqlite"
        try:
            (self.path / "segments").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot use {str(self.path)!r} as a catalog folder ({type(exc).__name__}: {exc}); it or one of "
                "its parents is a regular file or not writable. Pass a folder path you can write.") from exc
        with self._db() as con:
            has_table = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cards'").fetchone()
            if not has_table:
                orphans = self._segment_files()
                if orphans and not lost_index_ok:
                    raise CorruptFileError(
                        f"{str(self.db_path)!r} holds no catalog table but {self.path / 'segments'} holds "
                        f"{len(orphans)} segment files: the database was emptied or replaced. Run "
                        f"gw.Catalog.rebuild({str(self.path)!r}) to re-index them from the cards inside each file.")
                con.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"<Catalog {str(self.path)!r}: {len(self)} segments>"

    # -- database -------------------------------------------------------------------------------
    def _segment_files(self) -> list[Path]:
        return sorted(p for p in (self.path / "segments").glob("*.nwb") if not p.name.startswith(".tmp-"))

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection whose SQLite failures surface as GlueErrors naming the file and the fix."""
        con = None
        try:
            con = sqlite3.connect(self.db_path, timeout=self.timeout, isolation_level=None)
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")
            yield con
        except sqlite3.IntegrityError:
            raise  # a taken id: the caller turns it into a ConflictError
        except sqlite3.Error as exc:
            raise self._db_error(exc) from exc
        finally:
            if con is not None:
                con.close()

    def _db_error(self, exc: sqlite3.Error) -> GlueError:
        msg = str(exc).lower()
        where = str(self.db_path)
        if "not a database" in msg or "malformed" in msg or "no such table" in msg or "corrupt" in msg:
            return CorruptFileError(
                f"{where!r} is not a readable catalog database ({exc}): it is truncated or was overwritten. Move it "
                f"aside and run gw.Catalog.rebuild({str(self.path)!r}), which re-indexes the segment files "
                "(each holds its card); rebuild keeps the damaged file beside it.")
        if "locked" in msg or "busy" in msg:
            return StorageError(
                f"{where!r} stayed locked by another writer for more than timeout={self.timeout} s; retry, or "
                "pass a longer timeout.")
        return StorageError(
            f"cannot use the catalog database {where!r} ({exc}); check the folder is writable, on a local "
            "disk, and has space.")

    def __len__(self) -> int:
        with self._db() as con:
            return int(con.execute("SELECT COUNT(*) FROM cards").fetchone()[0])

    def __contains__(self, seg_id: object) -> bool:
        with self._db() as con:
            return con.execute("SELECT 1 FROM cards WHERE id = ?", (str(seg_id),)).fetchone() is not None

    # -- writing --------------------------------------------------------------------------------
    def add(self, segment: xr.DataArray, *, card: dict | None = None, id: str | None = None) -> str:  # noqa: A002
        """Store ``segment`` (with its RestCard) and return its id.

        Atomic across processes: when two callers add the same ``id`` at once, one wins and the other
        gets a :class:`~glue_widgets.errors.ConflictError`; the winner's row and file stay intact.

        Examples
        --------
        >>> sid = cat.add(gw.extract_rest(session), id="sub-01_ses-2")   # doctest: +SKIP
        """
        if not isinstance(segment, xr.DataArray) or set(segment.dims) != {"time", "channel"}:
            raise InvalidInputError("segment must be a ('time', 'channel') DataArray, e.g. from gw.extract_rest.")
        if segment.sizes["time"] < 1 or segment.sizes["channel"] < 1:
            raise InvalidInputError(f"segment has shape {dict(segment.sizes)}; it needs samples and channels.")
        card = card or segment.attrs.get("card")
        if not card:
            raise InvalidInputError("segment has no attrs['card']; pass card=... or use gw.extract_rest.")
        card = validate_card(card)
        seg_id = uuid.uuid4().hex[:16] if id is None else check_id(id)
        if seg_id in self:
            raise ConflictError(f"id {seg_id!r} is already in the catalog at {self.path}; pass another id or omit it.")
        tag = uuid.uuid4().hex[:12]
        rel = f"segments/{seg_id}@{tag}.nwb"
        final = self.path / rel
        tmp = self.path / "segments" / f".tmp-{tag}-{seg_id}.nwb"
        try:
            try:
                write_nwb(segment, tmp, card=card)
            except OSError as exc:
                raise StorageError(f"cannot write the segment file {str(tmp)!r}: {exc}. Check the catalog "
                                   "folder is writable and has space.") from exc
            with self._db() as con:
                try:
                    con.execute("BEGIN IMMEDIATE")
                    con.execute(_INSERT, _row(seg_id, card, rel, _now()))
                    os.replace(tmp, final)        # inside the transaction: a row never commits without its file
                    con.execute("COMMIT")
                except BaseException as exc:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    final.unlink(missing_ok=True)  # our own uniquely named file, never the winner's
                    if isinstance(exc, sqlite3.IntegrityError):
                        raise ConflictError(
                            f"id {seg_id!r} was added to the catalog at {self.path} by another writer at the same "
                            "time; pass another id or omit it.") from None
                    if isinstance(exc, OSError):
                        raise StorageError(f"cannot move the segment into {str(final)!r}: {exc}.") from exc
                    raise
        finally:
            tmp.unlink(missing_ok=True)
        return seg_id

    def remove(self, seg_id: str) -> None:
        """Delete segment ``seg_id``: its row, then its file (a missing file is fine).

        Examples
        --------
        >>> cat.remove("sub-01_ses-2")                    # doctest: +SKIP
        """
        path = self._file(seg_id, must_exist=False)
        with self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("DELETE FROM cards WHERE id = ?", (str(seg_id),))
            con.execute("COMMIT")
        path.unlink(missing_ok=True)

    @classmethod
    def rebuild(cls, path: str | os.PathLike, *, timeout: float = 60.0) -> "Catalog":
        """Re-index a catalog from its segment files after its database was lost or damaged.

        The damaged ``catalog.sqlite`` (and its ``-wal``/``-shm`` companions) is kept beside the new
        one as ``catalog.sqlite.damaged-<UTC time>``. Each segment file holds its card, so every
        readable file gets its row back (id from the file name); unreadable files are listed in a
        warning and left in place.

        Examples
        --------
        >>> cat = gw.Catalog.rebuild("my_catalog")        # doctest: +SKIP
        """
        root = Path(path)
        db = root / "catalog.sqlite"
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        for suffix in ("", "-wal", "-shm"):
            old = db.with_name(db.name + suffix)
            if old.exists():
                try:
                    os.replace(old, old.with_name(f"{old.name}.damaged-{stamp}"))
                except OSError as exc:
                    raise StorageError(f"cannot move {str(old)!r} aside: {exc}.") from exc
        cat = cls.__new__(cls)
        cat._init(root, timeout, lost_index_ok=True)
        bad = []
        for f in cat._segment_files():
            seg_id = f.name[:-4].rsplit("@", 1)[0]
            try:
                card = segment_from_nwb(f).attrs["card"]
                with cat._db() as con:
                    con.execute(_INSERT, _row(check_id(seg_id), validate_card(card), f"segments/{f.name}",
                                              _dt.datetime.fromtimestamp(f.stat().st_mtime, _dt.timezone.utc)
                                              .isoformat()))
            except (GlueError, sqlite3.IntegrityError) as exc:
                bad.append(f"{f.name}: {exc}")
        if bad:
            warnings.warn(f"Catalog.rebuild skipped {len(bad)} segment files:\n  " + "\n  ".join(bad[:10]),
                          stacklevel=2)
        return cat

    # -- reading --------------------------------------------------------------------------------
    def query(self, species: str | None = None, modality: str | None = None, state: str | None = None,
              lab: str | None = None, min_duration: float | None = None, *, subject: str | None = None,
              max_duration: float | None = None) -> pd.DataFrame:
        """Cards matching every given filter, one row per segment.

        ``species`` matches common or Latin names ("mouse" or "Mus musculus"); ``state`` is a
        case-insensitive substring of the state definition or the inferred state.

        Examples
        --------
        >>> cat.query(species="mouse", min_duration=300).id.tolist()   # doctest: +SKIP
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
        for name, val, op in (("min_duration", min_duration, ">="), ("max_duration", max_duration, "<=")):
            if val is not None:
                where.append(f"duration_s {op} ?")
                args.append(_seconds(val, name))
        sql = f"SELECT {', '.join(_COLUMNS)} FROM cards"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._db() as con:
            rows = con.execute(sql + " ORDER BY added_at, id", args).fetchall()
        return pd.DataFrame(rows, columns=list(_COLUMNS))

    def _missing(self, seg_id: Any) -> NotFoundError:
        return NotFoundError(f"segment {seg_id!r} is not in the catalog at {self.path}; "
                             f"see Catalog.query() for the ids it holds.")

    def card(self, seg_id: str) -> dict[str, Any]:
        """The RestCard of segment ``seg_id``.

        Examples
        --------
        >>> cat.card(sid)["duration_s"]                   # doctest: +SKIP
        """
        with self._db() as con:
            row = con.execute("SELECT card_json FROM cards WHERE id = ?", (str(seg_id),)).fetchone()
        if row is None:
            raise self._missing(seg_id)
        try:
            return json.loads(row[0])
        except (TypeError, ValueError) as exc:
            raise CorruptFileError(f"the card of {seg_id!r} in {str(self.db_path)!r} is not JSON ({exc}); run "
                                   f"gw.Catalog.rebuild({str(self.path)!r}).") from None

    def _file(self, seg_id: str, *, must_exist: bool = True) -> Path:
        with self._db() as con:
            row = con.execute("SELECT segment_path FROM cards WHERE id = ?", (str(seg_id),)).fetchone()
        if row is None:
            raise self._missing(seg_id)
        path = self.path / row[0]
        if must_exist and not path.is_file():
            raise NotFoundError(
                f"segment {seg_id!r} is listed in the catalog at {self.path} but its file {str(path)!r} is missing "
                f"on disk (deleted or moved). Put the file back, or drop the entry with cat.remove({seg_id!r}).")
        return path

    def get(self, seg_id: str) -> xr.DataArray:
        """Segment ``seg_id`` as a DataArray with ``attrs["card"]``.

        Examples
        --------
        >>> seg = cat.get(sid)                            # doctest: +SKIP
        """
        return segment_from_nwb(self._file(seg_id))

    def export_nwb(self, seg_id: str, path: str | os.PathLike, *, subject: dict | None = None) -> Path:
        """Write segment ``seg_id`` with its card as a standalone NWB file (e.g. for DANDI upload).

        ``subject`` adds or overrides Subject fields (``age`` as ISO 8601 duration, ``sex``...).

        Examples
        --------
        >>> cat.export_nwb(sid, "rest.nwb", subject={"age": "P90D"})   # doctest: +SKIP
        """
        seg = self.get(seg_id)
        return segment_to_nwb(seg, path, card=seg.attrs["card"], subject=subject)


def _seconds(value: Any, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if isinstance(value, bool) or math.isnan(out):
        raise InvalidInputError(f"{name}={value!r} must be a number of seconds.")
    return out
