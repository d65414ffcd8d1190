"""The notebook series is stored clean and follows the teaching template (no execution here).

Every notebook: nbformat 4, kernel "python3", no stored outputs or execution counts, a code cell tagged
``parameters`` that sets ``DATA_MODE = "demo"`` and names a real-data alternative (dandi:// or openneuro://),
an exercise whose solution is hidden in ``<details><summary>Solution</summary>``, a references section, and
``pn.extension(inline=True)`` wherever Panel is used (offline JupyterLab / Binder). Execution is CI's
``pytest --nbmake notebooks``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))


def _src(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def test_series_present():
    assert len(NOTEBOOKS) >= 5, f"expected the curated series in {NB_DIR}, found {[p.name for p in NOTEBOOKS]}"
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == sorted(set(numbers)) and numbers[0] == 0


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def nb(request):
    book = nbformat.read(request.param, as_version=4)
    nbformat.validate(book)
    book.path = request.param
    return book


def test_format_and_kernel(nb):
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_no_outputs_stored(nb):
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            assert c.outputs == [], f"{nb.path.name} cell {i} has stored outputs: strip them"
            assert c.execution_count is None, f"{nb.path.name} cell {i} has an execution count"


def test_parameters_cell(nb):
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{nb.path.name}: exactly one cell tagged 'parameters' expected, got {len(tagged)}"
    cell = tagged[0]
    assert cell.cell_type == "code"
    src = _src(cell)
    assert re.search(r'^DATA_MODE\s*=\s*"demo"', src, re.M), f"{nb.path.name}: DATA_MODE must default to 'demo'"
    assert re.search(r"(dandi|openneuro)://", src), f"{nb.path.name}: name the real-data asset URI beside the demo"
    # the parameters cell must come before any cell that reads data
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert nb.cells.index(cell) == first_code, f"{nb.path.name}: the parameters cell must be the first code cell"


def test_opens_with_teaching_text(nb):
    first = nb.cells[0]
    assert first.cell_type == "markdown" and _src(first).lstrip().startswith("# ")
    assert len(_src(first)) > 400, f"{nb.path.name}: open with what the notebook teaches and why"


def test_exercise_with_hidden_solution(nb):
    md = [_src(c) for c in nb.cells if c.cell_type == "markdown"]
    ex = [m for m in md if re.search(r"^#+\s*Exercise", m, re.M)]
    assert ex, f"{nb.path.name}: no '## Exercise' section"
    assert any("<details><summary>Solution</summary>" in m and "</details>" in m for m in ex), \
        f"{nb.path.name}: the exercise's solution must be hidden in <details><summary>Solution</summary>"
    # the solution text is not empty
    body = re.search(r"<summary>Solution</summary>(.*?)</details>", "\n".join(ex), re.S)
    assert body and len(body.group(1).strip()) > 40


def test_references_section(nb):
    refs = [_src(c) for c in nb.cells if c.cell_type == "markdown" and re.search(r"^#+\s*(References|Citations)", _src(c), re.M)]
    assert refs, f"{nb.path.name}: no References section"
    assert re.search(r"\(\d{4}\)", refs[0]), f"{nb.path.name}: references should cite papers with their year"


def test_panel_is_inline(nb):
    code = "\n".join(_src(c) for c in nb.cells if c.cell_type == "code")
    if "import panel" in code:
        assert "pn.extension(inline=True)" in code, f"{nb.path.name}: Panel must load inline (offline JupyterLab)"


def test_no_ground_truth_before_evaluation(nb):
    """gw.demo.truth may only be used to evaluate, and the notebook must say so where it uses it."""
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and "gw.demo.truth(" in _src(c):
            near = _src(c) + "".join(_src(x) for x in nb.cells[max(0, i - 2):i])
            assert re.search(r"evaluation only|EVALUATION ONLY", near, re.I), \
                f"{nb.path.name} cell {i}: say that the ground truth is used for evaluation only"
