"""BIDS EEG/iEEG runs (and plain EDF/BDF/BrainVision files) as lazy Sessions.

A run is one data file (``.edf``, ``.bdf``, ``.vhdr`` + ``.eeg``, ``.set`` [+ ``.fdt``]) plus the
BIDS sidecars found by the inheritance principle (closest directory wins; JSON sidecars merge from
the dataset root down): ``*_eeg.json`` / ``*_ieeg.json``, ``*_channels.tsv``, ``*_events.tsv``,
``*_electrodes.tsv``, and the dataset's ``dataset_description.json`` and ``participants.tsv``.

Streams: one per modality, from the ``type`` column of ``channels.tsv`` (EEG -> ``eeg``; ECOG ->
``ecog``; SEEG/DBS -> ``seeg``, modality ``ieeg``; EOG/ECG/EMG/MISC/... -> ``misc``), or from the
label prefix and the datatype folder when there is no ``channels.tsv``. Channels with a different
sampling rate go to their own stream (``<modality>_<fs>hz``). Values are in volts.

Epochs: ``events.tsv`` rows (label = ``trial_type``, else ``value``), EDF+ annotations (local
files only: they are spread over every data record) / BrainVision markers when there is no
``events.tsv``, and one epoch spanning the run labelled with its
BIDS task (``source_table="bids-task"``), so ``task-rest`` runs carry their rest evidence.

EDF/BDF and BrainVision are read by byte ranges (see :mod:`.bids_readers`, :mod:`.eegformats`, :mod:`.brainvision`); EEGLAB ``.set`` is read
with MNE (downloaded once into the cache when remote).
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..errors import CorruptFileError, InvalidInputError, NotFoundError, UnsupportedError
from ..model import Session, StreamInfo, make_timeseries
from ..model.session import empty_epochs
from .bids_readers import DATA_EXTENSIONS, make_reader
from .rangefile import LocalRangeSource

__all__ = ["open_bids_file", "BidsSession", "LocalTree", "parse_bids_name", "channel_modality"]

_MISC_TYPES = {"EOG", "ECG", "EKG", "EMG", "MISC", "TRIG", "RESP", "GSR", "PPG", "TEMP", "SYSCLOCK",
               "AUDIO", "REF", "VEOG", "HEOG", "PUPIL", "EYEGAZE", "STIM"}


# -- BIDS names ---------------------------------------------------------------------------------
def parse_bids_name(name: str) -> tuple[dict[str, str], str, str]:
    """``sub-01_task-rest_eeg.edf`` -> ({"sub": "01", "task": "rest"}, "eeg", ".edf")."""
    base = os.path.basename(name)
    stem, dot, ext = base.partition(".")
    ext = dot + ext
    parts = stem.split("_")
    suffix = parts[-1] if parts and "-" not in parts[-1] else ""
    ents: dict[str, str] = {}
    for p in parts[:-1] if suffix else parts:
        k, sep, v = p.partition("-")
        if sep:
            ents[k] = v
    return ents, suffix, ext


def channel_modality(bids_type: str | None, label: str = "", datatype: str = "eeg") -> tuple[str, str]:
    """(stream name, modality) of one channel from its BIDS type, else its label and datatype."""
    t = (bids_type or "").strip().upper()
    if not t or t == "N/A":
        first = label.strip().split(" ")[0].upper() if " " in label.strip() else ""
        lab = label.strip().upper()
        if first in _MISC_TYPES or first in {"RESP", "STATUS"} or lab.startswith(("ECG", "EKG", "EOG", "EMG")) \
                or lab in {"STATUS", "STI 014", "TRIGGER"}:
            return "misc", "physio"
        if first == "EEG":
            return "eeg", "eeg"
        if first == "ECOG":
            return "ecog", "ecog"
        if first == "SEEG":
            return "seeg", "ieeg"
        return ("ieeg", "ieeg") if datatype == "ieeg" else ("eeg", "eeg")
    if t == "EEG":
        return "eeg", "eeg"
    if t == "ECOG":
        return "ecog", "ecog"
    if t in ("SEEG", "DBS"):
        return "seeg", "ieeg"
    return "misc", "physio"


# -- where files live ---------------------------------------------------------------------------
class Tree(Protocol):
    """What the reader needs from a BIDS dataset, local or remote (paths relative to its root)."""

    def listdir(self, reldir: str) -> list[str]: ...
    def exists(self, rel: str) -> bool: ...
    def read_bytes(self, rel: str) -> bytes: ...
    def range_source(self, rel: str): ...
    def local_path(self, rel: str) -> str: ...
    def describe(self, rel: str) -> str: ...


class LocalTree:
    """A BIDS dataset (or a bare directory) on disk."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def listdir(self, reldir: str) -> list[str]:
        d = self.root / reldir
        return sorted(p.name for p in d.iterdir() if p.is_file()) if d.is_dir() else []

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def read_bytes(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def range_source(self, rel: str) -> LocalRangeSource:
        return LocalRangeSource(str(self.root / rel))

    def local_path(self, rel: str) -> str:
        return str(self.root / rel)

    def describe(self, rel: str) -> str:
        return str(self.root / rel)


def find_local_root(path: Path) -> tuple[Path, bool]:
    """The BIDS root above ``path`` (the folder with dataset_description.json), else its folder."""
    for parent in list(path.parents)[:5]:
        if (parent / "dataset_description.json").is_file():
            return parent, True
    return path.parent, False


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if df is None:
        return None
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in df.to_dict("records")]


def _read_tsv(raw: bytes, what: str = "TSV file") -> pd.DataFrame:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorruptFileError(f"{what} is not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                               "BIDS sidecars must be UTF-8. Re-save it as UTF-8.") from None
    try:
        return pd.read_csv(io.StringIO(text), sep="\t", na_values=["n/a"], keep_default_na=False, dtype=str)
    except (ValueError, pd.errors.ParserError) as exc:
        raise CorruptFileError(f"{what} cannot be read as a tab-separated table ({exc}).") from None


class _Sidecars:
    """Inheritance-principle lookup of sidecars for one data file."""

    def __init__(self, tree: Tree, rel: str, is_bids: bool) -> None:
        self.tree, self.rel, self.is_bids = tree, rel, is_bids
        self.ents, self.suffix, self.ext = parse_bids_name(rel)
        parts = rel.split("/")[:-1]
        # closest directory first, dataset root last
        self.dirs = ["/".join(parts[:i]) for i in range(len(parts), -1, -1)] if is_bids else ["/".join(parts)]
        self._listing = {d: self.tree.listdir(d) for d in self.dirs}

    def candidates(self, suffix: str, ext: str, free: tuple[str, ...] = ()) -> list[str]:
        """Matching sidecars, most specific first; entities in ``free`` (e.g. space) may differ."""
        out = []
        for d in self.dirs:
            found = []
            for name in self._listing[d]:
                ents, suf, e = parse_bids_name(name)
                if suf != suffix or e != ext:
                    continue
                if all(self.ents.get(k) == v for k, v in ents.items() if k not in free):
                    found.append((len(ents), f"{d}/{name}" if d else name))
            out.extend(p for _, p in sorted(found, reverse=True))
        return out

    def json(self, suffix: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for rel in reversed(self.candidates(suffix, ".json")):
            try:
                doc = json.loads(self.tree.read_bytes(rel).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise CorruptFileError(f"sidecar {self.tree.describe(rel)!r} is not valid JSON.") from None
            if not isinstance(doc, dict):
                raise CorruptFileError(f"sidecar {self.tree.describe(rel)!r} holds a JSON {type(doc).__name__}, "
                                       "not an object of key/value pairs as BIDS requires.")
            merged.update(doc)
        return merged

    def tsv(self, suffix: str) -> pd.DataFrame | None:
        c = self.candidates(suffix, ".tsv")
        return _read_tsv(self.tree.read_bytes(c[0]), f"sidecar {self.tree.describe(c[0])!r}") if c else None

    def root_file(self, name: str) -> bytes | None:
        if not self.is_bids:
            return None
        root = self.dirs[-1]
        rel = f"{root}/{name}" if root else name
        return self.tree.read_bytes(rel) if name in self._listing.get(root, []) else None


def _prefetch_small_files(tree: Tree, rel: str, side: "_Sidecars"):
    """Start reading every sidecar this run may need (and a BrainVision header and markers) at once.

    Remote trees only (they have ``prefetch``); returns a future, or None.
    """
    prefetch = getattr(tree, "prefetch", None)
    if prefetch is None:
        return None
    rels = []
    if side.is_bids and side.suffix:
        rels += side.candidates(side.suffix, ".json")
        for suf in ("channels", "events"):
            rels += side.candidates(suf, ".tsv")[:1]
        rels += side.candidates("electrodes", ".tsv", free=("space",))[:1]
        root = side.dirs[-1]
        rels += [f"{root}/{n}" if root else n for n in ("dataset_description.json", "participants.tsv")]
    if rel.lower().endswith(".vhdr"):
        rels += [rel, rel[:-5] + ".vmrk"]
    from .http import _pool

    return _pool().submit(prefetch, rels)


# -- the Session ---------------------------------------------------------------------------------
class BidsSession(Session):
    """A Session over one BIDS EEG/iEEG run (or a plain EDF/BDF/BrainVision/EEGLAB file).

    Use :func:`open_bids_file` (local) or ``gw.open("openneuro://...")`` (remote) to make one.
    ``metadata`` holds subject, session, task, run, datatype, species, TaskName, TaskDescription,
    the merged sidecar JSON (``sidecar``), dataset name/DOI and the participants.tsv row.
    """

    def __init__(self, tree: Tree, rel: str, *, uri: str, is_bids: bool = True, remote: bool = False,
                 stats: dict | None = None, extra_metadata: dict | None = None) -> None:
        super().__init__(uri)
        if stats is not None:
            self.stats = stats
        self._tree, self._rel, self._remote = tree, rel, remote
        side = _Sidecars(tree, rel, is_bids)
        pending = _prefetch_small_files(tree, rel, side)  # sidecars at once, while the header is read
        if pending is not None and rel.lower().endswith(".vhdr"):
            pending.result()  # the BrainVision header is among them
        try:
            self._reader = make_reader(tree, rel)
        finally:
            if pending is not None:
                pending.result()
        ents, suffix, _ = side.ents, side.suffix, side.ext
        datatype = suffix if suffix in ("eeg", "ieeg") else ("ieeg" if "/ieeg/" in f"/{rel}" else "eeg")
        sidecar = side.json(suffix) if is_bids and suffix else {}
        channels = side.tsv("channels") if is_bids else None
        events = side.tsv("events") if is_bids else None
        electrodes = None
        if is_bids:
            el = side.candidates("electrodes", ".tsv", free=("space",))
            if el:
                electrodes = _read_tsv(tree.read_bytes(el[0]))
        # dataset-level files
        desc: dict[str, Any] = {}
        raw_desc = side.root_file("dataset_description.json")
        if raw_desc:
            try:
                desc = json.loads(raw_desc.decode("utf-8"))
            except ValueError:
                desc = {}
        participant: dict[str, Any] = {}
        raw_part = side.root_file("participants.tsv")
        if raw_part and "sub" in ents:
            p = _read_tsv(raw_part)
            if "participant_id" in p:
                row = p[p.participant_id == f"sub-{ents['sub']}"]
                if len(row):
                    participant = {k: v for k, v in row.iloc[0].items() if isinstance(v, str)}

        # channel table: BIDS type/status per channel of the data file
        names = self._reader.names
        types: list[str | None] = [None] * len(names)
        status = ["good"] * len(names)
        if channels is not None and "name" in channels:
            by_name = {str(r["name"]): r for _, r in channels.iterrows()}
            for i, n in enumerate(names):
                r = by_name.get(n)
                if r is not None:
                    types[i] = r.get("type") if isinstance(r.get("type"), str) else None
                    if isinstance(r.get("status"), str):
                        status[i] = r["status"]
        groups: dict[tuple[str, str, float], list[int]] = {}
        for i, n in enumerate(names):
            sname, modality = channel_modality(types[i], n, datatype)
            groups.setdefault((sname, modality, round(self._reader.fs[i], 9)), []).append(i)
        # the majority rate of a modality keeps the plain name; other rates get a suffix
        by_mod: dict[str, list[tuple[int, float]]] = {}
        for (sname, _, fs), cols in groups.items():
            by_mod.setdefault(sname, []).append((len(cols), fs))
        self._cols: dict[str, list[int]] = {}
        self._types = types
        self._status = status
        for (sname, modality, fs), cols in sorted(groups.items()):
            best_fs = max(by_mod[sname])[1]
            name = sname if fs == best_fs else f"{sname}_{fs:g}hz"
            units = sorted({self._reader.units[c] for c in cols})
            volts = all(u in ("uV", "µV", "μV", "mV", "nV", "V") for u in units)
            self._cols[name] = cols
            self._streams[name] = StreamInfo(
                name=name, modality=modality, fs=float(fs), n_channels=len(cols),
                duration_s=float(self._reader.duration), start_s=0.0, units="V" if volts else "/".join(units),
                kind="regular", n_samples=int(round(self._reader.duration * fs)), path=rel,
                description=("non-neural channels (ECG/EOG/EMG/MISC/...)" if sname == "misc" else
                             f"{modality} channels of {os.path.basename(rel)}"),
                extra={"bids_types": sorted({str(types[c]) for c in cols if types[c]}),
                       "n_bad": int(sum(status[c] == "bad" for c in cols))},
            )

        # epochs
        rows = []
        if events is not None and "onset" in events:
            for _, r in events.iterrows():
                try:
                    onset = float(r["onset"])
                except (TypeError, ValueError):
                    continue
                try:
                    dur = float(r.get("duration"))
                    dur = dur if np.isfinite(dur) else 0.0
                except (TypeError, ValueError):
                    dur = 0.0
                label = r.get("trial_type") if isinstance(r.get("trial_type"), str) else (
                    r.get("value") if isinstance(r.get("value"), str) else "event")
                rows.append((onset, onset + dur, label, "events.tsv"))
        else:
            ann = self._reader.annotations(remote)
            for _, r in ann.iterrows():
                rows.append((float(r.onset), float(r.onset) + float(r.duration), str(r.description),
                             "annotations"))
        task = ents.get("task")
        if task:
            rows.append((0.0, float(self._reader.duration), task, "bids-task"))
        self._epochs = (pd.DataFrame(rows, columns=["start", "stop", "label", "source_table"])
                        if rows else empty_epochs())

        species = participant.get("species") or (sidecar.get("Species") if sidecar else None)
        if not species and is_bids:
            species = "Homo sapiens"  # the BIDS default when participants.tsv has no species column
        if species and species.lower() == "homo sapiens":
            species = "Homo sapiens"
        self.metadata = {
            "subject": ents.get("sub") or os.path.splitext(os.path.basename(rel))[0],
            "session": ents.get("ses"),
            "task": task,
            "run": ents.get("run"),
            "acquisition": ents.get("acq"),
            "datatype": datatype,
            "species": species,
            "lab": sidecar.get("InstitutionName") if sidecar else None,
            "TaskName": sidecar.get("TaskName", task),
            "TaskDescription": sidecar.get("TaskDescription"),
            "Instructions": sidecar.get("Instructions"),
            "sidecar": sidecar,
            "participant": participant,
            "dataset_name": desc.get("Name"),
            "dataset_doi": desc.get("DatasetDOI"),
            "bids": is_bids,
            "format": os.path.splitext(rel)[1].lower().lstrip("."),
            # plain lists of row dicts (JSON-friendly); pandas.DataFrame(s.metadata["channels"]) for a table
            "channels": _records(channels),
            "electrodes": _records(electrodes),
            "sex": participant.get("sex"),
            "age": participant.get("age"),
        }
        if extra_metadata:
            self.metadata.update(extra_metadata)

    def _read_window(self, info: StreamInfo, start: float, stop: float, **kwargs: Any):
        cols = self._cols[info.name]
        data, t = self._reader.read(cols, start, stop)
        names = [self._reader.names[c] for c in cols]
        return make_timeseries(
            data, t, names, modality=info.modality, fs=info.fs, units=info.units,
            channel_coords={"bids_type": [str(self._types[c] or "n/a") for c in cols],
                            "status": [self._status[c] for c in cols]},
        )

    def close(self) -> None:
        src = getattr(self._reader, "src", None)
        if src is not None and hasattr(src, "close"):
            try:
                src.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


def open_bids_file(path: str | os.PathLike, *, uri: str | None = None, **kw: Any) -> BidsSession:
    """Open a local BIDS EEG/iEEG run or a plain EDF/BDF/BrainVision/EEGLAB file lazily.

    Parameters
    ----------
    path : str or path
        The data file (``.edf``, ``.bdf``, ``.vhdr``, ``.set``).
    uri : str, optional
        What to record as the Session's source (default: the path).

    Examples
    --------
    >>> import glue_widgets as gw
    >>> s = gw.open("/work/shared/data/eegbci_S001R01/S001R01.edf")   # doctest: +SKIP
    >>> x = s.read("eeg", 0, 10)                                     # doctest: +SKIP
    """
    if kw:
        unknown = sorted(set(kw) - {"cache_dir", "timeout", "retries", "bin_width", "keep_alive"})
        if unknown:
            raise InvalidInputError(f"open_bids_file got unexpected keyword(s) {unknown}.")
    p = Path(path).expanduser()
    if not p.is_file():
        raise NotFoundError(f"no file at {str(p)!r}; check the path.")
    if p.suffix.lower() not in DATA_EXTENSIONS:
        raise UnsupportedError(f"{str(p)!r}: extension {p.suffix!r} is not one of {DATA_EXTENSIONS}.")
    root, is_bids = find_local_root(p.resolve())
    rel = p.resolve().relative_to(root).as_posix()
    _, suffix, _ = parse_bids_name(rel)
    is_bids = is_bids and suffix in ("eeg", "ieeg") and bool(re.match(r"sub-", os.path.basename(rel)))
    return BidsSession(LocalTree(root), rel, uri=uri or str(p), is_bids=is_bids)
