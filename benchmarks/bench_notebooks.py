"""Run every notebook of the series in demo mode; record wall time and the kernel's peak RSS.

Bars (DESIGN §6): the whole series under 5 minutes on 2 cores; each notebook under 1 GB peak RSS (what
Binder guarantees). Peak RSS is the kernel process's VmHWM read from /proc at the end of the run (worker
processes a notebook may start, e.g. a Dask LocalCluster, are not included; the series runs none by default).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import record  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PEAK_CELL = (
    "import re as _re\n"
    "print('VmHWM_KB', _re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
)


def _kernel_manager(tag: str):
    """A kernel talking over IPC sockets, not TCP: on a machine where many processes start kernels at once, the
    TCP port chosen for a kernel can be taken by another process before it binds, and the client then waits
    forever for a reply that went elsewhere (seen here twice with an idle kernel and a waiting client)."""
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name="python3")
    km.transport = "ipc"
    km.ip = os.path.join(tempfile.mkdtemp(prefix="glue-nb-"), tag)
    return km


def run(path: Path) -> tuple[float, float]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = NotebookClient(nb, km=_kernel_manager(path.stem[:2]), timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - t0
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    kb = float(text.split("VmHWM_KB", 1)[1].split()[0])
    return wall, kb / 1024.0


def main() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows, data, total = [], {}, 0.0
    for nb in notebooks:
        wall, mb = run(nb)
        total += wall
        data[nb.name] = {"wall_s": wall, "peak_rss_mb": mb}
        rows.append(f"| {nb.name} | {wall:.1f} | {mb:.0f} | {'yes' if mb < 1024 else 'NO'} |")
        print(rows[-1], flush=True)
    md = (
        "Each notebook executed top to bottom in a fresh kernel (nbclient), demo mode, sequentially; "
        "the demo corpus was already built (its one-off build is measured in the demo benchmark).\n\n"
        "| notebook | wall (s) | kernel peak RSS (MB) | < 1 GB |\n|---|---|---|---|\n" + "\n".join(rows)
        + f"\n\n**Whole series: {total:.0f} s** (bar: < 300 s on 2 cores).\n"
    )
    record("notebooks", md, {"notebooks": data, "total_s": total})


if __name__ == "__main__":
    main()
