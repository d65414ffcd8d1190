"""Build the whole corpus into a directory: NWB sessions, the BIDS dataset, truth files, a manifest.

Each unit of work (one NWB session, one human subject) is independent and seeded by name, so the
result is identical whether it runs serially or in worker processes.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .corpus import CORPUS_VERSION, human_subjects, nwb_sessions
from .generate import SEED

__all__ = ["build_into"]


def _nwb_job(size: str, uri: str, root: str) -> tuple[str, float, float]:
    from .generate import generate_session
    from .truthfile import nwb_truth, save_truth
    from .write_nwb import write_nwb

    t, c = time.perf_counter(), time.process_time()
    spec = next(s for s in nwb_sessions(size) if s.uri == uri)
    data = generate_session(spec)
    out = Path(root) / "nwb" / spec.lab / spec.subject / f"{spec.slug}.nwb"
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hdmf's DynamicTableRegion ancestry notices
        write_nwb(data, out)
    save_truth(nwb_truth(data), Path(root) / "truth", spec.slug)
    return uri, time.perf_counter() - t, time.process_time() - c


def _human_job(size: str, subject: str, root: str, lf: dict[str, Any]) -> tuple[str, float, float]:
    from .generate import generate_human_run
    from .truthfile import human_truth, save_truth
    from .write_bids import write_run

    t, c = time.perf_counter(), time.process_time()
    h = next(x for x in human_subjects(size) if x.subject == subject)
    for task in ("rest", "checkerboard"):
        run = generate_human_run(h, task, lf)
        write_run(run, lf, Path(root) / "bids")
        save_truth(human_truth(run, lf, f"demo://delta/sub-{subject}/{task}"), Path(root) / "truth",
                   f"delta_sub-{subject}_{task}")
    return f"delta/sub-{subject}", time.perf_counter() - t, time.process_time() - c


def build_into(root: str | os.PathLike, size: str, *, workers: int | None = None,
               forward_cache: str | os.PathLike | None = None) -> dict[str, Any]:
    """Write the corpus of ``size`` into the (empty) directory ``root``; returns the manifest."""
    from .forward import leadfields
    from .write_bids import finish_dataset

    t0, c0 = time.perf_counter(), time.process_time()
    root = Path(root)
    humans = human_subjects(size)
    lfs = leadfields([(h.subject, h.hemisphere) for h in humans], cache_dir=forward_cache)
    t_fwd = time.perf_counter() - t0
    specs = sorted(nwb_sessions(size), key=lambda s: -s.duration * sum(n for _, n in s.regions))
    if workers is None:
        # serial by default: ~20 CPU-s in all, and on a shared machine worker start-up (imports) and
        # contention cost more than they save (measured: 59 s serial vs 83 s with 2 workers at load 8)
        workers = 1
    workers = max(1, min(int(workers), os.cpu_count() or 1))
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    (root / "bids").mkdir(parents=True, exist_ok=True)
    if workers == 1:
        for h in humans:
            k, timings[k], cpu[k] = _human_job(size, h.subject, str(root), lfs[h.subject])
        for s in specs:
            k, timings[k], cpu[k] = _nwb_job(size, s.uri, str(root))
    else:
        # the BIDS writes share participants.tsv / scans files: keep them in this process, in order
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futs = [pool.submit(_nwb_job, size, s.uri, str(root)) for s in specs]
            for h in humans:
                k, timings[k], cpu[k] = _human_job(size, h.subject, str(root), lfs[h.subject])
            for f in futs:
                k, timings[k], cpu[k] = f.result()
    finish_dataset(root / "bids")
    readme = Path(__file__).with_name("README.md")
    if readme.exists():
        shutil.copyfile(readme, root / "README.md")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    manifest = {
        "version": CORPUS_VERSION, "size": size, "seed": SEED, "workers": workers,
        "build_seconds": round(time.perf_counter() - t0, 2), "forward_seconds": round(t_fwd, 2),
        "session_seconds": {k: round(v, 2) for k, v in timings.items()},
        "session_cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
        # this process + the work done in worker processes (their start-up imports are not included)
        "cpu_seconds": round(time.process_time() - c0 + (sum(cpu.values()) if workers > 1 else 0.0), 2),
        "n_files": len(files), "bytes": int(sum(p.stat().st_size for p in files)),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest
