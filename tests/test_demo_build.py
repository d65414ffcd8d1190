"""Building the demo corpus: deterministic, atomic, lock-protected, cache locations, valid NWB."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.sources import demo
from glue_widgets.sources.demo import builder

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(small_demo_corpus):
    """The small corpus (tests/conftest.py builds it once per run into a temporary cache)."""
    return small_demo_corpus


def _h5_arrays(path: Path) -> dict[str, np.ndarray]:
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "biuf":
                out[name] = obj[()]
        f.visititems(visit)
    return out


def test_rebuild_gives_identical_arrays(corpus, tmp_path):
    uri = "demo://arbor/m01/day1"
    builder._nwb_job("small", uri, str(tmp_path))  # alone, in another directory, another order
    rel = "nwb/arbor/m01/arbor_m01_day1.nwb"
    a, b = _h5_arrays(corpus / rel), _h5_arrays(tmp_path / rel)
    assert a.keys() == b.keys() and len(a) > 10
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    with np.load(corpus / "truth/arbor_m01_day1.npz") as f, np.load(tmp_path / "truth/arbor_m01_day1.npz") as g:
        assert f.files == g.files
        for k in f.files:
            np.testing.assert_array_equal(f[k], g[k])


def test_rebuild_bids_is_byte_identical(corpus, tmp_path):
    from glue_widgets.sources.demo.forward import leadfields

    hs = demo.corpus.human_subjects("small")
    lf = leadfields([(h.subject, h.hemisphere) for h in hs], cache_dir=corpus.parent)
    builder._human_job("small", "02", str(tmp_path), lf["02"])
    for dt in ("eeg", "ieeg"):
        rel = f"bids/sub-02/{dt}/sub-02_task-rest_{dt}.edf"
        assert (corpus / rel).read_bytes() == (tmp_path / rel).read_bytes()


def test_corpus_dir_env(monkeypatch, tmp_path):
    monkeypatch.delenv("GLUE_DEMO_DIR", raising=False)
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "c"))
    assert demo.corpus_dir("small") == tmp_path / "c" / "demo" / f"v{demo.CORPUS_VERSION}-small"
    monkeypatch.setenv("GLUE_DEMO_DIR", str(tmp_path / "d"))
    assert demo.corpus_dir("default") == tmp_path / "d"
    monkeypatch.delenv("GLUE_DEMO_DIR")
    monkeypatch.delenv("GLUE_CACHE_DIR")
    monkeypatch.setenv("GLUE_DEMO_SIZE", "small")
    assert demo.corpus_dir() == Path.home() / ".cache" / "glue_widgets" / "demo" / f"v{demo.CORPUS_VERSION}-small"
    with pytest.raises(InvalidInputError):
        demo.corpus_dir("huge")


def _fake_build(calls: list):
    def fake(root, size, workers=None, forward_cache=None):
        calls.append(size)
        time.sleep(0.5)
        (Path(root) / "x.txt").write_text("x")
        (Path(root) / "manifest.json").write_text(
            '{"version": "%s", "size": "%s"}' % (demo.CORPUS_VERSION, size))
    return fake


def test_concurrent_builds_wait_for_each_other(monkeypatch, tmp_path):
    calls: list = []
    monkeypatch.setattr(builder, "build_into", _fake_build(calls))
    monkeypatch.setenv("GLUE_DEMO_DIR", str(tmp_path / "corpus"))
    out = []
    th = [threading.Thread(target=lambda: out.append(demo.build("small"))) for _ in range(3)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert calls == ["small"] and len(set(out)) == 1 and (out[0] / "x.txt").is_file()
    demo.build("small", force=True)
    assert calls == ["small", "small"]
    assert not list(tmp_path.glob(".corpus.tmp-*"))


def test_killed_build_leaves_nothing_visible(monkeypatch, tmp_path):
    target = tmp_path / "corpus"
    env = {**os.environ, "GLUE_DEMO_DIR": str(target), "PYTHONPATH": str(REPO)}
    code = "import glue_widgets as gw; gw.demo.build('small')"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not list(tmp_path.glob(".corpus.tmp-*/nwb")):
            time.sleep(0.1)
        assert list(tmp_path.glob(".corpus.tmp-*")), "the build never started writing"
        assert not target.exists()
    finally:
        proc.kill()
        proc.wait()
    assert not target.exists()  # the half-written corpus is not visible under its name
    calls: list = []
    monkeypatch.setattr(builder, "build_into", _fake_build(calls))
    monkeypatch.setenv("GLUE_DEMO_DIR", str(target))
    assert demo.build("small") == target and calls == ["small"]
    assert not list(tmp_path.glob(".corpus.tmp-*"))  # the stale temporary directory was cleaned


def test_nwbinspector_finds_nothing_critical(corpus):
    nwbinspector = pytest.importorskip("nwbinspector")
    from nwbinspector import Importance

    # one file of each kind: spikes + LFP + behaviour, calcium imaging, the 1-hour session
    for rel in ("nwb/arbor/m02/arbor_m02_day0.nwb", "nwb/birch/b02/birch_b02_s1.nwb", "nwb/elm/r01/elm_r01_long.nwb"):
        msgs = [m for m in nwbinspector.inspect_nwbfile(nwbfile_path=str(corpus / rel)) if m is not None]
        bad = [(m.check_function_name, m.message) for m in msgs if m.importance.value >= Importance.CRITICAL.value]
        assert not bad, (rel, bad)


def test_manifest(corpus):
    import json

    man = json.loads((corpus / "manifest.json").read_text())
    assert man["size"] == "small" and man["version"] == demo.CORPUS_VERSION
    assert man["bytes"] > 0 and len(man["session_seconds"]) >= 13
