"""Real recordings bundled with the package (``glue_widgets/data/real``), opened through the same readers.

Names look like ``real/aplysia/Jun0214/da01``, ``real/eegmat/sub-00/rest``, ``real/pynapple/A8604`` and
``real/nelpy/linear-track``; the demo corpus exposes them as ``demo://real/<...>``. The files were
converted from ``../shared/data`` by ``scripts/bundle_real_data.py``; sources, licenses and papers are in
``glue_widgets/data/real/CITATION.md`` (also in each session's ``metadata["citation"]``).

Examples
--------
>>> from glue_widgets.sources.real import list_real, open_real
>>> names = list_real()
>>> "real/nelpy/linear-track" in names
True
>>> s = open_real("real/aplysia/Jun0214/da01")     # doctest: +SKIP
>>> s.epochs.label.tolist()                         # doctest: +SKIP
['spontaneous', 'stimulation', 'evoked']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import NotFoundError, UnsupportedError
from ..model import Session

__all__ = ["REAL_DIR", "DATASETS", "list_real", "real_path", "open_real", "real_truth"]

REAL_DIR = Path(__file__).resolve().parents[1] / "data" / "real"

# dataset -> license and the citation to show next to it (details in CITATION.md)
DATASETS: dict[str, dict[str, str]] = {
    "aplysia": {"license": "MIT", "citation": "Bruno, Frost & Humphries (2017) eLife 6:e27342; "
                "github.com/mdhumphries/AplysiaAttractorAnalysis"},
    "eegmat": {"license": "ODC-By-1.0", "citation": "Zyma et al. (2019) Data 4(1):14; PhysioNet EEGMAT 1.0.0 "
               "(Goldberger et al. 2000)"},
    "pynapple": {"license": "MIT (pynapple repository)", "citation": "pynapple (Viejo et al. 2023, eLife "
                 "12:RP85786) test files; sub-4: Zheng et al. (2022) Nat Neurosci 25:358 (Rutishauser lab); "
                 "A8604: Peyrache lab"},
    "nelpy": {"license": "MIT", "citation": "nelpy example-data 'linear-track' (Kemere lab, Rice University)"},
}

_PYNAPPLE = {"A8604": "A8604-211122.nwb", "sub-4_ses-4": "sub-4_ses-4_ecephys+image.nwb"}
_EEG_TASKS = ("rest", "arithmetic")
_APLYSIA_TRUTH = {"spontaneous": [0.0, 30.0], "stimulation": [30.0, 32.5]}


def _norm(name: str) -> str:
    name = str(name)
    if name.startswith("demo://"):
        name = name[len("demo://"):]
    name = name.strip("/")
    if not name.startswith("real/"):
        name = "real/" + name
    return name


def _catalog() -> dict[str, tuple[str, Path]]:
    """name -> (reader, path) for every bundled file that is present."""
    out: dict[str, tuple[str, Path]] = {}
    for p in sorted((REAL_DIR / "aplysia").glob("*/*_da0?.nwb")):
        prep, da = p.stem.rsplit("_", 1)
        out[f"real/aplysia/{prep}/{da}"] = ("nwb", p)
    for sub_dir in sorted((REAL_DIR / "eegmat").glob("sub-*")):
        for task in _EEG_TASKS:
            f = sub_dir / "eeg" / f"{sub_dir.name}_task-{task}_eeg.edf"
            if f.exists():
                out[f"real/eegmat/{sub_dir.name}/{task}"] = ("bids", f)
    for short, fname in _PYNAPPLE.items():
        f = REAL_DIR / "pynapple" / fname
        if f.exists():
            out[f"real/pynapple/{short}"] = ("nwb", f)
    f = REAL_DIR / "nelpy" / "linear-track.nwb"
    if f.exists():
        out["real/nelpy/linear-track"] = ("nwb", f)
    return out


def list_real() -> list[str]:
    """Names of the bundled real sessions (``real/<dataset>/...``), sorted.

    Examples
    --------
    >>> [n for n in list_real() if n.startswith("real/pynapple")]
    ['real/pynapple/A8604', 'real/pynapple/sub-4_ses-4']
    """
    return sorted(_catalog())


def real_path(name: str) -> Path:
    """The file behind a bundled real session name."""
    key = _norm(name)
    cat = _catalog()
    if key not in cat:
        raise NotFoundError(
            f"no bundled real session {name!r}; available: {sorted(cat)[:6]}... ({len(cat)} in all, see "
            "glue_widgets.sources.real.list_real())."
        )
    return cat[key][1]


def open_real(name: str, **kwargs: Any) -> Session:
    """Open a bundled real session through the NWB or BIDS reader.

    Parameters
    ----------
    name : str
        A name from :func:`list_real` (``demo://`` prefix and the ``real/`` part are optional).
    **kwargs
        Passed to the reader (for example ``bin_width`` for spike streams).
    """
    key = _norm(name)
    path = real_path(key)
    reader = _catalog()[key][0]
    uri = f"demo://{key}"
    if reader == "nwb":
        from .nwb import open_nwb

        s = open_nwb(path, uri=uri, **kwargs)
    else:
        try:
            from .bids import open_bids_file
        except ImportError as exc:  # the BIDS reader is another module; say so plainly if it is missing
            raise UnsupportedError(f"opening {key} needs the BIDS reader (glue_widgets.sources.bids): {exc}") from None
        s = open_bids_file(path, uri=uri, **kwargs)
    ds = key.split("/")[1]
    s.metadata.setdefault("license", DATASETS[ds]["license"])
    s.metadata.setdefault("citation", DATASETS[ds]["citation"])
    s.metadata.setdefault("real", True)
    return s


def real_truth(name: str) -> dict[str, Any]:
    """Facts about a bundled session that are for EVALUATION ONLY (no method may fit on them).

    ``rest`` is a list of ``(start, stop, state)`` (stop None = to the end of the file), as in
    :func:`glue_widgets.demo.truth`. Aplysia: the spontaneous 0-30 s window and the stimulation;
    nelpy: the run / rest bounds the data MANIFEST inferred from tracker stillness; EEGMAT: whether
    the run is the resting one; pynapple: no rest is known.
    """
    key = _norm(name)
    real_path(key)  # raises NotFoundError for unknown names
    parts = key.split("/")
    ds = parts[1]
    out: dict[str, Any] = {"name": key, "dataset": ds, **DATASETS[ds]}
    if ds == "aplysia":
        f = REAL_DIR / "aplysia" / "truth.json"
        extra = json.loads(f.read_text()) if f.exists() else dict(_APLYSIA_TRUTH)
        out.update(extra)
        out.update({"preparation": parts[2], "recording": parts[3],
                    "rest": [(*extra["spontaneous"], "spontaneous (before nerve stimulation)")]})
    elif ds == "nelpy":
        extra = json.loads((REAL_DIR / "nelpy" / "linear-track.truth.json").read_text())
        out.update(extra)
        out["rest"] = [(a, b, "rest after the track (inferred from tracker stillness)") for a, b in extra["rest"]]
    elif ds == "eegmat":
        task = parts[3]
        out.update({"subject": parts[2], "task": task,
                    "rest": [(0.0, None, "resting background EEG (eye state not stated)")] if task == "rest" else []})
    else:
        out.update({"rest": [], "note": "no explicit rest in these files"})
    return out
