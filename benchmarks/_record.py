"""Record a benchmark's numbers with the machine and the date.

Each benchmark script calls :func:`record` once; it writes ``benchmarks/results/<name>.md`` (a
section of text and tables) and ``<name>.json`` (the raw numbers). ``make bench`` runs every
``bench_*.py`` and then ``python benchmarks/_record.py`` assembles ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"


def machine() -> str:
    """One line that says what ran the benchmark."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}"


def record(name: str, markdown: str, data: dict[str, Any] | None = None) -> Path:
    """Write the section for benchmark ``name`` and print it."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = f"## {name}\n\n_Run {stamp} on {machine()}._\n\n"
    text = header + markdown.strip() + "\n"
    path = RESULTS_DIR / f"{name}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    if data is not None:
        jpath = RESULTS_DIR / f"{name}.json"
        jtmp = jpath.with_suffix(".json.tmp")
        jtmp.write_text(json.dumps({"date": stamp, "machine": machine(), **data}, indent=2, default=str))
        os.replace(jtmp, jpath)
    print(text)
    return path


def assemble() -> Path:
    """Concatenate every results/*.md into RESULTS.md."""
    parts = ["# Benchmark results\n",
             "Written by `make bench` (each `benchmarks/bench_*.py` records its own section). "
             "Numbers are measurements of this code on the machine named in each section, not targets.\n"]
    for p in sorted(RESULTS_DIR.glob("*.md")):
        parts.append(p.read_text())
    out = HERE / "RESULTS.md"
    out.write_text("\n".join(parts))
    return out


if __name__ == "__main__":
    print(assemble(), file=sys.stderr)
