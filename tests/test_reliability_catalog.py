"""Catalog reliability (issue #20, findings 4 and 7): atomic adds across real processes, ids that cannot
name a path, and GlueErrors naming the file and the fix for a damaged database, a missing segment file
or a path that cannot hold a catalog."""

from __future__ import annotations

import multiprocessing as mp
import shutil
import sqlite3
import traceback

import numpy as np
import pytest

from glue_widgets.errors import (
    ConflictError,
    CorruptFileError,
    GlueError,
    InvalidInputError,
    NotFoundError,
    StorageError,
)
from glue_widgets.rest.catalog import Catalog
from tests.test_catalog import make_segment

pytest.importorskip("pynwb")


@pytest.fixture(scope="module")
def segs():
    return [make_segment(dur=4.0, seed=s) for s in range(4)]


def _racer(path, seg, worker, barrier, out):
    try:
        cat = Catalog(path)
        barrier.wait(timeout=60)
        cat.add(seg, id="same")
        out.put((worker, "won", ""))
    except GlueError as exc:
        out.put((worker, type(exc).__name__, str(exc)))
    except BaseException as exc:
        out.put((worker, "raw:" + type(exc).__name__, traceback.format_exc()))


def test_racing_adds_of_one_id_keep_the_winner(tmp_path, segs):
    """10 rounds of 2-4 processes adding the same id at the same instant (a barrier releases them)."""
    ctx = mp.get_context("fork")
    for rnd in range(10):
        n = 2 + rnd % 3
        path = tmp_path / f"r{rnd}"
        Catalog(path)
        barrier, out = ctx.Barrier(n), ctx.Queue()
        procs = [ctx.Process(target=_racer, args=(str(path), segs[w], w, barrier, out)) for w in range(n)]
        for p in procs:
            p.start()
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        kinds = sorted(r[1] for r in results)
        assert kinds == ["ConflictError"] * (n - 1) + ["won"], results
        winner = next(w for w, k, _ in results if k == "won")
        assert all("same" in msg and "another" in msg for _, k, msg in results if k != "won")
        cat = Catalog(path)
        assert len(cat) == 1
        got = cat.get("same")                                   # the winner's file survived the losers
        np.testing.assert_allclose(got.values, segs[winner].values, rtol=1e-6, atol=1e-12)
        files = sorted(p.name for p in (path / "segments").iterdir())
        assert len(files) == 1 and not files[0].startswith(".tmp"), files


def test_sequential_duplicate_is_a_conflict_error(tmp_path, segs):
    cat = Catalog(tmp_path / "c")
    cat.add(segs[0], id="a")
    with pytest.raises(ConflictError, match="'a' is already"):
        cat.add(segs[1], id="a")
    np.testing.assert_allclose(cat.get("a").values, segs[0].values, rtol=1e-6, atol=1e-12)
    assert len(list((tmp_path / "c" / "segments").iterdir())) == 1


@pytest.mark.parametrize("bad", ["../../outside/x", "../x", "/tmp/abs", "a/b", "a\\b", "..", ".", "", ".hidden",
                                 "x" * 200, "nul\x00byte", "tab\tid", 123, b"bytes"])
def test_ids_cannot_name_a_path(tmp_path, segs, bad):
    root = tmp_path / "deep" / "cat"
    cat = Catalog(root)
    with pytest.raises(InvalidInputError, match="not a valid catalog id"):
        cat.add(segs[0], id=bad)
    assert len(cat) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "catalog.sqlite"
               and not p.name.startswith("catalog.sqlite-")]
    assert written == [], written


def _filled(tmp_path, segs, ids=("s0", "s1", "s2")):
    path = tmp_path / "cat"
    cat = Catalog(path)
    for i, sid in enumerate(ids):
        cat.add(segs[i], id=sid)
    del cat
    for extra in path.glob("catalog.sqlite-*"):  # checkpointed and closed: the main file is the whole db
        extra.unlink()
    return path


@pytest.mark.parametrize("damage", ["garbage", "half", "first_100_bytes"])
def test_corrupt_or_truncated_database_names_file_and_fix(tmp_path, segs, damage):
    path = _filled(tmp_path, segs)
    db = path / "catalog.sqlite"
    raw = db.read_bytes()
    db.write_bytes({"garbage": b"this is not sqlite " * 300, "half": raw[: len(raw) // 2],
                    "first_100_bytes": raw[:100]}[damage])
    with pytest.raises(CorruptFileError) as info:
        cat = Catalog(path)
        cat.query()
        cat.get("s1")
    assert str(db) in str(info.value) and "rebuild" in str(info.value)
    cat = Catalog.rebuild(path)
    assert sorted(cat.query().id) == ["s0", "s1", "s2"]
    np.testing.assert_allclose(cat.get("s1").values, segs[1].values, rtol=1e-6, atol=1e-12)
    assert list(path.glob("catalog.sqlite.damaged-*"))           # the damaged file is kept for inspection


def test_emptied_database_with_segments_left_is_refused(tmp_path, segs):
    path = _filled(tmp_path, segs)
    (path / "catalog.sqlite").write_bytes(b"")
    with pytest.raises(CorruptFileError, match="holds no catalog table but .* 3 segment files"):
        Catalog(path)
    assert len(Catalog.rebuild(path)) == 3


def test_rebuild_reads_old_style_file_names_and_warns_on_bad_files(tmp_path, segs):
    path = _filled(tmp_path, segs, ids=("s0",))
    f = next((path / "segments").glob("*.nwb"))
    shutil.copy(f, path / "segments" / "old-style.nwb")          # the layout before ids got a tag
    (path / "segments" / "broken.nwb").write_bytes(b"\x89HDF\r\n not really")
    with pytest.warns(UserWarning, match="skipped 1 segment files:\n  broken.nwb"):
        cat = Catalog.rebuild(path)
    assert sorted(cat.query().id) == ["old-style", "s0"]


def test_missing_segment_file_names_file_and_fix(tmp_path, segs):
    path = _filled(tmp_path, segs)
    cat = Catalog(path)
    f = path / cat.query().set_index("id").segment_path["s1"]
    f.unlink()
    with pytest.raises(NotFoundError) as info:
        cat.get("s1")
    msg = str(info.value)
    assert str(f) in msg and "missing on disk" in msg and "cat.remove('s1')" in msg
    cat.remove("s1")
    assert "s1" not in cat and len(cat) == 2
    assert cat.get("s0").sizes["channel"] == 4


def test_truncated_segment_file_is_a_corrupt_file_error(tmp_path, segs):
    path = _filled(tmp_path, segs)
    cat = Catalog(path)
    f = path / cat.query().set_index("id").segment_path["s2"]
    f.write_bytes(f.read_bytes()[:2000])
    with pytest.raises(CorruptFileError, match="s2@"):
        cat.get("s2")


def test_catalog_path_under_a_regular_file(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    for p in (plain, plain / "cat"):
        with pytest.raises(StorageError, match="regular file") as info:
            Catalog(p)
        assert str(p) in str(info.value)


def test_database_that_is_a_folder_is_a_storage_error(tmp_path):
    (tmp_path / "c" / "catalog.sqlite").mkdir(parents=True)
    with pytest.raises(StorageError, match="catalog.sqlite"):
        Catalog(tmp_path / "c")


def test_bad_arguments_are_refused(tmp_path, segs):
    with pytest.raises(InvalidInputError):
        Catalog(123)
    with pytest.raises(InvalidInputError):
        Catalog(tmp_path / "c", timeout=float("nan"))
    cat = Catalog(tmp_path / "c")
    with pytest.raises(InvalidInputError, match="min_duration='abc'"):
        cat.query(min_duration="abc")
    with pytest.raises(InvalidInputError):
        cat.add(segs[0].isel(time=slice(0, 0)))
    with pytest.raises(InvalidInputError, match="not numeric"):
        bad = segs[0].astype(object).copy()
        bad[0, 0] = "text"
        cat.add(bad)
    assert len(cat) == 0 and not list((tmp_path / "c" / "segments").iterdir())


def test_sqlite_errors_never_escape_raw(tmp_path, segs):
    path = _filled(tmp_path, segs)
    cat = Catalog(path)
    con = sqlite3.connect(path / "catalog.sqlite")
    con.execute("DROP TABLE cards")
    con.commit()
    con.close()
    for call in (lambda: len(cat), lambda: cat.query(), lambda: cat.card("s0"), lambda: "s0" in cat):
        with pytest.raises(CorruptFileError):
            call()


@pytest.mark.parametrize("n_time, n_channels", [(1, 1), (30, 1), (1, 3)])
def test_single_channel_or_single_sample_round_trip(tmp_path, n_time, n_channels):
    """Found by the Hypothesis suite: a one-channel segment came back with its id split into characters."""
    from glue_widgets.model import make_timeseries, new_card

    x = make_timeseries(np.arange(n_time * n_channels, dtype=float).reshape(n_time, n_channels),
                        np.arange(n_time) / 20.0, [f"ch{i}" for i in range(n_channels)], modality="lfp", fs=20.0)
    x.attrs["card"] = new_card(start=0.0, stop=n_time / 20.0, modality="lfp", source="mem://one", state="dark",
                               evidence="label", fs=20.0, n_channels=n_channels)
    cat = Catalog(tmp_path / "c")
    back = cat.get(cat.add(x))
    assert back.channel.values.tolist() == [f"ch{i}" for i in range(n_channels)]
    np.testing.assert_allclose(back.values, x.values)


def test_region_names_that_nwb_refuses_are_stored(tmp_path, segs):
    """Found by the Hypothesis suite: a region named '/' or '' made the NWB writer raise a raw ValueError."""
    seg = segs[0].assign_coords(region=("channel", ["a/b", "", "x:y", "a_b"]))
    cat = Catalog(tmp_path / "c")
    back = cat.get(cat.add(seg))
    assert back.coords["region"].values.tolist() == ["a/b", "", "x:y", "a_b"]
