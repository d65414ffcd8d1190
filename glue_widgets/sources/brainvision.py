"""BrainVision headers (``.vhdr``), markers (``.vmrk``) and windows of the binary ``.eeg`` file.

``MULTIPLEXED`` binary holds sample-major frames of ``n_channels`` values, so a window is frames
``i0 .. i1`` (one byte range); ``VECTORIZED`` files need one range per channel. Values come out as
``raw * resolution * unit`` (volts for voltage units), as MNE reads them. The header is checked against
the data file (channel count x samples x sample size) and its ``DataFile`` must stay in its own folder.
"""

from __future__ import annotations

import configparser
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import CorruptFileError, UnsupportedError
from .eegformats import _MICRO, ReadAt, _ini_number, _sample_window, unit_scale

__all__ = ["BrainVisionHeader", "parse_vmrk"]


_BV_DTYPES = {"INT_16": "<i2", "INT_32": "<i4", "IEEE_FLOAT_32": "<f4"}


def _decode_text(raw: bytes) -> str:
    m = re.search(rb"Codepage=(.+)", raw, re.IGNORECASE)
    cp = m.group(1).strip().decode("ascii", "ignore") if m else "utf-8"
    if cp.upper() == "ANSI":
        cp = "cp1252"
    try:
        return raw.decode(cp)
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")


@dataclass
class BrainVisionHeader:
    """Parsed BrainVision ``.vhdr``. Build with :meth:`parse`."""

    path: str
    data_file: str
    marker_file: str
    dtype: str
    orientation: str  # "MULTIPLEXED" or "VECTORIZED"
    fs: float
    names: list[str]
    resolution: np.ndarray
    units: list[str]
    data_size: int | None = None

    @property
    def n_channels(self) -> int:
        return len(self.names)

    @property
    def bytes_per_value(self) -> int:
        return np.dtype(self.dtype).itemsize

    @property
    def n_samples(self) -> int:
        if self.data_size is None:
            raise CorruptFileError(f"{self.path}: size of the binary data file is unknown.")
        return self.data_size // (self.bytes_per_value * self.n_channels)

    def check_size(self, size: int) -> None:
        """Refuse a data file whose size is not a whole number of sample frames of this header."""
        frame = self.bytes_per_value * self.n_channels
        if size % frame:
            raise CorruptFileError(
                f"{self.path}: the data file has {size} bytes, not a multiple of {self.n_channels} channels x "
                f"{self.bytes_per_value} bytes; NumberOfChannels or BinaryFormat does not match the data.")
        self.data_size = int(size)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @classmethod
    def parse(cls, text: bytes | str, path: str = "") -> "BrainVisionHeader":
        if isinstance(text, bytes):
            text = _decode_text(text)
        lines = text.splitlines()
        if not lines or "Brain Vision Data Exchange Header File" not in lines[0] and \
                "BrainVision Data Exchange Header File" not in lines[0]:
            raise CorruptFileError(f"{path}: not a BrainVision header (first line {lines[:1]!r}).")
        cfg = configparser.ConfigParser(interpolation=None, strict=False)
        cfg.optionxform = str  # keep key case (Ch1 ...)
        body = "\n".join(ln for ln in lines[1:] if not ln.startswith(";"))
        # [Comment] sections hold free text that configparser cannot parse
        body = body.split("[Comment]")[0]
        try:
            cfg.read_file(io.StringIO(body))
        except configparser.Error as exc:
            raise CorruptFileError(f"{path}: BrainVision header cannot be parsed ({exc}).") from None
        ci = cfg["Common Infos"] if cfg.has_section("Common Infos") else {}
        if ci.get("DataFormat", "BINARY").upper() != "BINARY":
            raise UnsupportedError(f"{path}: BrainVision DataFormat={ci.get('DataFormat')!r}; only BINARY "
                                   "files can be read by byte ranges.")
        fmt = cfg.get("Binary Infos", "BinaryFormat", fallback="INT_16").strip().upper()
        if fmt not in _BV_DTYPES:
            raise UnsupportedError(f"{path}: BinaryFormat={fmt!r} is not one of {sorted(_BV_DTYPES)}.")
        orient = ci.get("DataOrientation", "MULTIPLEXED").strip().upper()
        nch = int(_ini_number(ci, "NumberOfChannels", "0", path, kind=int))
        interval = _ini_number(ci, "SamplingInterval", "0", path)
        names, res, units = [], [], []
        chans = cfg["Channel Infos"] if cfg.has_section("Channel Infos") else {}
        listed = sorted(int(k[2:]) for k in chans if re.fullmatch(r"Ch\d+", k))
        if chans and listed != list(range(1, nch + 1)):
            raise CorruptFileError(
                f"{path}: NumberOfChannels={nch} but [Channel Infos] lists {len(listed)} channels "
                f"({', '.join(f'Ch{i}' for i in listed[:5])}{', ...' if len(listed) > 5 else ''}); the header "
                "does not describe the data. Fix NumberOfChannels or the channel list.")
        for n in range(1, nch + 1):
            props = chans.get(f"Ch{n}", f"Ch{n},,1,µV").split(",")
            if len(props) < 3:  # the spec's <name>,<reference>,<resolution>[,<unit>]
                raise CorruptFileError(
                    f"{path}: Ch{n}={chans.get(f'Ch{n}')!r} is not '<name>,<reference>,<resolution>,<unit>'; "
                    "fix that line of [Channel Infos].")
            if len(props) < 4:
                props += ["µV"]
            elif props[3] == "":
                props[3] = "µV"
            name, _, r, u = props[:4]
            if r == "":
                r = "0.000001" if not u else "1.0"
            names.append(name.replace(r"\1", ","))
            try:
                rv = float(r)
            except ValueError:
                rv = float("nan")
            if not np.isfinite(rv):
                raise CorruptFileError(f"{path}: channel {name!r} has resolution {r!r}, not a finite number.")
            res.append(rv)
            units.append(u.replace("\xc2", ""))
        return cls(path=path, data_file=ci.get("DataFile", "").strip(), marker_file=ci.get("MarkerFile", "").strip(),
                   dtype=_BV_DTYPES[fmt], orientation=orient, fs=1e6 / interval, names=names,
                   resolution=np.array(res), units=units)

    def window(self, start: float, stop: float) -> dict[str, int]:
        i0, i1 = _sample_window(self.fs, start, stop, self.n_samples)
        frame = self.bytes_per_value * self.n_channels
        return {"i0": i0, "i1": i1, "offset": i0 * frame, "length": max(0, i1 - i0) * frame}

    def read(self, src: ReadAt, channels: list[int], start: float, stop: float) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(data, time)``: data (n_times, n_channels) in SI units (volts), time in s."""
        w = self.window(start, stop)
        n = w["i1"] - w["i0"]
        if n <= 0:
            return np.zeros((0, len(channels))), np.zeros(0)
        bpv = self.bytes_per_value
        if self.orientation == "MULTIPLEXED":
            raw = src.read_at(w["offset"], w["length"])
            if len(raw) != w["length"]:
                raise CorruptFileError(f"{self.path}: binary data end before sample {w['i1']}.")
            arr = np.frombuffer(raw, self.dtype).reshape(n, self.n_channels)[:, channels]
        elif self.orientation == "VECTORIZED":
            prefetch = getattr(src, "prefetch", None)
            if prefetch is not None:  # one range per channel: fetch them at once (a remote RangeFile)
                prefetch([((c * self.n_samples + w["i0"]) * bpv, n * bpv) for c in channels])
            try:
                return self._read_vectorized(src, channels, w, n)
            finally:
                clear = getattr(src, "clear_staged", None)
                if clear is not None:
                    clear()
        else:
            raise UnsupportedError(f"{self.path}: DataOrientation={self.orientation!r} is not supported.")
        return self._scaled(arr, channels, w)

    def _read_vectorized(self, src: ReadAt, channels: list[int], w: dict[str, int], n: int):
        bpv = self.bytes_per_value
        cols = []
        for c in channels:
            off = (c * self.n_samples + w["i0"]) * bpv
            raw = src.read_at(off, n * bpv)
            if len(raw) != n * bpv:
                raise CorruptFileError(f"{self.path}: binary data end inside channel {c}.")
            cols.append(np.frombuffer(raw, self.dtype))
        arr = np.stack(cols, axis=1)
        return self._scaled(arr, channels, w)

    def _scaled(self, arr: np.ndarray, channels: list[int], w: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        scale = self.resolution[channels] * np.array([unit_scale(self.units[c]) if self.units[c] in
                                                      (*_MICRO, "mV", "nV", "V", "µS", "uS") else 1.0
                                                      for c in channels])
        data = arr.astype(np.float64) * scale
        t = np.arange(w["i0"], w["i1"], dtype=np.float64) / self.fs
        return data, t


def parse_vmrk(text: bytes | str, fs: float) -> pd.DataFrame:
    """BrainVision markers as (onset s, duration s, description ``type/desc``), as MNE names them."""
    if isinstance(text, bytes):
        text = _decode_text(text)
    rows = []
    in_markers = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            in_markers = line.lower() == "[marker infos]"
            continue
        if not in_markers or not line or line.startswith(";"):
            continue
        m = re.match(r"Mk\d+=(.*)", line)
        if not m:
            continue
        parts = m.group(1).split(",")
        if len(parts) < 3:
            continue
        mtype, desc = parts[0], parts[1].replace(r"\1", ",")
        try:
            pos = int(parts[2])
        except ValueError:
            continue
        size = int(parts[3]) if len(parts) > 3 and parts[3].strip().isdigit() else 0
        rows.append(((pos - 1) / fs, size / fs, f"{mtype}/{desc}"))  # as MNE: duration = size / fs
    return pd.DataFrame(rows, columns=["onset", "duration", "description"])
