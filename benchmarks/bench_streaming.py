"""Streaming cost: bytes moved to open a remote file and to read a window, versus the bytes that hold it.

Everything runs against the local test servers (DANDI-compatible API + range server, S3-compatible
bucket), which speak the archives' protocols: the byte counts are those the same code would move
from DANDI / OpenNeuro. Measured with ``s.stats`` (the HTTP layer's meter), fresh cache each file.

- NWB (ophys, ecephys, units; 11-min chunked fixtures written with pynwb): bytes to open, bytes and
  requests for a 10-min window [30, 630) s and a 10-s window [300, 310) s, and their ratio to the
  bytes of the HDF5 chunks holding the window (``dataset.id.get_chunk_info``).
- EDF and BrainVision (BIDS runs written with mne-bids, 11.7 min, 7 channels at 250 Hz): the same,
  relative to the bytes of the data records / sample frames holding the window.
- Demo NWB files and demo BIDS rest runs (EDF), if a built demo corpus is found (not built here).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_streaming.py``
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _record import record  # noqa: E402

import glue_widgets as gw  # noqa: E402
from tests.servers.dandi_api import Asset, DandiAPI, Dandiset  # noqa: E402
from tests.servers.httpd import LocalServer, StaticFiles  # noqa: E402
from tests.servers.s3 import S3Bucket  # noqa: E402

WINDOWS = {"10 min": (30.0, 630.0), "10 s": (300.0, 310.0)}
BLOCKS = (8192, 16384, 4096)  # RangeFile block sizes compared for NWB (the first is the default)


def _default_corpus() -> Path | None:
    """The default-size demo corpus if it is built (the small one has runs shorter than the windows)."""
    from glue_widgets.sources.demo import corpus_dir

    d = corpus_dir("default")
    return d if (d / "manifest.json").exists() else None


def _pick_demo(demo_dir: Path | None) -> list[Path]:
    """Up to three demo NWB files of different labs (a built corpus only; nothing is built here)."""
    if demo_dir is None or not demo_dir.is_dir():
        return []
    seen, out = set(), []
    for p in sorted(demo_dir.rglob("*.nwb")):
        lab = p.name.split("_")[0]
        if lab not in seen:
            seen.add(lab)
            out.append(p)
    return out[:3]


def chunk_bytes(h5path: Path, info, start: float, stop: float) -> int:
    """Bytes of the stored chunks that hold the window's samples (data, and timestamps if any)."""
    import h5py

    def rows_bytes(ds, r0: int, r1: int) -> int:
        if r1 <= r0:
            return 0
        if ds.chunks is None:
            per_row = ds.dtype.itemsize * int(np.prod(ds.shape[1:]))
            return (r1 - r0) * per_row
        total = 0
        c0 = ds.chunks[0]
        for k in range(ds.id.get_num_chunks()):
            ci = ds.id.get_chunk_info(k)
            first = ci.chunk_offset[0]
            if first < r1 and first + c0 > r0:
                total += ci.size
        return total

    with h5py.File(h5path, "r") as f:
        g = f[info.path]
        if info.kind == "events":
            st = g["spike_times"]
            ends = g["spike_times_index"][()]
            starts = np.concatenate([[0], ends[:-1]])
            allt = st[()]
            rows = set()
            for a, b in zip(starts, ends):
                t = allt[a:b]
                i0, i1 = a + np.searchsorted(t, start), a + np.searchsorted(t, stop)
                rows.update(range(int(i0), int(i1)))
            if not rows:
                return 0
            rows = np.array(sorted(rows))
            c0 = st.chunks[0] if st.chunks else len(allt)
            need = set((rows // c0).tolist())
            if st.chunks is None:
                return len(rows) * st.dtype.itemsize
            return sum(st.id.get_chunk_info(k).size for k in range(st.id.get_num_chunks())
                       if st.id.get_chunk_info(k).chunk_offset[0] // c0 in need)
        data = g["data"]
        if "timestamps" in g:
            ts = g["timestamps"][()]
            r0, r1 = np.searchsorted(ts, [start, stop])
            return rows_bytes(data, int(r0), int(r1)) + rows_bytes(g["timestamps"], int(r0), int(r1))
        fs = info.fs
        r0 = int(np.ceil((start - info.start_s) * fs - 1e-9))
        r1 = int(np.ceil((stop - info.start_s) * fs - 1e-9))
        return rows_bytes(data, max(r0, 0), min(r1, data.shape[0]))


def measure_nwb(uri: str, local: Path, windows: dict, cache_root: Path, block_size: int) -> list[dict]:
    """Each (stream, window) in a fresh session with a fresh cache: nothing read before is reused."""
    rows = []
    n = 0

    def fresh():
        nonlocal n
        n += 1
        os.environ["GLUE_CACHE_DIR"] = str(cache_root / f"{local.stem}-{block_size}-{n}")
        return gw.open(uri, block_size=block_size)

    s = fresh()
    opened = dict(s.stats)
    streams = s.streams
    s.close()
    for name, info in streams.items():
        for wname, (a, b) in windows.items():
            a2, b2 = max(a, info.start_s), min(b, info.stop_s)
            if b2 <= a2:
                continue
            s = fresh()
            before = dict(s.stats)
            t = time.perf_counter()
            s.read(name, a2, b2)
            dt = time.perf_counter() - t
            moved = s.stats["bytes"] - before["bytes"]
            s.close()
            need = chunk_bytes(local, info, a2, b2)
            rows.append({"file": local.name, "stream": name, "window": wname, "block": block_size,
                         "open_bytes": opened["bytes"], "open_requests": opened["requests"], "bytes": moved,
                         "requests": s.stats["requests"] - before["requests"], "chunk_bytes": need,
                         "ratio": moved / need if need else float("nan"), "seconds": dt})
    return rows


def measure_eeg(uri: str, local: Path, windows: dict, cache_root: Path) -> list[dict]:
    from glue_widgets.sources.brainvision import BrainVisionHeader
    from glue_widgets.sources.eegformats import EDFHeader
    from glue_widgets.sources.rangefile import LocalRangeSource

    rows = []
    src = LocalRangeSource(str(local)) if local.suffix == ".edf" else None
    for wname, (a, b) in windows.items():
        os.environ["GLUE_CACHE_DIR"] = str(cache_root / f"{local.stem}-{wname}")
        s = gw.open(uri)
        opened = dict(s.stats)
        before = dict(s.stats)
        stream = next(iter(s.streams))
        info = s.streams[stream]
        a, b = max(a, info.start_s), min(b, info.stop_s)  # clip to the run
        s.read(stream, a, b)
        moved = s.stats["bytes"] - before["bytes"]
        if local.suffix == ".edf":
            h = EDFHeader.parse(src, str(local))
            w = h.window(h.data_signals[:1], a, b)
            need = w["length"]  # whole records holding the window (all signals interleaved)
        else:
            h = BrainVisionHeader.parse(local.read_bytes(), str(local))
            h.data_size = (local.with_suffix(".eeg")).stat().st_size
            need = h.window(a, b)["length"]
        rows.append({"file": local.name, "stream": stream, "window": wname, "block": 16384,
                     "open_bytes": opened["bytes"],
                     "open_requests": opened["requests"], "bytes": moved,
                     "requests": s.stats["requests"] - before["requests"], "chunk_bytes": need,
                     "ratio": moved / need if need else float("nan"), "seconds": float("nan")})
        s.close()
    if src is not None:
        src.close()
    return rows


def main() -> None:
    demo_dir = _default_corpus()  # before the measurements point GLUE_CACHE_DIR at fresh caches
    from tests.servers.bids_fixture import make_bids_dataset
    from tests.servers.nwb_fixture import write_all

    t_start = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="gw-bench-stream-"))
    nwb = write_all(tmp / "blobs")
    bids = make_bids_dataset(tmp / "bids", seconds=700.0)
    blobs = LocalServer([StaticFiles(tmp / "blobs", prefix="/blobs/")]).start()
    assets = [Asset(f"sub-m1/{p.name}", p) for p in nwb.values()]
    api = LocalServer([DandiAPI([Dandiset("000001", "bench", {"draft": assets})], f"{blobs.url}/blobs",
                                tmp / "blobs")]).start()
    s3 = LocalServer([S3Bucket(bids.parent, "openneuro.org")]).start()
    os.environ["GLUE_DANDI_API_URL"] = f"{api.url}/api"
    os.environ["GLUE_OPENNEURO_URL"] = f"{s3.url}/openneuro.org"
    rows: list[dict] = []
    try:
        for block in BLOCKS:
            for kind, p in nwb.items():
                rows += measure_nwb(f"dandi://000001/sub-m1/{p.name}", p, WINDOWS, tmp / "cache", block)
        for rel in ("sub-01/eeg/sub-01_task-rest_eeg.edf", "sub-01/eeg/sub-01_task-arithmetic_eeg.vhdr"):
            rows += measure_eeg(f"openneuro://ds000001/{rel}", bids / rel, WINDOWS, tmp / "cache")
        # demo NWB files, only if a corpus was already built
        demo_files = _pick_demo(demo_dir)
        if demo_files:
            dsrv = LocalServer([StaticFiles(demo_dir, prefix="/demo/")]).start()
            try:
                for p in demo_files:
                    rel = p.relative_to(demo_dir).as_posix()
                    rows += measure_nwb(f"{dsrv.url}/demo/{rel}", p, WINDOWS, tmp / "cache", BLOCKS[0])
            finally:
                dsrv.stop()
        # demo BIDS EEG/iEEG runs (EDF), served as an OpenNeuro dataset, if the corpus is built
        demo_bids = demo_dir / "bids" if demo_dir is not None else None
        if demo_bids is not None and demo_bids.is_dir():
            droot = tmp / "demo-s3"
            droot.mkdir()
            (droot / "ds000002").symlink_to(demo_bids, target_is_directory=True)
            dsrv = LocalServer([S3Bucket(droot, "openneuro.org")]).start()
            os.environ["GLUE_OPENNEURO_URL"] = f"{dsrv.url}/openneuro.org"
            try:
                runs = sorted(demo_bids.rglob("*task-rest*_*eeg.edf"))[:2]
                for p in runs:
                    rel = p.relative_to(demo_bids).as_posix()
                    rows += [dict(r, stream=r["stream"] + " (demo)")
                             for r in measure_eeg(f"openneuro://ds000002/{rel}", p, WINDOWS, tmp / "cache")]
            finally:
                dsrv.stop()
    finally:
        for srv in (api, blobs, s3):
            srv.stop()

    lines = ["| file | stream | window | block | open bytes (requests) | window bytes | requests "
             "| bytes holding window | ratio |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['file']} | {r['stream']} | {r['window']} | {r['block'] // 1024} KiB "
                     f"| {r['open_bytes']:,} ({r['open_requests']}) "
                     f"| {r['bytes']:,} | {r['requests']} | {r['chunk_bytes']:,} | "
                     + (f"{r['ratio']:.3f} |" if r["bytes"] else "0 (moved at open) |"))
    nwb_rows = [r for r in rows if r["file"].endswith(".nwb")]
    def worst(block, window, files=None):
        vals = [r["ratio"] for r in nwb_rows if r["block"] == block and r["window"] == window
                and np.isfinite(r["ratio"]) and r["chunk_bytes"] and r["bytes"]
                and (files is None or r["file"] in files)]
        return max(vals, default=float("nan"))

    fixture_names = {p.name for p in nwb.values()}
    summary = "\n".join(
        f"- block {b // 1024} KiB, fixtures: worst ratio 10 min {worst(b, '10 min', fixture_names):.3f}, "
        f"10 s {worst(b, '10 s', fixture_names):.3f}" for b in BLOCKS)
    def eeg_w(window):
        return max((r["ratio"] for r in rows if not r["file"].endswith(".nwb") and r["window"] == window),
                   default=float("nan"))

    demo_names = {r["file"] for r in nwb_rows} - fixture_names
    demo_w = worst(BLOCKS[0], "10 min", demo_names)
    demo_w10 = worst(BLOCKS[0], "10 s", demo_names)
    demo_units = [r for r in nwb_rows if r["file"] in demo_names and r["stream"] == "units"]
    units_w10 = max((r["ratio"] for r in demo_units if r["window"] == "10 s"), default=float("nan"))
    md = f"""
Settings: local DANDI-compatible API + range server and S3-compatible bucket (`tests/servers`), loopback,
fresh session and cache for every (file, stream, window) row; NWB read through `RangeFile` + h5py + the
local NWB reader; EDF/BrainVision through `RangeFile` (16 KiB blocks) + header-driven byte ranges.
`RangeFile` fetches reads of at least one block exactly (edge pieces kept), smaller (metadata) reads as
whole blocks; adjacent missing blocks are coalesced into one request. "bytes holding window" = stored HDF5 chunks overlapping the window (`dataset.id.get_chunk_info`;
for units, the spike_times chunks holding the window's spikes), or the EDF data records / BrainVision
sample frames of the window. Open bytes include the DANDI API JSON / S3 listing and sidecars. Bars
(DESIGN §6): ratio ≤ 1.3, open ≤ 1 MB.

Fixtures: ecephys 16 ch int16 500 Hz 660 s, chunks (2000, 16) = 64 KB; ophys 30 ROIs float32 30 Hz, chunks
(600, 30) = 72 KB; units 40 units ~5 Hz, spike_times chunks of 8192 (64 KB); EDF/BrainVision 7 ch 250 Hz 700 s.

{chr(10).join(lines)}

{summary}
- demo files (if present), block {BLOCKS[0] // 1024} KiB: worst ratio 10 min {demo_w:.3f}, 10 s {demo_w10:.3f}
  (demo units streams, 10 s: worst {units_w10:.3f}; it was 1.587 when each unit's whole train was read)
- EDF/BrainVision (fixtures and demo runs), block 16 KiB: worst ratio 10 min {eeg_w('10 min'):.3f}, 10 s {eeg_w('10 s'):.3f}

Units: at open the NWB reader learns each unit table's extent from `obs_intervals` when the file has
them (the demo files do), else by reading every unit's first and last spike with HDF5's chunk cache
off, so only those points move (the fixture has no obs_intervals). A window shorter than a quarter of
the stream's extent then searches each unit's train by 8-KiB pages (interpolation + bisection, HDF5
chunk cache off; `sources/nwb_paged.py`) and reads only its spikes; a wider window reads consecutive
trains in batches of at most 4 MiB, one read per batch. Ratios below 1 mean fewer bytes than the whole
chunks holding the window (the chunks are uncompressed, so HDF5 can read part of one). Total run
{time.time() - t_start:.0f} s.
"""
    record("streaming", md, {"rows": rows})


if __name__ == "__main__":
    main()
