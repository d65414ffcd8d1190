"""pyproject.toml, the lock, environment.yml and the Binder config must name the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# conda-forge spells a few packages differently from PyPI
CONDA_TO_PYPI = {"mne-base": "mne", "dask-core": "dask", "matplotlib-base": "matplotlib"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return _norm(re.split(r"[\s\[<>=!~;]", req.strip(), maxsplit=1)[0])


def _pyproject() -> tuple[set[str], dict[str, set[str]]]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = {_req_name(r) for r in data["dependencies"]}
    extras = {k: {_req_name(r) for r in v} for k, v in data["optional-dependencies"].items()}
    return core, extras


def _pinned(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            names.add(_req_name(line))
    return names


def _environment_yml() -> set[str]:
    names, in_pip = set(), False
    for raw in (REPO / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip().startswith("- "):
            continue
        item = line.strip()[2:].strip()
        if item == "pip:":
            in_pip = True
            continue
        if item.startswith("-e") or item in {"pip", "conda-forge"} or item.startswith("python="):
            continue
        name = _req_name(item)
        names.add(_norm(CONDA_TO_PYPI.get(name, name)))
    return names


def test_lock_pins_every_declared_package():
    core, extras = _pyproject()
    lock = _pinned(REPO / "requirements" / "lock.txt")
    missing = (core | extras["test"] | extras["binder"]) - lock
    assert not missing, f"requirements/lock.txt lacks {sorted(missing)}: run `make lock`"


def test_environment_yml_names_the_same_packages():
    core, extras = _pyproject()
    declared = core | extras["test"] | extras["binder"]
    env = _environment_yml()
    assert declared - env == set(), f"environment.yml lacks {sorted(declared - env)}"
    assert env - declared == set(), f"environment.yml has extras not in pyproject: {sorted(env - declared)}"


def test_binder_installs_runtime_and_proxy():
    core, extras = _pyproject()
    binder = _pinned(REPO / "binder" / "requirements.txt")
    missing = (core | extras["binder"]) - binder
    assert not missing, f"binder/requirements.txt lacks {sorted(missing)}: run `make lock`"
    post = (REPO / "binder" / "postBuild").read_text()
    assert "pip install" in post and "-e ." in post


@pytest.mark.parametrize("extra", ["test", "binder"])
def test_extras_exist(extra):
    _, extras = _pyproject()
    assert extras[extra]
