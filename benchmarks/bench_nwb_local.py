"""Local NWB reader: time and bytes to open a file, bytes to read a 10-s window of a 1-hour stream.

Bytes are counted by wrapping the file object h5py reads through (``CountingFile``), the same
path a remote range-reading file takes, so they approximate what a remote open/window would
transfer (before any caching layer). Run:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_nwb_local.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import record  # noqa: E402

from glue_widgets.sources.nwb import open_nwb  # noqa: E402
from tests.support.nwb_testing import CountingFile, write_example_nwb, write_long_ephys_nwb  # noqa: E402
from glue_widgets.sources.real import real_path  # noqa: E402


def _open_cost(path: Path, repeats: int = 5) -> dict:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        s = open_nwb(path)
        times.append(time.perf_counter() - t0)
        s.close()
    cf = CountingFile(open(path, "rb"))
    s = open_nwb(cf, uri=str(path))
    out = {"open_s_median": statistics.median(times), "open_bytes": cf.bytes_read, "open_reads": cf.reads,
           "file_bytes": path.stat().st_size, "streams": len(s.streams)}
    s.close()
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        ex = Path(tmp) / "example.nwb"
        write_example_nwb(ex)
        long = Path(tmp) / "long.nwb"
        info = write_long_ephys_nwb(long, duration_s=3600.0, fs=1000.0, n_channels=32, chunk_s=1.0)
        files = {"test fixture (8 streams)": ex, "1-h ElectricalSeries 1 kHz x 32 ch": long}
        for name in ("real/aplysia/Jun0214/da01", "real/nelpy/linear-track", "real/pynapple/A8604",
                     "real/pynapple/sub-4_ses-4"):
            files[name] = real_path(name)
        for label, p in files.items():
            rows[label] = _open_cost(p)

        cf = CountingFile(open(long, "rb"))
        s = open_nwb(cf, uri="long")
        s.read("ElectricalSeries", 0.0, 1.0)  # warm-up: the first read after writing 230 MB waits for the disk
        windows = []
        for start in (600.0, 1800.0, 3590.0):
            cf.reset()
            t0 = time.perf_counter()
            x = s.read("ElectricalSeries", start, start + 10.0)
            dt = time.perf_counter() - t0
            windows.append({"start": start, "bytes": cf.bytes_read, "reads": cf.reads, "seconds": dt,
                            "samples": int(x.sizes["time"])})
        s.close()
    chunk_bytes = 10 * info["chunk_bytes"]
    series_bytes = info["n"] * info["n_channels"] * 2

    md = ["Open cost per file (median of 5 opens; bytes counted through a file-object wrapper on a separate open):", "",
          "| file | size | streams | open (ms) | bytes read at open | reads |", "|---|---:|---:|---:|---:|---:|"]
    for label, r in rows.items():
        md.append(f"| {label} | {r['file_bytes'] / 1e6:.2f} MB | {r['streams']} | {1e3 * r['open_s_median']:.1f} | "
                  f"{r['open_bytes'] / 1024:.1f} KiB | {r['open_reads']} |")
    md += ["", f"10-s windows of the 1-hour int16 ElectricalSeries (1 kHz x 32 ch, 1-s chunks of "
           f"{info['chunk_bytes'] / 1024:.0f} KiB; the 10 chunks of a window = {chunk_bytes / 1024:.0f} KiB; "
           f"whole series {series_bytes / 1e6:.0f} MB):", "",
           "(after one warm-up read of another window)", "", "| window start (s) | bytes read | / chunk bytes | reads | time (ms) |", "|---:|---:|---:|---:|---:|"]
    for w in windows:
        md.append(f"| {w['start']:.0f} | {w['bytes'] / 1024:.1f} KiB | {w['bytes'] / chunk_bytes:.3f} | {w['reads']} | "
                  f"{1e3 * w['seconds']:.1f} |")
    md += ["", "Bar (DESIGN §6, remote): window bytes <= 1.3 x chunk bytes; open <= 1 MB."]
    record("nwb_local", "\n".join(md), {"open": rows, "windows": windows, "chunk_bytes": chunk_bytes,
                                         "series_bytes": series_bytes})


if __name__ == "__main__":
    main()
