"""The built-in demo corpus (``gw.demo``): a seeded virtual consortium of labs, species, subjects and days.

Sessions are real NWB files (pynwb) and a real BIDS dataset (mne-bids), built deterministically on
first use into a cache directory, and opened through the same readers as DANDI / OpenNeuro data.
Ground truth is kept beside them for evaluation only (:func:`truth`). ``README.md`` beside this file
documents every session.

Examples
--------
>>> import glue_widgets as gw
>>> uris = gw.demo.list()                         # doctest: +SKIP
>>> s = gw.open("demo://arbor/m01/day0")          # builds the corpus on first use  # doctest: +SKIP
>>> gw.demo.describe()[["uri", "lab", "species"]] # doctest: +SKIP
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import InvalidInputError, NotFoundError
from .corpus import CORPUS_VERSION, LABS, SIZES, bids_entries, nwb_sessions

__all__ = ["list", "describe", "build", "truth", "open_demo", "path", "corpus_dir",
           "SIZES", "CORPUS_VERSION"]

_list = builtins.list


# --------------------------------------------------------------------------------------------
# where
# --------------------------------------------------------------------------------------------
def _size(size: str | None) -> str:
    size = size or os.environ.get("GLUE_DEMO_SIZE") or "default"
    if size not in SIZES:
        raise InvalidInputError(f"size={size!r} is not one of {SIZES}; set GLUE_DEMO_SIZE or pass size=.")
    return size


def corpus_dir(size: str | None = None) -> Path:
    """Directory of the corpus of ``size``: ``GLUE_DEMO_DIR``, else ``<GLUE_CACHE_DIR or
    ~/.cache/glue_widgets>/demo/v<version>-<size>``."""
    size = _size(size)
    env = os.environ.get("GLUE_DEMO_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("GLUE_CACHE_DIR")
    base_p = Path(base).expanduser() if base else Path.home() / ".cache" / "glue_widgets"
    return base_p / "demo" / f"v{CORPUS_VERSION}-{size}"


def _entries(size: str) -> dict[str, dict[str, Any]]:
    """uri -> {kind, relpath, truth slug, spec} for every synthetic session."""
    out: dict[str, dict[str, Any]] = {}
    for s in nwb_sessions(size):
        out[s.uri] = {"kind": "nwb", "rel": f"nwb/{s.lab}/{s.subject}/{s.slug}.nwb", "truth": s.slug, "spec": s}
    from .write_bids import bids_relpath

    for e in bids_entries(size):
        out[e["uri"]] = {"kind": "bids", "rel": "bids/" + bids_relpath(e["subject"], e["task"], e["datatype"]),
                         "truth": f"delta_sub-{e['subject']}_{e['task']}", "spec": e["spec"], "task": e["task"],
                         "datatype": e["datatype"]}
    return out


def _real_module():
    try:
        return importlib.import_module("glue_widgets.sources.real")
    except ImportError:
        return None


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def list(include_real: bool = True) -> _list[str]:  # noqa: A001 - the spec names it gw.demo.list
    """Every demo session as a ``demo://`` URI (synthetic first, then bundled real data).

    Examples
    --------
    >>> "demo://arbor/m01/day0" in list(include_real=False)
    True
    """
    uris = _list(_entries("default"))
    if include_real:
        real = _real_module()
        if real is not None and hasattr(real, "list_real"):
            try:
                uris += [u if u.startswith("demo://") else f"demo://{u}" for u in real.list_real()]
            except Exception:  # noqa: BLE001 - bundled data missing must not break the synthetic list
                pass
    return uris


def _streams_of(entry: dict[str, Any]) -> _list[str]:
    if entry["kind"] == "bids":
        return ["eeg"] if entry["datatype"] == "eeg" else ["ecog"]
    s = entry["spec"]
    names = ["units"] if s.modality == "spikes" else ["RoiResponseSeries"]
    if s.lfp_channels:
        names.append("LFP")
    if s.lab in ("arbor", "birch", "elm"):
        names.append("running_speed")
    if s.lab in ("arbor", "birch", "cedar"):
        names.append("pupil_diameter")
    names.append("velocity")
    return names


def describe(size: str | None = None) -> pd.DataFrame:
    """One row per synthetic session.

    Columns: ``uri, lab, species, species_common, subject, session, day, format, modalities, streams,
    regions, rest_evidence ("epochs" | "behavior" | "bids-task"), state_definition, rest_labels, apparatus,
    institution, generator, family, duration_s``. Nothing is built.
    """
    size = _size(size)
    rows = []
    for uri, e in _entries(size).items():
        if e["kind"] == "nwb":
            s = e["spec"]
            lab = LABS[s.lab]
            mods = [s.modality] + (["lfp"] if s.lfp_channels else []) + ["behavior"]
            rest_labels = [b.label for b in s.blocks if b.kind == "rest" and b.label]
            states = [b.state for b in s.blocks if b.kind == "rest"]
            rows.append({
                "uri": uri, "lab": s.lab, "species": lab["species"], "species_common": lab["species_common"],
                "subject": s.subject, "session": s.session, "day": s.day, "format": "nwb",
                "modalities": mods, "streams": _streams_of(e), "regions": [r for r, _ in s.regions],
                "rest_evidence": s.rest_kind, "state_definition": "; ".join(states), "rest_labels": rest_labels,
                "apparatus": lab["apparatus"], "institution": lab["institution"], "generator": s.generator,
                "family": s.family, "duration_s": s.duration,
            })
        else:
            h = e["spec"]
            lab = LABS["delta"]
            rest = e["task"] == "rest"
            rows.append({
                "uri": uri, "lab": "delta", "species": lab["species"], "species_common": lab["species_common"],
                "subject": f"sub-{h.subject}", "session": f"task-{e['task']}", "day": 0, "format": "bids",
                "modalities": [e["datatype"] if e["datatype"] == "eeg" else "ecog"], "streams": _streams_of(e),
                "regions": ["scalp"] if e["datatype"] == "eeg" else [f"{h.hemisphere} hemisphere ECoG grid"],
                "rest_evidence": "bids-task",
                "state_definition": "eyes open fixation; eyes closed" if rest else "visual checkerboard task",
                "rest_labels": ["eyes open", "eyes closed"] if rest else [],
                "apparatus": lab["apparatus"], "institution": lab["institution"], "generator": h.generator,
                "family": "timescales",
                "duration_s": float(h.rest_open + h.rest_closed) if rest else float(h.task),
            })
    return pd.DataFrame(rows)


def _is_built(root: Path, size: str) -> bool:
    m = root / "manifest.json"
    if not m.is_file():
        return False
    try:
        man = json.loads(m.read_text())
    except (OSError, ValueError):
        return False
    return man.get("version") == CORPUS_VERSION and man.get("size") == size


def build(size: str | None = None, force: bool = False, *, workers: int | None = None) -> Path:
    """Build the corpus (deterministic, seeded) into :func:`corpus_dir` and return that directory.

    The build happens in a hidden temporary directory beside the target which is renamed into place
    when complete, so a killed build never leaves a partial corpus visible; a file lock makes
    concurrent builds (two processes, two notebooks) wait for each other. An existing complete build is
    reused unless ``force``.

    Parameters
    ----------
    size : {"default", "small"}, optional
        ``GLUE_DEMO_SIZE`` or "default". "small": short sessions and few neurons (tests).
    force : bool
        Rebuild even if a complete corpus exists.
    workers : int, optional
        Processes used to write NWB sessions (default 1: the build is ~20 CPU-seconds).
    """
    from filelock import FileLock

    size = _size(size)
    root = corpus_dir(size)
    if not force and _is_built(root, size):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root.parent / f".{root.name}.lock")):
        if not force and _is_built(root, size):
            return root  # another process finished it while we waited
        for stale in root.parent.glob(f".{root.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed build (we hold the lock)
        tmp = root.parent / f".{root.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            from .builder import build_into

            build_into(tmp, size, workers=workers, forward_cache=root.parent)
            if root.exists():
                old = root.parent / f".{root.name}.tmp-old-{uuid.uuid4().hex[:8]}"
                os.replace(root, old)
                os.replace(tmp, root)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return root


def _lookup(uri: str, size: str) -> dict[str, Any]:
    key = uri if uri.startswith("demo://") else f"demo://{uri}"
    key = key.rstrip("/")
    entries = _entries(size)
    if key not in entries:
        names = _list(entries)
        raise NotFoundError(
            f"{uri!r} is not a demo session. Valid names include {names[:3] + names[-2:]} "
            f"({len(names)} in all): see gw.demo.list().")
    return entries[key]


def path(uri: str, size: str | None = None) -> Path:
    """Local file of a synthetic session (builds the corpus if needed)."""
    size = _size(size)
    e = _lookup(uri, size)
    return build(size) / e["rel"]


def truth(uri: str, size: str | None = None) -> dict[str, Any]:
    """Ground truth of a session, for EVALUATION ONLY (no method may fit on it).

    Keys (see README.md): ``uri, lab, species, subject, session, generator, family, k, latent_fs,
    latents`` (DataArray time x latent), ``latent_time, dynamics`` (A, Q, taus, rotation_hz, plane),
    ``rest_epochs`` [(start, stop, state)], ``task_epochs, anchor_times, anchor_duration, arousal``
    (time, arousal, pupil, running_speed), ``communication`` (source, target, rank, B, U, V, s, lag_s, or
    None), ``leadfield`` ({"eeg", "ieeg"} sensors x sources, or None); NWB sessions add ``loadings,
    baselines, gains, arousal_coupling, unit_ids, unit_to_neuron, velocity_readout, anchor_response,
    private_latents, true_spikes, true_spike_counts, indicator, turnover, day``; BIDS runs add
    ``sources, source_names, source_positions, source_orientations, source_mixing, channels,
    sensor_noise_sd, forward``. ``demo://real/...`` names delegate to ``sources.real.real_truth``.
    """
    if str(uri).startswith("demo://real/") or str(uri).startswith("real/"):
        real = _real_module()
        if real is None or not hasattr(real, "real_truth"):
            raise NotFoundError(f"{uri!r}: bundled real data are not available in this installation.")
        return real.real_truth(uri)
    from .truthfile import load_truth

    size = _size(size)
    e = _lookup(uri, size)
    root = build(size)
    t = load_truth(root / "truth", e["truth"])
    t["uri"] = (uri if uri.startswith("demo://") else f"demo://{uri}").rstrip("/")
    return t


def open_demo(uri: str, size: str | None = None, **kwargs: Any):
    """Open a ``demo://`` session through the NWB or BIDS reader (building the corpus if needed)."""
    if not isinstance(uri, str):
        raise InvalidInputError(f"uri={uri!r} must be a string like 'demo://arbor/m01/day0'.")
    name = uri[len("demo://"):] if uri.startswith("demo://") else uri
    if name.startswith("real/"):
        real = _real_module()
        if real is None:
            raise NotFoundError(f"{uri!r}: bundled real data are not available in this installation.")
        return real.open_real(name, **kwargs)
    size = _size(size)
    e = _lookup(uri, size)
    p = build(size) / e["rel"]
    key = f"demo://{name.rstrip('/')}"
    if e["kind"] == "nwb":
        from ..nwb import open_nwb

        return open_nwb(str(p), uri=key, **kwargs)
    from ..bids import open_bids_file

    return open_bids_file(str(p), uri=key, **kwargs)
