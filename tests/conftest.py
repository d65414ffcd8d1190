"""Shared fixtures: paths to the real recordings beside the repository, a per-run demo corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GLUE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real recordings for development); tests needing it skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not found at {SHARED_DATA}; set GLUE_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(scope="module")
def small_demo_corpus(tmp_path_factory):
    """The small demo corpus in a per-run temporary cache: built once, shared by every module that asks.

    The cache variables are set only while the requesting module runs, so other tests keep their own.
    """
    from glue_widgets.sources import demo

    base = tmp_path_factory.getbasetemp() / "glue-demo-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLUE_CACHE_DIR", str(base))
        mp.setenv("GLUE_DEMO_SIZE", "small")
        mp.delenv("GLUE_DEMO_DIR", raising=False)
        yield demo.build()
