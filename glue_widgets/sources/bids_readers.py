"""The data readers behind a BIDS run: EDF/BDF and BrainVision by byte ranges, EEGLAB through MNE.

Each reader exposes ``names``, ``fs``, ``units``, ``duration``, ``read(cols, start, stop)`` (samples,
times) and ``annotations(remote)``; :func:`make_reader` picks one by extension. They work over a
``Tree`` (a local folder or an OpenNeuro bucket) so the same code reads local and remote runs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import CorruptFileError, NotFoundError, UnsupportedError
from .brainvision import BrainVisionHeader, parse_vmrk
from .eegformats import EDFHeader

if TYPE_CHECKING:
    from .bids import Tree

__all__ = ["make_reader", "DATA_EXTENSIONS"]

DATA_EXTENSIONS = (".edf", ".bdf", ".vhdr", ".set")


def _plain_name(name: str) -> bool:
    """A bare file name: no directory part, not '.' or '..' (BrainVision DataFile/MarkerFile)."""
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") and ":" not in name


# -- data readers -----------------------------------------------------------------------------
class _EDFReader:
    def __init__(self, tree: Tree, rel: str) -> None:
        self.src = tree.range_source(rel)
        self.h = EDFHeader.parse(self.src, tree.describe(rel))
        if self.h.extra.get("discontinuous"):
            raise UnsupportedError(f"{tree.describe(rel)!r} is EDF+D (discontinuous); glue_widgets reads "
                                   "continuous EDF/EDF+C/BDF only. Convert it with MNE first.")
        self.idx = self.h.data_signals
        self.names = [self.h.labels[i] for i in self.idx]
        self.fs = [self.h.fs(i) for i in self.idx]
        self.units = [self.h.units[i] for i in self.idx]
        self.duration = self.h.duration_s

    def read(self, cols: list[int], start: float, stop: float):
        return self.h.read(self.src, [self.idx[c] for c in cols], start, stop)

    def annotations(self, remote: bool) -> pd.DataFrame:
        if remote:
            # EDF+ annotations are interleaved with every data record: reading them means reading the
            # whole file, which streaming must not do at open. BIDS keeps events in events.tsv.
            return pd.DataFrame(columns=["onset", "duration", "description"])
        return self.h.read_annotations(self.src)


class _BVReader:
    def __init__(self, tree: Tree, rel: str) -> None:
        self.h = BrainVisionHeader.parse(tree.read_bytes(rel), tree.describe(rel))
        d = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        if not _plain_name(self.h.data_file) or (self.h.marker_file and not _plain_name(self.h.marker_file)):
            raise CorruptFileError(
                f"{tree.describe(rel)!r} names DataFile={self.h.data_file!r} / MarkerFile={self.h.marker_file!r}; "
                "they must be file names in the header's own folder (no path), as BrainVision writes them.")
        data_rel = d + self.h.data_file
        if not tree.exists(data_rel):
            raise NotFoundError(f"{tree.describe(rel)!r} names data file {self.h.data_file!r}, which is not "
                                "beside it.")
        self.src = tree.range_source(data_rel)
        self.h.check_size(self.src.size)
        self.tree, self.marker_rel = tree, (d + self.h.marker_file) if self.h.marker_file else ""
        self.names = list(self.h.names)
        self.fs = [self.h.fs] * len(self.names)
        self.units = list(self.h.units)
        self.duration = self.h.duration_s

    def read(self, cols: list[int], start: float, stop: float):
        return self.h.read(self.src, cols, start, stop)

    def annotations(self, remote: bool) -> pd.DataFrame:
        if self.marker_rel and self.tree.exists(self.marker_rel):
            df = parse_vmrk(self.tree.read_bytes(self.marker_rel), self.h.fs)
            return df[~df.description.str.startswith("New Segment/")].reset_index(drop=True)
        return pd.DataFrame(columns=["onset", "duration", "description"])


class _MNEReader:
    """EEGLAB .set (not rangeable): MNE on a local copy."""

    def __init__(self, tree: Tree, rel: str) -> None:
        import mne

        path = tree.local_path(rel)
        if rel.endswith(".set"):
            fdt = rel[:-4] + ".fdt"
            if tree.exists(fdt):
                tree.local_path(fdt)
            try:
                self.raw = mne.io.read_raw_eeglab(path, preload=False, verbose="error")
            except Exception as exc:  # MNE raises many types for a bad file
                raise CorruptFileError(f"MNE cannot read {tree.describe(rel)!r}: {exc}") from None
        else:  # pragma: no cover - only .set is routed here
            raise UnsupportedError(f"{tree.describe(rel)!r}: no reader for this format.")
        self.names = list(self.raw.ch_names)
        self.fs = [float(self.raw.info["sfreq"])] * len(self.names)
        self.units = ["V"] * len(self.names)
        self.duration = self.raw.n_times / self.raw.info["sfreq"]

    def read(self, cols: list[int], start: float, stop: float):
        fs = self.fs[0]
        i0 = max(0, int(np.ceil(start * fs - 1e-9)))
        i1 = min(self.raw.n_times, int(np.ceil(stop * fs - 1e-9)))
        if i1 <= i0:
            return np.zeros((0, len(cols))), np.zeros(0)
        x = self.raw.get_data(picks=cols, start=i0, stop=i1)
        return x.T, np.arange(i0, i1, dtype=float) / fs

    def annotations(self, remote: bool) -> pd.DataFrame:
        a = self.raw.annotations
        return pd.DataFrame({"onset": a.onset - self.raw.first_time if len(a) else [],
                             "duration": a.duration, "description": a.description})


def make_reader(tree: Tree, rel: str):
    ext = os.path.splitext(rel)[1].lower()
    if ext in (".edf", ".bdf"):
        return _EDFReader(tree, rel)
    if ext == ".vhdr":
        return _BVReader(tree, rel)
    if ext == ".set":
        return _MNEReader(tree, rel)
    raise UnsupportedError(f"{tree.describe(rel)!r}: extension {ext!r} is not one of {DATA_EXTENSIONS}.")
