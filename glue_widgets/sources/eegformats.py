"""EDF/EDF+/BDF headers, windows turned into byte ranges, and the helpers both EEG formats share.

EDF here and BrainVision in :mod:`.brainvision` lay samples out so that a time window maps onto one
contiguous byte range:

- **EDF/BDF**: after a ``256 + 256 * ns`` byte header come fixed-size *data records*; record ``k``
  holds ``n_samps[s]`` samples of every signal ``s`` for ``[k * D, (k + 1) * D)`` s. A window needs
  the records ``k0 .. k1`` only (2-byte little-endian ints; 3 bytes in BDF).
- **BrainVision** (``.vhdr`` + ``.vmrk`` + binary ``.eeg``): ``MULTIPLEXED`` binary holds
  sample-major frames of ``n_channels`` values; a window is frames ``i0 .. i1``.
  ``VECTORIZED`` files need one range per channel.

Every reader works over any object with ``read_at(offset, length) -> bytes`` (a local file through
:class:`~glue_widgets.sources.rangefile.LocalRangeSource` or a remote
:class:`~glue_widgets.sources.rangefile.RangeFile`). Calibration follows the file formats (and
MNE's reading of them): EDF ``(digital * cal + offset) * unit``, BrainVision
``raw * resolution * unit``; values come out in volts for voltage units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..errors import CorruptFileError, UnsupportedError

__all__ = ["ReadAt", "EDFHeader", "unit_scale", "parse_edf_annotations"]


class ReadAt(Protocol):
    size: int

    def read_at(self, offset: int, length: int) -> bytes: ...


_MICRO = ("\u03bcV", "\u00b5V", "\x83\xcaV", "uV")


def unit_scale(unit: str) -> float:
    """Factor from a physical-dimension string to SI (volts for V units); 1 for non-voltage units."""
    u = unit.strip().replace("\xc2", "")
    if u in _MICRO:
        return 1e-6
    return {"mV": 1e-3, "nV": 1e-9, "V": 1.0, "µS": 1e-6, "uS": 1e-6}.get(u, 1.0)


def _s(b: bytes) -> str:
    return b.decode("latin-1").split("\x00")[0].strip()


def _num(b: bytes, what: str, path: str) -> float:
    txt = _s(b).replace(",", ".")
    try:
        v = float(txt)
    except ValueError:
        raise CorruptFileError(f"{path}: EDF header field {what} is {txt!r}, not a number.") from None
    if not np.isfinite(v):
        raise CorruptFileError(f"{path}: EDF header field {what} is {txt!r}, not a finite number.")
    return v


def _int(b: bytes, what: str, path: str) -> int:
    v = _num(b, what, path)
    if v != int(v):
        raise CorruptFileError(f"{path}: EDF header field {what} is {_s(b)!r}, not a whole number.")
    return int(v)


def _ini_number(section: Any, key: str, default: str, path: str, kind=float) -> float:
    raw = str(section.get(key, default)).strip()
    try:
        v = kind(raw)
    except ValueError:
        raise CorruptFileError(f"{path}: BrainVision header has {key}={raw!r}, not a number; fix the .vhdr.") from None
    if not np.isfinite(v) or v <= 0:
        raise CorruptFileError(f"{path}: BrainVision header has {key}={raw!r}; it must be a positive number.")
    return v


def _sample_window(fs: float, start: float, stop: float, n_total: int) -> tuple[int, int]:
    """Samples with time ``i / fs`` in ``[start, stop)`` (same rule as a searchsorted 'left')."""
    i0 = int(np.ceil(start * fs - 1e-9))
    i1 = int(np.ceil(stop * fs - 1e-9))
    return max(0, min(i0, n_total)), max(0, min(i1, n_total))


@dataclass
class EDFHeader:
    """Parsed EDF/EDF+/BDF header. Build with :meth:`parse`."""

    path: str
    subtype: str  # "edf" or "bdf"
    plus: str  # "", "EDF+C", "EDF+D", "BDF+C", "BDF+D"
    header_bytes: int
    n_records: int
    record_s: float
    labels: list[str]
    units: list[str]
    physical_min: np.ndarray
    physical_max: np.ndarray
    digital_min: np.ndarray
    digital_max: np.ndarray
    n_samps: np.ndarray
    prefilter: list[str]
    transducer: list[str]
    patient: str = ""
    recording: str = ""
    startdate: str = ""
    starttime: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sample_bytes(self) -> int:
        return 3 if self.subtype == "bdf" else 2

    @property
    def record_bytes(self) -> int:
        return int(self.n_samps.sum()) * self.sample_bytes

    @property
    def annotation_signals(self) -> list[int]:
        return [i for i, lab in enumerate(self.labels) if lab in ("EDF Annotations", "BDF Annotations")]

    @property
    def data_signals(self) -> list[int]:
        ann = set(self.annotation_signals)
        return [i for i in range(len(self.labels)) if i not in ann]

    def fs(self, i: int) -> float:
        return float(self.n_samps[i]) / self.record_s

    @property
    def duration_s(self) -> float:
        return self.n_records * self.record_s

    def gains(self, idx: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cal, offset, unit) per signal, as MNE computes them."""
        idx = np.asarray(idx, int)
        pr = (self.physical_max - self.physical_min)[idx].astype(float)
        dr = (self.digital_max - self.digital_min)[idx].astype(float)
        dr[(~np.isfinite(dr)) | (dr == 0)] = 1.0
        pr[pr == 0] = 1.0
        cal = pr / dr
        offset = self.physical_min[idx] - self.digital_min[idx] * cal
        unit = np.array([unit_scale(self.units[i]) for i in idx], float)
        return cal, offset, unit

    @classmethod
    def parse(cls, src: ReadAt, path: str = "") -> "EDFHeader":
        head = src.read_at(0, 256)
        if len(head) < 256:
            raise CorruptFileError(f"{path}: only {len(head)} bytes; an EDF header needs 256.")
        if head[:1] == b"\xff" and head[1:8] == b"BIOSEMI":
            subtype = "bdf"
        elif head[:8].strip() == b"0":
            subtype = "edf"
        else:
            raise CorruptFileError(f"{path}: not an EDF/BDF file (version field {head[:8]!r}).")
        reserved = _s(head[192:236])
        plus = reserved[:5] if reserved[:5] in ("EDF+C", "EDF+D", "BDF+C", "BDF+D") else ""
        header_bytes = _int(head[184:192], "header bytes", path)
        n_records = _int(head[236:244], "number of records", path)
        record_s = _num(head[244:252], "record duration", path)
        ns = _int(head[252:256], "number of signals", path)
        if ns <= 0 or header_bytes != 256 * (ns + 1):
            raise CorruptFileError(f"{path}: header says {ns} signals and {header_bytes} header bytes; "
                                   "they do not agree.")
        if record_s < 0:
            raise CorruptFileError(f"{path}: EDF record duration is {record_s} s; it must be positive.")
        if record_s == 0:
            record_s = 1.0  # allowed by EDF+ for annotation-only files
        sh = src.read_at(256, 256 * ns)
        if len(sh) < 256 * ns:
            raise CorruptFileError(f"{path}: signal headers truncated.")
        pos = 0

        def field_(width: int) -> list[bytes]:
            nonlocal pos
            out = [sh[pos + i * width: pos + (i + 1) * width] for i in range(ns)]
            pos += width * ns
            return out

        labels = [_s(b) for b in field_(16)]
        transducer = [_s(b) for b in field_(80)]
        units = [b.decode("latin-1").strip() for b in field_(8)]
        pmin = np.array([_num(b, "physical min", path) for b in field_(8)])
        pmax = np.array([_num(b, "physical max", path) for b in field_(8)])
        dmin = np.array([_num(b, "digital min", path) for b in field_(8)])
        dmax = np.array([_num(b, "digital max", path) for b in field_(8)])
        prefilter = [_s(b) for b in field_(80)]
        n_samps = np.array([_int(b, "samples per record", path) for b in field_(8)])
        bad = [labels[i] for i in range(ns) if n_samps[i] <= 0]
        if bad:
            raise CorruptFileError(f"{path}: signals {bad[:5]} have samples-per-record "
                                   f"{n_samps[n_samps <= 0][:5].tolist()}; each must be a positive integer.")
        hdr = cls(path=path, subtype=subtype, plus=plus, header_bytes=header_bytes, n_records=n_records,
                  record_s=record_s, labels=labels, units=units, physical_min=pmin, physical_max=pmax,
                  digital_min=dmin, digital_max=dmax, n_samps=n_samps, prefilter=prefilter,
                  transducer=transducer, patient=_s(head[8:88]), recording=_s(head[88:168]),
                  startdate=_s(head[168:176]), starttime=_s(head[176:184]))
        size = getattr(src, "size", None)
        if size is not None and hdr.record_bytes:
            on_disk = (int(size) - header_bytes) // hdr.record_bytes
            if n_records < -1:
                raise CorruptFileError(f"{path}: EDF header says {n_records} data records.")
            if n_records == -1 or on_disk < n_records:
                hdr.n_records = on_disk  # recording not closed properly: trust the file size (as MNE)
            if on_disk < 0 or (n_records == -1 and on_disk == 0):
                raise CorruptFileError(f"{path}: the file ({size} bytes) is shorter than its header "
                                       f"({header_bytes} bytes) plus one record ({hdr.record_bytes} bytes).")
        if plus.endswith("D"):
            hdr.extra["discontinuous"] = True
        return hdr

    # -- windows ------------------------------------------------------------------------------
    def window(self, signals: list[int], start: float, stop: float) -> dict[str, int]:
        """Sample and byte span of ``[start, stop)`` for signals sharing one rate."""
        spr = int(self.n_samps[signals[0]])
        if any(int(self.n_samps[i]) != spr for i in signals):
            raise UnsupportedError(f"{self.path}: signals {signals} have different sampling rates; "
                                   "read them as separate streams.")
        n_total = self.n_records * spr
        i0, i1 = _sample_window(spr / self.record_s, start, stop, n_total)
        if i1 <= i0:
            return {"i0": i0, "i1": i0, "k0": 0, "k1": 0, "offset": self.header_bytes, "length": 0}
        k0, k1 = i0 // spr, (i1 - 1) // spr + 1
        return {"i0": i0, "i1": i1, "k0": k0, "k1": k1,
                "offset": self.header_bytes + k0 * self.record_bytes,
                "length": (k1 - k0) * self.record_bytes}

    def _decode_records(self, raw: bytes, n_rec: int) -> np.ndarray:
        total = int(self.n_samps.sum())
        if self.subtype == "bdf":
            b = np.frombuffer(raw, np.uint8).reshape(n_rec * total, 3).astype(np.int32)
            v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
            v = np.where(v >= 1 << 23, v - (1 << 24), v)
            return v.reshape(n_rec, total)
        return np.frombuffer(raw, "<i2").reshape(n_rec, total)

    def read(self, src: ReadAt, signals: list[int], start: float, stop: float) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(data, time)``: data (n_times, n_signals) in SI units, time in s from file start."""
        w = self.window(signals, start, stop)
        spr = int(self.n_samps[signals[0]])
        fs = spr / self.record_s
        if w["i1"] <= w["i0"]:
            return np.zeros((0, len(signals))), np.zeros(0)
        raw = src.read_at(w["offset"], w["length"])
        if len(raw) != w["length"]:
            raise CorruptFileError(f"{self.path}: file ends inside data record {w['k1'] - 1}.")
        n_rec = w["k1"] - w["k0"]
        rec = self._decode_records(raw, n_rec)
        bounds = np.concatenate([[0], np.cumsum(self.n_samps)])
        a, b = w["i0"] - w["k0"] * spr, w["i1"] - w["k0"] * spr
        out = np.empty((len(signals), w["i1"] - w["i0"]), float)
        cal, offset, unit = self.gains(signals)
        for j, s in enumerate(signals):
            dig = rec[:, bounds[s]:bounds[s + 1]].reshape(-1)[a:b]
            col = dig * cal[j]
            col += offset[j]
            col *= unit[j]
            out[j] = col
        t = np.arange(w["i0"], w["i1"], dtype=np.float64) / fs
        return out.T, t

    def read_annotations(self, src: ReadAt, max_bytes: int | None = None) -> pd.DataFrame:
        """EDF+ annotations (onset, duration, description); reads every record's annotation bytes.

        Reads the whole data section (annotations are interleaved with the samples): pass
        ``max_bytes`` to refuse files larger than that (returns an empty table).
        """
        cols = {"onset": [], "duration": [], "description": []}
        ann = self.annotation_signals
        if not ann or self.n_records <= 0:
            return pd.DataFrame(cols)
        total = self.n_records * self.record_bytes
        if max_bytes is not None and total > max_bytes:
            return pd.DataFrame(cols)
        raw = src.read_at(self.header_bytes, total)
        n_rec = len(raw) // self.record_bytes
        arr = np.frombuffer(raw[: n_rec * self.record_bytes], np.uint8).reshape(n_rec, self.record_bytes)
        bounds = np.concatenate([[0], np.cumsum(self.n_samps)]) * self.sample_bytes
        first_onset = None
        rows = []
        for r in range(n_rec):
            for s in ann:
                tal = arr[r, bounds[s]:bounds[s + 1]].tobytes()
                for onset, dur, texts in parse_edf_annotations(tal):
                    if not any(texts) and first_onset is None:
                        first_onset = onset  # the time-keeping TAL of the first record
                    for text in texts:
                        if text:
                            rows.append((onset, dur, text))
        t0 = first_onset or 0.0
        for onset, dur, text in rows:
            cols["onset"].append(onset - t0)
            cols["duration"].append(dur)
            cols["description"].append(text)
        return pd.DataFrame(cols)


_TAL = re.compile(rb"([+-]\d+(?:\.\d*)?)(?:\x15(\d+(?:\.\d*)?))?\x14(.*?)\x14\x00", re.DOTALL)


def parse_edf_annotations(tal: bytes) -> list[tuple[float, float, list[str]]]:
    """Parse the Time-stamped Annotation Lists of one EDF+ annotation signal chunk."""
    out = []
    for m in _TAL.finditer(tal):
        onset = float(m.group(1))
        dur = float(m.group(2)) if m.group(2) else 0.0
        texts = [t.decode("utf-8", "replace") for t in m.group(3).split(b"\x14")]
        out.append((onset, dur, texts))
    return out
