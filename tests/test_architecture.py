"""The house rules of the package layout (README "Where to find what"), checked from the source.

- the package root holds only the public face: ``__init__``, ``errors``, ``cli``, ``_version``;
- imports flow one way: faces (apps, widgets, cli) -> analysis verbs (rest, align, translate, errormap,
  evidence) -> model; sources -> model; ``simulate`` (the one home of generators) sits on the model;
- dashboards import the analysis they call directly (no dotted strings resolved at run time);
- a file longer than ~450 lines says why in its opening docstring.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "glue_widgets"

ROOT_FILES = {"__init__.py", "errors.py", "cli.py", "_version.py"}
ANALYSIS = {"rest", "align", "translate", "errormap", "evidence"}
FACES = {"apps", "widgets", "cli"}
BASE = {"errors", "_version"}
# what each layer may import from inside the package (faces may import anything)
ALLOWED = {
    "model": BASE | {"model"},
    "simulate": BASE | {"model", "simulate"},
    "sources": BASE | {"model", "simulate", "sources"},
    **{verb: BASE | {"model", "simulate"} | ANALYSIS for verb in ANALYSIS},
}
MAX_LINES = 450


def _modules():
    for f in sorted(PKG.rglob("*.py")):
        yield f, f.relative_to(PKG)


def _package_imports(path: Path, rel: Path):
    """(line, imported glue_widgets.* module) for every import in the file, relative ones resolved."""
    parts = ["glue_widgets", *rel.with_suffix("").parts]
    pkg = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                mods = [".".join(base + [node.module])] if node.module else [".".join(base + [a.name]) for a in node.names]
            else:
                mods = [node.module or ""]
        elif isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        else:
            continue
        for m in mods:
            if m.startswith("glue_widgets"):
                yield node.lineno, m


def test_root_holds_only_the_public_face():
    loose = sorted(p.name for p in PKG.glob("*.py") if p.name not in ROOT_FILES)
    assert not loose, f"modules loose at the package root (move them into their verb's folder): {loose}"


def test_imports_flow_downward():
    bad = []
    for path, rel in _modules():
        layer = rel.parts[0].removesuffix(".py")
        allowed = ALLOWED.get(layer)
        if allowed is None:  # faces and the root public face compose everything
            assert layer in FACES | {"__init__", "errors", "_version", "data"}, f"unknown layer {layer}"
            continue
        for line, mod in _package_imports(path, rel):
            target = mod.split(".")[1] if "." in mod else "<root>"
            if target not in allowed:
                bad.append(f"{rel}:{line} ({layer}) imports {mod}")
    assert not bad, "imports that run upward or sideways:\n" + "\n".join(bad)


def _string_constants(tree: ast.AST):
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_faces_import_analysis_directly():
    bad = []
    for path, rel in _modules():
        if rel.parts[0] not in {"apps", "widgets"}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _string_constants(tree):
            head = node.value.split(":")[0]
            if head.startswith("glue_widgets.") and head.split(".")[1] in ANALYSIS:
                bad.append(f"{rel}:{node.lineno} {node.value!r}")
    assert not bad, "analysis named by a dotted string in a face (import it instead):\n" + "\n".join(bad)


def test_long_files_say_why():
    bad = []
    for path, rel in _modules():
        text = path.read_text(encoding="utf-8")
        n = text.count("\n")
        if n <= MAX_LINES:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "long" not in doc.lower():
            bad.append(f"{rel} ({n} lines)")
    assert not bad, (f"files over {MAX_LINES} lines whose opening docstring does not say why they are long "
                     "(split them by mechanism, or say why not):\n" + "\n".join(bad))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_folders_exist(layer):
    assert (PKG / layer / "__init__.py").is_file()
