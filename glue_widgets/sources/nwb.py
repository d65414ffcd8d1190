"""Local (or file-like) NWB files as lazy Sessions, read with h5py.

Opening walks the ``neurodata_type`` attributes of ``/acquisition``, ``/processing`` and ``/units``
and reads a handful of small datasets (rates, first/last timestamps, channel ids, the intervals
tables); no big dataset is read until :meth:`NWBSession.read` asks for one window of it. The same
code serves remote files: the DANDI / URL sources hand it a range-reading file object.

Streams
-------
- ``calcium``: RoiResponseSeries (under Fluorescence / DfOverF); channels are ROI ids.
- ``lfp`` / ``ecog`` / ``ieeg`` / ``eeg``: ElectricalSeries; values scaled by ``conversion``,
  ``offset`` and ``channel_conversion`` so they are in the stated unit (volts).
- ``spikes``: Units tables (``kind="events"``); ``read`` bins spike times with ``bin_width``. A short
  window reads a page or two of each unit's train, a wide one whole trains in batches (``nwb_paged``).
- ``behavior``: SpatialSeries and other TimeSeries (running speed, pupil diameter...).

This file is long because :class:`NWBSession` is one reader: stream discovery, timing, epochs and
the planned window reads share the open HDF5 file; tables are in :mod:`.nwb_tables`, paging in
:mod:`.nwb_paged`.
"""

from __future__ import annotations

import atexit
import os
import re
import weakref
from pathlib import Path
from typing import Any, BinaryIO

import h5py
import numpy as np
import xarray as xr

from ..errors import BadDataError, CorruptFileError, GlueError, NotFoundError, UnsupportedError
from ..model import Session, StreamInfo, check_timestamps, make_timeseries
from ..model.spikes import bin_spikes
from .nwb_h5 import SMALL_READ, as_str, guarded, read_scalar_str, region_rows, table_ids
from .nwb_paged import PagedColumn, page_size, read_spike_windows
from .nwb_tables import read_intervals, unit_coords, unit_ids

__all__ = ["open_nwb", "NWBSession"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_IMAGE_TYPES = {"ImageSeries", "TwoPhotonSeries", "OnePhotonSeries", "OpticalSeries", "ImageMaskSeries",
                "IndexSeries"}
_SKIP_TYPES = {"SpikeEventSeries", "FeatureExtraction", "ClusterWaveforms", "Clustering", "EventWaveform",
               "AnnotationSeries", "IntervalSeries"}
_CALCIUM_PARENTS = {"Fluorescence", "DfOverF"}
# spike_times up to this stored size are read whole at open; larger ones by single points when
# their chunks are at most _POINT_CHUNK_BYTES (else the session's extent is used)
_WHOLE_READ_BYTES = 256 * 1024
_POINT_CHUNK_BYTES = 64 * 1024
# sessions over Python file objects (remote files): closed before the interpreter shuts down, else
# HDF5's own exit handler closes the file object after Python is gone (a segmentation fault)
_OPEN_SESSIONS: "weakref.WeakSet[NWBSession]" = weakref.WeakSet()


@atexit.register
def _close_open_sessions() -> None:
    for s in list(_OPEN_SESSIONS):
        try:
            s.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def _nt(obj: Any) -> str:
    return as_str(obj.attrs.get("neurodata_type", ""))


def _check_hdf5_path(path: Path) -> None:
    if not path.exists():
        raise NotFoundError(f"no NWB file at {str(path)!r}; check the path.")
    if path.is_dir():
        raise UnsupportedError(f"{str(path)!r} is a directory; glue_widgets reads HDF5 NWB files (not Zarr).")
    size = path.stat().st_size
    if size == 0:
        raise CorruptFileError(f"{str(path)!r} is empty (0 bytes); re-download or re-write the file.")
    if not h5py.is_hdf5(str(path)):
        with path.open("rb") as fh:
            head = fh.read(8)
        raise CorruptFileError(
            f"{str(path)!r} is not an HDF5 file (it starts with {head!r}, not the HDF5 signature), so it "
            "cannot be an NWB 2 file. Zarr-backed NWB and NWB 1 files are not supported; check that the "
            "download finished and that this is the file you meant."
        )


def open_nwb(source: str | os.PathLike | BinaryIO, *, uri: str | None = None, bin_width: float = 0.04,
             keep_alive: Any = None, **kwargs: Any) -> "NWBSession":
    """Open an NWB (HDF5) file lazily.

    Parameters
    ----------
    source : path or binary file-like
        A local path, or an object with ``read``/``seek``/``tell`` (for example a ``remfile.File``).
    uri : str, optional
        The URI to report in ``session.uri`` and attrs (defaults to the path).
    bin_width : float
        Default bin width (s) used when reading spike streams; ``read(..., bin_width=...)`` overrides it.
    keep_alive : object, optional
        Anything that must live as long as the session (an HTTP session, a cache); closed with it.
    **kwargs
        ``rdcc_nbytes`` (h5py chunk cache size) is passed through; others are ignored.

    Examples
    --------
    >>> s = open_nwb("session.nwb")                       # doctest: +SKIP
    >>> s.streams                                         # doctest: +SKIP
    >>> x = s.read("units", 0, 10, bin_width=0.01)        # doctest: +SKIP
    """
    h5_kwargs = {k: kwargs[k] for k in ("rdcc_nbytes", "rdcc_nslots") if k in kwargs}
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        _check_hdf5_path(path)
        label = str(path)
        target: Any = str(path)
    elif hasattr(source, "read") and hasattr(source, "seek"):
        label = uri or str(getattr(source, "name", "") or repr(source))
        target = source
    else:
        raise UnsupportedError(f"source={source!r} must be a path or a binary file object opened for reading.")
    try:
        f = h5py.File(target, "r", **h5_kwargs)
    except (OSError, ValueError) as exc:
        if isinstance(exc, GlueError):  # e.g. a NetworkError raised by a remote file object
            raise
        msg = str(exc)
        if "truncated" in msg.lower() or "eof" in msg.lower():
            what = "is truncated (the file is shorter than its HDF5 superblock says)"
        elif "signature" in msg.lower() or "not an hdf5" in msg.lower():
            what = "is not an HDF5 file"
        else:
            what = f"could not be opened as HDF5 ({msg})"
        raise CorruptFileError(
            f"{label} {what}. Re-download or re-write it; an NWB file must be a complete HDF5 file."
        ) from None
    try:
        return NWBSession(f, uri=uri or label, bin_width=bin_width, keep_alive=keep_alive)
    except BaseException:
        f.close()
        raise


def _without_chunk_cache(group: h5py.Group, name: str) -> h5py.Dataset:
    """``group[name]`` opened with HDF5's chunk cache off.

    With the cache on, reading one element pulls its whole chunk into memory; over HTTP, reading the
    first and last spike of every unit then moves every chunk of ``spike_times`` at open time. Without
    it, HDF5 reads just the element's bytes.
    """
    dapl = h5py.h5p.create(h5py.h5p.DATASET_ACCESS)
    dapl.set_chunk_cache(0, 0, 1.0)
    return h5py.Dataset(h5py.h5d.open(group.id, name.encode(), dapl))


class NWBSession(Session):
    """A lazily opened NWB file. Build it with :func:`open_nwb`.

    Besides the Session API it offers :meth:`spike_times` (raw spike times of a Units stream in a
    window) and ``h5`` (the open ``h5py.File``) for users who need more.
    """

    def __init__(self, h5: h5py.File, *, uri: str, bin_width: float = 0.04, keep_alive: Any = None) -> None:
        super().__init__(uri)
        self.h5 = h5
        self.bin_width = float(bin_width)
        self._keep_alive = keep_alive
        self._cache: dict[str, Any] = {}
        #: NWB objects that look like series but are not read as streams, with the reason
        self.skipped: dict[str, str] = {}
        self._bad: dict[str, str] = {}
        if h5.driver == "fileobj":
            _OPEN_SESSIONS.add(self)
        root_type = _nt(h5)
        if root_type != "NWBFile" and "nwb_version" not in h5.attrs:
            raise CorruptFileError(
                f"{uri} is an HDF5 file but not an NWB file (its root has no neurodata_type 'NWBFile' "
                "nor an nwb_version attribute). Open it with h5py directly, or convert it to NWB."
            )
        guarded(f"the metadata of {uri}", self._scan)

    # -- opening ------------------------------------------------------------------------------
    def _scan(self) -> None:
        f = self.h5
        self.metadata = self._read_metadata()
        found: list[tuple[str, h5py.Group, str]] = []  # (path, group, parent type)
        for top in ("acquisition", "processing"):
            g = f.get(top)
            if isinstance(g, h5py.Group):
                self._walk(g, "", found)
        self._epochs = read_intervals(f)
        for path in ("units",):
            g = f.get(path)
            if isinstance(g, h5py.Group) and "spike_times" in g:
                found.append((g.name, g, ""))
        infos = []
        self._pending: list[StreamInfo] = []
        # sampled series first: a units table may borrow their extent (see _describe_units)
        for path, g, parent in sorted(found, key=lambda x: "spike_times" in x[1]):
            info = self._describe(path, g, parent)
            if info is not None:
                infos.append(info)
                self._pending.append(StreamInfo(name=path, **info[1]))
        order = {p: i for i, (p, _, _) in enumerate(found)}
        infos.sort(key=lambda x: order[x[1]["path"]])
        names = _stream_names([kw["path"] for _, kw in infos])
        for name, (_, kw) in zip(names, infos):
            self._streams[name] = StreamInfo(name=name, **kw)

    def _walk(self, g: h5py.Group, parent_type: str, found: list) -> None:
        for key, obj in g.items():
            if not isinstance(obj, h5py.Group):
                continue
            nt = _nt(obj)
            if "data" in obj and ("timestamps" in obj or "starting_time" in obj):
                found.append((obj.name, obj, parent_type))
            elif "spike_times" in obj and "spike_times_index" in obj:
                found.append((obj.name, obj, parent_type))
            elif "colnames" in obj.attrs:
                continue  # other tables (PlaneSegmentation, electrodes...) are not streams
            else:
                self._walk(obj, nt, found)

    def _read_metadata(self) -> dict[str, Any]:
        f = self.h5
        md: dict[str, Any] = {
            "species": read_scalar_str(f, "general/subject/species"),
            "subject": read_scalar_str(f, "general/subject/subject_id"),
            "sex": read_scalar_str(f, "general/subject/sex"),
            "age": read_scalar_str(f, "general/subject/age"),
            "session": read_scalar_str(f, "general/session_id"),
            "lab": read_scalar_str(f, "general/lab"),
            "institution": read_scalar_str(f, "general/institution"),
            "session_description": read_scalar_str(f, "session_description"),
            "identifier": read_scalar_str(f, "identifier"),
            "session_start_time": read_scalar_str(f, "session_start_time"),
            "nwb_version": as_str(f.attrs.get("nwb_version", "")) or None,
            "source": self.uri,
        }
        if md["session"] is None:
            md["session"] = md["identifier"]
        return md

    def _describe(self, path: str, g: h5py.Group, parent_type: str) -> tuple[str, dict] | None:
        nt = _nt(g)
        base = path.rsplit("/", 1)[-1]
        if "spike_times" in g:
            return base, self._describe_units(path, g)
        if nt in _IMAGE_TYPES or nt in _SKIP_TYPES or "external_file" in g:
            return None
        data = g["data"]
        if not isinstance(data, h5py.Dataset) or data.ndim not in (1, 2) or data.shape[0] == 0:
            return None
        if data.dtype.kind not in "biuf":
            self.skipped[path] = f"data of dtype {data.dtype} is not numeric"
            return None
        unit = as_str(data.attrs.get("unit", "")).strip().lower()
        if nt == "TimeSeries" and data.dtype.kind in "biu" and unit in ("na", "n/a", "none", "") and data.ndim == 1:
            # integer codes without a unit are TTL / event markers, not a sampled signal
            self.skipped[path] = "integer event codes without a unit (TTL markers), not a sampled signal"
            return None
        extra: dict[str, Any] = {"neurodata_type": nt, "parent_type": parent_type}
        if nt == "RoiResponseSeries" or parent_type in _CALCIUM_PARENTS:
            modality = "calcium"
            channels = self._region_ids(g.get("rois"), data)
            extra["indicator_container"] = parent_type
        elif nt == "ElectricalSeries" or isinstance(g.get("electrodes"), h5py.Dataset):
            modality = self._ephys_modality(g, parent_type)
            channels = self._region_ids(g.get("electrodes"), data)
        else:
            modality = "behavior"
            ncol = data.shape[1] if data.ndim == 2 else 1
            if ncol == 1:
                channels = [base]
            elif nt == "SpatialSeries" and ncol <= 3:
                channels = ["x", "y", "z"][:ncol]
            else:
                channels = [str(i) for i in range(ncol)]
        n = int(data.shape[0])
        t0, fs, duration, kind = self._timing(g, n, path)
        extra["channels"] = channels
        conv = float(data.attrs.get("conversion", 1.0))
        off = float(data.attrs.get("offset", 0.0))
        if not (np.isfinite(conv) and np.isfinite(off)) or conv == 0:
            self._bad[path] = (f"{path}/data has conversion={conv!r} and offset={off!r}; scaling by them would "
                               "give meaningless values. Fix the attributes in the file (conversion must be a "
                               "finite, non-zero number).")
        if conv != 1.0 or off != 0.0 or "channel_conversion" in g:
            extra["scaled"] = True
        return base, dict(modality=modality, fs=fs, n_channels=len(channels), duration_s=duration, start_s=t0,
                          units=as_str(data.attrs.get("unit", "")), kind=kind, n_samples=n, path=path,
                          description=as_str(g.attrs.get("description", "")), extra=extra)

    def _region_ids(self, region: Any, data: h5py.Dataset) -> list[str]:
        ncol = data.shape[1] if data.ndim == 2 else 1
        if isinstance(region, h5py.Dataset):
            table, rows = region_rows(self.h5, region)
            if table is not None and rows.shape[0] == ncol:
                ids = table_ids(table)
                if rows.size and rows.max() < ids.shape[0]:
                    return [str(i) for i in ids[rows]]
            if rows.shape[0] == ncol:
                return [str(r) for r in rows]
        return [str(i) for i in range(ncol)]

    def _ephys_modality(self, g: h5py.Group, parent_type: str) -> str:
        words = [g.name, as_str(g.attrs.get("description", "")), as_str(g.attrs.get("comments", ""))]
        region = g.get("electrodes")
        used_groups: set[str] | None = None  # the electrode groups this series records from
        if isinstance(region, h5py.Dataset):
            table, rows = region_rows(self.h5, region)
            if table is not None:
                for col in ("location", "group_name"):
                    ds = table.get(col)
                    if isinstance(ds, h5py.Dataset) and ds.shape[0] <= 4096:
                        vals = np.ravel(ds[()])
                        found = {as_str(v) for v in vals[np.unique(rows[(rows >= 0) & (rows < len(vals))])]}
                        words += sorted(found)
                        if col == "group_name":
                            used_groups = found
        groups = self.h5.get("general/extracellular_ephys")
        if isinstance(groups, h5py.Group):
            for k, eg in groups.items():
                if isinstance(eg, h5py.Group) and _nt(eg) == "ElectrodeGroup" and (used_groups is None or k in used_groups):
                    words += [k, as_str(eg.attrs.get("description", "")), as_str(eg.attrs.get("location", ""))]
        text = " ".join(words).lower()
        if re.search(r"\becog\b|electrocorticog|subdural|\bgrid\b|\bstrip\b", text):
            return "ecog"
        if re.search(r"\bieeg\b|\bseeg\b|stereo-?eeg|intracranial eeg|depth electrode", text):
            return "ieeg"
        if re.search(r"(?<![a-z])eeg\b|scalp|10-20|10-10", text):
            return "eeg"
        return "lfp"

    def _timing(self, g: h5py.Group, n: int, path: str) -> tuple[float, float | None, float, str]:
        if "starting_time" in g:
            st = g["starting_time"]
            rate = float(st.attrs.get("rate", 0.0))
            if not rate > 0:
                raise BadDataError(f"{path}/starting_time has rate={rate!r}; a regular series needs a positive rate.")
            t0 = float(st[()])
            return t0, rate, n / rate, "regular"
        ts = g["timestamps"]
        if ts.shape[0] != n:
            raise BadDataError(
                f"{path} has {n} samples but {ts.shape[0]} timestamps; they must match. Fix the file."
            )
        first, last = float(ts[0]), float(ts[n - 1])
        if n > 1 and not last > first:
            # keep the file usable: this stream is listed but reading it raises
            self._bad[path] = (f"timestamps of {path} are not increasing: the first is {first!r} and the last "
                               f"{last!r}. Sort the samples or fix the clock in the file before reading.")
            first, last = min(first, last), max(first, last) + 1e-9
        fs = (n - 1) / (last - first) if n > 1 else None
        duration = (last - first) * n / (n - 1) if n > 1 else 0.0
        return first, fs, duration, "irregular"

    def _describe_units(self, path: str, g: h5py.Group) -> dict:
        # opened without HDF5's chunk cache (before any cached handle shares it): point reads below then
        # move only their own bytes, not whole chunks
        st, idx = _without_chunk_cache(g, "spike_times"), g["spike_times_index"]
        ends = np.asarray(idx[()], dtype=np.int64)
        ids = unit_ids(g)
        if ends.shape[0] != len(ids):
            raise BadDataError(f"{path}: {len(ids)} unit ids but {ends.shape[0]} spike_times_index entries.")
        starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
        nonempty = ends > starts
        # The stream spans its spikes, its observation intervals and the session's epochs (silence before
        # the first spike counts as recorded only when the file says so). Finding the first and last
        # spike of each unit must stay cheap on a remote file (opening <= 1 MB):
        lo: list[float] = []
        hi: list[float] = []
        obs = g.get("obs_intervals")
        has_obs = isinstance(obs, h5py.Dataset) and obs.ndim == 2 and 0 < obs.shape[0] <= SMALL_READ
        if has_obs:
            o = np.asarray(obs[()], dtype=np.float64)
            lo.append(float(np.nanmin(o[:, 0])))
            hi.append(float(np.nanmax(o[:, 1])))
        item = st.dtype.itemsize
        chunk_bytes = int(np.prod(st.chunks)) * item if st.chunks else 0
        extent = "spikes"
        firsts = lasts = np.zeros(0)
        if not nonempty.any():
            pass
        elif has_obs:
            pass  # the file states when units were observed: no need to touch spike_times at open
        elif st.id.get_storage_size() <= _WHOLE_READ_BYTES:
            # small: read it all once (one request) and keep it for spike_times()
            allt = np.asarray(st[()], dtype=np.float64)
            self._cache[path] = allt
            firsts, lasts = allt[starts[nonempty]], allt[ends[nonempty] - 1]
        elif st.chunks is None or chunk_bytes <= _POINT_CHUNK_BYTES:
            # one small read per point: a fancy-index selection makes HDF5 read the whole span
            pts = np.unique(np.concatenate([starts[nonempty], ends[nonempty] - 1]))
            self._plan_points(st, pts)
            vals = {int(i): float(st[int(i)]) for i in pts}
            firsts = np.array([vals[i] for i in starts[nonempty]])
            lasts = np.array([vals[i - 1] for i in ends[nonempty]])
        elif has_obs or len(self._epochs) or any(i.kind != "events" for i in self._pending):
            # huge chunks: every point read would fetch megabytes; use the session's own extent
            extent = "session"
            for i in self._pending:
                if i.kind != "events":
                    lo.append(i.start_s)
                    hi.append(i.stop_s)
        else:
            allt = np.asarray(st[()], dtype=np.float64)
            firsts, lasts = allt[starts[nonempty]], allt[ends[nonempty] - 1]
        if firsts.size:
            lo.append(float(firsts.min()))
            hi.append(float(lasts.max()))
        if len(self._epochs):
            lo.append(float(self._epochs.start.min()))
            hi.append(float(self._epochs.stop.max()))
        t0 = float(min(lo)) if lo else 0.0
        t1 = float(max(hi)) if hi else t0
        coords = unit_coords(self.h5, g, len(ids))
        self._cache[path + "#index"] = (starts, ends)
        fs = 1.0 / self.bin_width
        return dict(modality="spikes", fs=fs, n_channels=len(ids), duration_s=(t1 - t0) + 1e-6, start_s=t0,
                    units="count", kind="events", n_samples=int(st.shape[0]), path=path,
                    description=as_str(g.attrs.get("description", "")),
                    extra={"neurodata_type": _nt(g), "channels": ids, "coords": coords, "extent_from": extent,
                           "bin_width": self.bin_width})

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        try:
            self.h5.close()
        except Exception:  # noqa: BLE001 - closing twice or after a dropped connection is harmless
            pass
        ka = self._keep_alive
        self._keep_alive = None
        for obj in ka if isinstance(ka, (list, tuple)) else [ka]:
            close = getattr(obj, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001
                    pass
        self._cache.clear()

    def _file(self) -> h5py.File:
        if not self.h5:
            raise CorruptFileError(f"session {self.uri} is closed; open it again with gw.open().")
        return self.h5

    # -- spikes ---------------------------------------------------------------------------------
    def spike_times(self, stream: str | None = None, start: float | None = None,
                    stop: float | None = None) -> dict[str, np.ndarray]:
        """Spike times (s) of each unit of a Units stream inside ``[start, stop)``.

        Reads only each unit's ragged slice (and, for long trains, only the part of it inside the
        window). ``stream`` defaults to the first spike stream.

        Examples
        --------
        >>> st = s.spike_times("units", 0.0, 10.0)   # doctest: +SKIP
        >>> {u: len(t) for u, t in st.items()}        # doctest: +SKIP
        """
        if stream is None:
            spikes = [n for n, i in self._streams.items() if i.kind == "events"]
            if not spikes:
                raise UnsupportedError(f"{self.uri} has no spike (Units) stream.")
            stream = spikes[0]
        info = self.stream_info(stream)
        if info.kind != "events":
            raise UnsupportedError(f"stream {stream!r} holds {info.modality} samples, not spike times.")
        start, stop = self._check_window(info, start, stop)
        return guarded(f"spike times of {stream!r} in {self.uri}", self._spike_times, info, start, stop)

    def _spike_times(self, info: StreamInfo, start: float, stop: float) -> dict[str, np.ndarray]:
        f = self._file()
        starts, ends = self._cache[info.path + "#index"]
        ids = info.extra["channels"]
        allt = self._cache.get(info.path)
        if allt is None:
            # pages for short windows, batched whole trains for wide ones (see nwb_paged)
            ds = _without_chunk_cache(f[info.path], "spike_times")
            try:
                return read_spike_windows(ds, starts, ends, ids, start, stop, extent=(info.start_s, info.stop_s),
                                          plan=lambda d, a, b: self._plan([d], a, b))
            finally:
                clear = getattr(self._keep_alive, "clear_staged", None)
                if clear is not None:
                    clear()
        out: dict[str, np.ndarray] = {}
        for uid, a, b in zip(ids, starts, ends):
            t = allt[a:b]
            i0, i1 = np.searchsorted(t, [start, stop], side="left")
            out[uid] = t[i0:i1].copy()
        return out

    # -- windows --------------------------------------------------------------------------------
    def _read_window(self, info: StreamInfo, start: float, stop: float, **kwargs: Any) -> xr.DataArray:
        if info.kind == "events":
            bw = float(kwargs.get("bin_width", self.bin_width))
            st = self.spike_times(info.name, start, stop)
            coords = info.extra.get("coords") or None
            return bin_spikes(st, start, stop, bw, modality="spikes", channel_coords=coords,
                              units="count", source=self.uri)
        if info.path in self._bad:
            raise BadDataError(f"stream {info.name!r}: {self._bad[info.path]}")
        return guarded(f"stream {info.name!r} ({info.path}) in {self.uri}", self._read_series, info, start, stop)

    def window_indices(self, stream: str, start: float | None = None, stop: float | None = None) -> tuple[int, int]:
        """Sample indices ``[i0, i1)`` of the window ``[start, stop)`` of a sampled stream."""
        info = self.stream_info(stream)
        start, stop = self._check_window(info, start, stop)
        return self._indices(info, start, stop)

    def _indices(self, info: StreamInfo, start: float, stop: float) -> tuple[int, int]:
        n = int(info.n_samples or 0)
        if info.kind == "regular":
            rate = float(info.fs)
            i0 = int(np.ceil((start - info.start_s) * rate - 1e-7))
            i1 = int(np.ceil((stop - info.start_s) * rate - 1e-7))
            return max(0, min(n, i0)), max(0, min(n, i1))
        ts = self._file()[info.path]["timestamps"]
        cached = self._cache.get(info.path + "#t")
        if cached is None and n <= SMALL_READ:
            cached = check_timestamps(ts[()], name=f"timestamps of stream {info.name!r} ({info.path})")
            self._cache[info.path + "#t"] = cached
        if cached is not None:
            i0, i1 = np.searchsorted(cached, [start, stop], side="left")
        else:
            # long timestamps: a few pages, interpolated in the stream's extent (see nwb_paged)
            col = PagedColumn(ts, 0, n, page=page_size(ts), t_range=(info.start_s, info.stop_s),
                              name=f"timestamps of stream {info.name!r}")
            i0, i1 = col.searchsorted([start, stop])
        return int(i0), int(i1)

    def _plan(self, datasets: list[h5py.Dataset], i0: int, i1: int) -> None:
        """Fetch the byte ranges of rows ``[i0, i1)`` of ``datasets`` at once (remote files only).

        A file object with ``prefetch`` (a RangeFile) gets the ranges of the chunks holding the rows
        (located with the chunk index, whose nodes the RangeFile fetches level by level), coalesced and
        read concurrently; h5py's own reads that follow are then served from memory.
        """
        prefetch = getattr(self._keep_alive, "prefetch", None)
        if prefetch is None or i1 <= i0:
            return
        ranges: list[tuple[int, int]] = []
        for ds in datasets:
            ranges += _row_ranges(ds, i0, i1)
        if ranges:
            prefetch(ranges)

    def _plan_points(self, ds: h5py.Dataset, rows: np.ndarray) -> None:
        """Fetch the bytes of single elements ``ds[rows]`` of a 1-D dataset at once (remote files only)."""
        prefetch = getattr(self._keep_alive, "prefetch", None)
        if prefetch is None or ds.ndim != 1 or not len(rows):
            return
        item = ds.dtype.itemsize
        ranges = []
        if ds.chunks is None:
            off = ds.id.get_offset()
            if off is None:
                return
            ranges = [(int(off) + int(i) * item, item) for i in rows]
        elif ds.compression is None:
            c = ds.chunks[0]
            where: dict[int, int | None] = {}
            for i in rows:
                c0 = int(i) // c * c
                if c0 not in where:
                    si = ds.id.get_chunk_info_by_coord((c0,))
                    where[c0] = si.byte_offset
                if where[c0] is not None:
                    ranges.append((int(where[c0]) + (int(i) - c0) * item, item))
        if ranges:
            prefetch(ranges)

    def _read_series(self, info: StreamInfo, start: float, stop: float) -> xr.DataArray:
        g = self._file()[info.path]
        i0, i1 = self._indices(info, start, stop)
        data_ds = g["data"]
        try:
            self._plan([data_ds] + ([g["timestamps"]] if info.kind != "regular" else []), i0, i1)
            return self._read_rows(g, data_ds, info, i0, i1)
        finally:
            clear = getattr(self._keep_alive, "clear_staged", None)
            if clear is not None:
                clear()

    def _read_rows(self, g: h5py.Group, data_ds: h5py.Dataset, info: StreamInfo, i0: int, i1: int) -> xr.DataArray:
        data = data_ds[i0:i1]
        if data.ndim == 1:
            data = data[:, None]
        if info.kind == "regular":
            time = info.start_s + np.arange(i0, i1, dtype=np.float64) / float(info.fs)
        else:
            time = np.asarray(g["timestamps"][i0:i1], dtype=np.float64)
        if info.extra.get("scaled"):
            conv = float(data_ds.attrs.get("conversion", 1.0))
            off = float(data_ds.attrs.get("offset", 0.0))
            if "channel_conversion" in g:
                cc = np.asarray(g["channel_conversion"][()])
                data = data * cc[None, :]
            data = data * conv + off if (conv != 1.0 or off != 0.0) else data
        coords = None
        return make_timeseries(data, time, info.extra["channels"], modality=info.modality, fs=info.fs,
                               units=info.units, channel_coords=coords, source=self.uri,
                               nwb_path=info.path, kind=info.kind)


def _row_ranges(ds: h5py.Dataset, i0: int, i1: int) -> list[tuple[int, int]]:
    """``(file offset, length)`` of the stored bytes that hold rows ``[i0, i1)`` of ``ds`` (all columns)."""
    if ds.shape[0] == 0 or ds.dtype.kind not in "biuf":
        return []
    if ds.chunks is None:
        off = ds.id.get_offset()
        if off is None:
            return []
        row = ds.dtype.itemsize * int(np.prod(ds.shape[1:], dtype=np.int64))
        return [(int(off) + i0 * row, (i1 - i0) * row)]
    c = ds.chunks
    rows = range(i0 // c[0] * c[0], i1, c[0])
    others = [range(0, n, k) for n, k in zip(ds.shape[1:], c[1:])]
    coords = [(r,) for r in rows]
    for rng in others:
        coords = [t + (x,) for t in coords for x in rng]
    if len(coords) > 100_000:
        return []
    out = []
    for coord in coords:
        try:
            si = ds.id.get_chunk_info_by_coord(coord)
        except (KeyError, ValueError, RuntimeError, OSError):
            return []
        if si.byte_offset is not None and si.size:
            out.append((int(si.byte_offset), int(si.size)))
    return out


def _stream_names(paths: list[str]) -> list[str]:
    """Object names, disambiguated with their container path where two objects share a name."""
    parts = [p.strip("/").split("/") for p in paths]
    depth = [1] * len(paths)
    while True:
        names = ["/".join(p[-d:]) for p, d in zip(parts, depth)]
        dup = {n for n in names if names.count(n) > 1}
        if not dup:
            return names
        changed = False
        for i, n in enumerate(names):
            if n in dup and depth[i] < len(parts[i]):
                depth[i] += 1
                changed = True
        if not changed:
            return [f"{n}#{i}" if n in dup else n for i, n in enumerate(names)]
