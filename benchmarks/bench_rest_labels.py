"""Rest found in vocabularies and tables not seen while writing the vocabulary.

1. **Labels.** Epoch labels / BIDS task names from public datasets, each marked rest or not by hand. Split
   before tuning: the *tuning half* is the lists in ``tests/test_rest_vocabulary.py`` (written while
   editing ``model/labels.py``); the *reporting half* is ``HELD_OUT`` below, written before this script
   first ran and not used to change the vocabulary afterwards. Compared with the two vocabularies the
   project had before (``model/labels`` of the base commit and the substring list of ``apps/_common``).
2. **NWB tables.** pynwb-written files whose rest period is named only in a text column of an intervals
   table (column and table names vary, held out the same way: the tests use phase/stimulus_name/
   condition_label/state/block_type/behavior; here other names). IoU of ``gw.extract_rest`` with the true
   rest window; the base commit's reader is run in a subprocess as the baseline.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_rest_labels.py [BASE_CHECKOUT]`` (BASE_CHECKOUT: a
checkout of the base commit for the baseline rows, default ``/work/main``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import record  # noqa: E402

import glue_widgets as gw  # noqa: E402
from glue_widgets.model.labels import is_rest_label  # noqa: E402

warnings.simplefilter("ignore")

# reporting half: (label, is rest) — Allen Brain Observatory stimulus names, IBL/Steinmetz epochs, OpenNeuro
# BIDS task names, hippocampus sleep/run epochs, human intracranial protocols
HELD_OUT = [
    ("spontaneous", True), ("spontaneous_stimulus", False), ("natural_movie_three", False),
    ("static_gratings", False), ("locally_sparse_noise_4deg", False), ("drifting_gratings_contrast", False),
    ("spontaneous activity", True), ("passive replay", False), ("gabor patches", False),
    ("restingstate", True), ("RestingState", True), ("rest_eyesopen", True), ("restclosed", True),
    ("task-rest_acq-ec", True), ("EyesOpen", True), ("EO1", True), ("fingerfootlips", False),
    ("balloonanalogrisktask", False), ("stopsignal", False), ("visualoddball", False), ("nback", False),
    ("PRE sleep", True), ("POST_sleep", True), ("sleep box", True), ("homecage", True), ("REM", True),
    ("quiet wake", True), ("QW", True), ("run", False), ("maze", False), ("linear track", False),
    ("wake", False), ("exploration", False), ("baseline period", True), ("pre-task rest", True),
    ("post-task rest", True), ("fixation cross", True), ("black screen", True), ("darkness", True),
    ("lights off", True), ("inter-trial interval", False), ("ITI", False), ("intertrial_gray", False),
    ("delay period", False), ("response window", False), ("feedback", False), ("stimulus on", False),
    ("prestimulus", False), ("no-stimulus control", True), ("blank sweep", True),
]

# (table, column, rest value): names not used in tests/test_rest_nwb_columns.py
TABLES = [
    ("trials", "epoch_type", "rest"), ("trials", "task_phase", "spontaneous"), ("session_blocks", "period",
                                                                                 "quiet wakefulness"),
    ("trials", "stim_type", "gray screen"), ("protocol", "segment_name", "eyes closed"),
    ("trials", "context", "home cage"), ("recording_epochs", "condition", "baseline"),
    ("trials", "trial_kind", "spontaneous activity"),
]

OLD_SUBSTRINGS = ("rest", "spontaneous", "spon", "gray screen", "grey screen", "dark", "eyes open",
                  "eyes closed", "eyes-open", "eyes-closed", "eyesclosed", "eyesopen", "task-free")


def old_apps(label: str) -> bool:
    s = str(label).lower().replace("_", " ")
    return any(w in s for w in OLD_SUBSTRINGS)


def old_labels(base: Path):
    src = (base / "glue_widgets/model/labels.py").read_text()
    ns: dict = {"__name__": "old_labels"}
    exec(compile(src, "old_labels.py", "exec"), ns)
    return lambda label: ns["rest_match"](label) is not None


def score(pred, items):
    tp = sum(p and t for p, (_, t) in zip(pred, items))
    fp = sum(p and not t for p, (_, t) in zip(pred, items))
    fn = sum((not p) and t for p, (_, t) in zip(pred, items))
    return {"accuracy": sum(p == t for p, (_, t) in zip(pred, items)) / len(items), "fp": fp, "fn": fn, "tp": tp}


def write_file(path: Path, table: str, column: str, value: str) -> tuple[float, float]:
    """Task rows 0-200 s, rest rows (four consecutive 75-s rows) 200-500 s, task rows 500-900 s."""
    from tests.test_rest_nwb_columns import _write

    rows = [(10.0 * k, 10.0 * k + 8, "go trial") for k in range(20)]
    rows += [(200.0 + 75 * i, 275.0 + 75 * i, value) for i in range(4)]
    rows += [(500.0 + 10 * k, 508.0 + 10 * k, "go trial") for k in range(40)]
    _write(path, table=table, column=column, rows=rows)
    return 200.0, 500.0


OLD_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import glue_widgets as gw
out = []
for p in sys.argv[1:]:
    try:
        c = gw.extract_rest(gw.open(p)).attrs["card"]; out.append([c["start"], c["stop"]])
    except Exception as e:
        out.append(type(e).__name__)
print(json.dumps(out))
"""


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def main(base: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    items = HELD_OUT
    rows = {"this branch (model.labels)": [is_rest_label(x) for x, _ in items],
            "base model.labels": [old_labels(base)(x) for x, _ in items],
            "base apps substrings": [old_apps(x) for x, _ in items],
            "oracle (hand labels)": [t for _, t in items]}
    md = ["### 1. Held-out labels (reporting half)", "",
          f"{len(items)} labels ({sum(t for _, t in items)} rest). fp = called rest but is not; fn = rest missed.", "",
          "| vocabulary | accuracy | false positives | false negatives |", "|---|---|---|---|"]
    res = {}
    for name, pred in rows.items():
        s = score(pred, items)
        res[name] = s
        md.append(f"| {name} | {s['accuracy']:.2f} | {s['fp']} | {s['fn']} |")
    mine = rows["this branch (model.labels)"]
    wrong = [(x, t) for p, (x, t) in zip(mine, items) if p != t]
    md += ["", "Misclassified by this branch: " + (", ".join(f"`{x}` ({'rest' if t else 'not rest'})"
                                                         for x, t in wrong) or "none") + "."]

    with tempfile.TemporaryDirectory() as d:
        paths, truth = [], []
        for i, (table, column, value) in enumerate(TABLES):
            p = Path(d) / f"t{i}.nwb"
            truth.append(write_file(p, table, column, value))
            paths.append(str(p))
        new = []
        for p in paths:
            try:
                c = gw.extract_rest(gw.open(p)).attrs["card"]
                new.append([c["start"], c["stop"]])
            except Exception as exc:  # a miss is a result here
                new.append(type(exc).__name__)
        env = {"PYTHONPATH": str(base), "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin",
               "GLUE_CACHE_DIR": d}
        proc = subprocess.run([sys.executable, "-c", OLD_SCRIPT, *paths], capture_output=True, text=True,
                              env=env, cwd=d, timeout=600)
        old = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else ["failed"] * len(paths)
    md += ["", "### 2. Rest named only in a text column of an intervals table (held-out names)", "",
           "Each file: 60 trial rows with `go trial` and four consecutive 75-s rows with the rest value "
           "([200, 500) s, coverage 0.5). IoU with the true window; `-` = not found.", "",
           "| table | column | value | this branch IoU | base commit |", "|---|---|---|---|---|"]
    ious, olds = [], []
    for (table, column, value), t, a, b in zip(TABLES, truth, new, old):
        ia = iou(tuple(a), t) if isinstance(a, list) else None
        ib = iou(tuple(b), t) if isinstance(b, list) else None
        ious.append(ia or 0.0)
        olds.append(ib or 0.0)
        md.append(f"| {table} | {column} | {value} | {'-' if ia is None else f'{ia:.3f}'} ({a if ia is None else 'found'}) "
                  f"| {'-' if ib is None else f'{ib:.3f}'} ({b if ib is None else 'found'}) |")
    md += ["", f"This branch: median IoU {np.median(ious):.3f}, worst {min(ious):.3f}; base commit: median "
               f"{np.median(olds):.3f}, worst {min(olds):.3f}. Oracle: 1.000."]
    record("rest_labels", "\n".join(md), {"labels": res, "wrong": wrong, "tables": TABLES, "new": new, "old": old})


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/main"))
