"""Build time, disk size and session count of the demo corpus (both sizes), from scratch.

Run: ``PYTHONPATH=. nice .venv/bin/python benchmarks/bench_demo_build.py``. Each size is built into a
fresh temporary directory (the forward-model cache is cold too), in a child process so that imports
are counted, with the build's default worker count (1).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _record import record  # noqa: E402

REPO = HERE.parent


def _load() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def run(size: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GLUE_DEMO_DIR": str(Path(tmp) / "corpus"), "PYTHONPATH": str(REPO)}
        load0 = _load()
        t = time.perf_counter()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", f"import glue_widgets as gw; gw.demo.build({size!r})"], env=env,
                       check=True)
        wall = time.perf_counter() - t
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build process and its worker processes
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        man = json.loads((Path(tmp) / "corpus" / "manifest.json").read_text())
        sys.path.insert(0, str(REPO))
        from glue_widgets.sources import demo

        n_nwb = len(demo.corpus.nwb_sessions(size))
        n_bids = len(demo.corpus.bids_entries(size))
        return {"size": size, "wall_s": round(wall, 1), "cpu_s": round(max(cpu, man.get("cpu_seconds", 0.0)), 1), "build_s": man["build_seconds"],
                "forward_s": man["forward_seconds"], "workers": man["workers"], "bytes": man["bytes"],
                "mb": round(man["bytes"] / 2**20, 1), "files": man["n_files"], "nwb_sessions": n_nwb,
                "bids_files": n_bids, "sessions": n_nwb + n_bids, "load_before": load0, "load_after": _load(),
                "slowest": sorted(man["session_seconds"].items(), key=lambda kv: -kv[1])[:3]}


def main() -> None:
    rows = [run("small"), run("default")]
    lines = ["Corpus built from scratch into an empty directory (cold forward-model cache), in a child "
             "process (imports included), run under `nice` on a machine shared with other jobs: the 1-minute "
             "load average before/after each build is shown, so read the times as upper bounds.", "",
             "CPU s = user + system time of the build (its process, imports included, plus the session work "
             "done in worker processes; load-independent); "
             "on an idle machine the serial wall time is close to CPU s.", "",
             "| size | sessions (NWB + BIDS files) | wall s | CPU s | build s (manifest) | forward s | workers | disk MB | files | load before/after | slowest units (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        slow = ", ".join(f"{k} {v}" for k, v in r["slowest"])
        lines.append(f"| {r['size']} | {r['sessions']} ({r['nwb_sessions']} + {r['bids_files']}) | {r['wall_s']} | {r['cpu_s']} | "
                     f"{r['build_s']} | {r['forward_s']} | {r['workers']} | {r['mb']} | {r['files']} | "
                     f"{r['load_before']:.1f} / {r['load_after']:.1f} | {slow} |")
    record("demo_build", "\n".join(lines), {"runs": rows})


if __name__ == "__main__":
    main()
