"""Rest extraction and baseline comparison on the demo corpus (skipped while gw.demo is absent).

Uses the corpus size of ``GLUE_DEMO_SIZE`` (default "small" here, built once into the cache).
Ground truth is read for evaluation only.
"""

from __future__ import annotations

import os
import warnings

import pytest

import glue_widgets as gw
from glue_widgets.errors import NotFoundError

demo = pytest.importorskip("glue_widgets.sources.demo")
if not all(hasattr(demo, n) for n in ("list", "truth", "build")):
    pytest.skip("gw.demo is not complete yet (needs list, truth, build)", allow_module_level=True)

SIZE = os.environ.get("GLUE_DEMO_SIZE", "small")
KNOWN_SMALL: dict[str, float] = {}  # every session must reach IoU >= 0.9 in both sizes


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


@pytest.fixture(scope="module")
def corpus():
    old = os.environ.get("GLUE_DEMO_SIZE")
    os.environ["GLUE_DEMO_SIZE"] = SIZE
    try:
        demo.build(size=SIZE)
        yield [u for u in demo.list(include_real=False)]
    finally:
        if old is None:
            os.environ.pop("GLUE_DEMO_SIZE", None)
        else:
            os.environ["GLUE_DEMO_SIZE"] = old


def test_rest_windows_match_truth_in_every_session(corpus):
    evidence = set()
    for uri in corpus:
        s = gw.open(uri)
        truth = demo.truth(uri).get("rest_epochs") or []
        if not truth:
            with pytest.raises(NotFoundError):
                gw.extract_rest(s)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seg = gw.extract_rest(s)
        c = seg.attrs["card"]
        best = max(iou((c["start"], c["stop"]), (a, b)) for a, b, *_ in truth)
        bar = KNOWN_SMALL.get(uri, 0.9) if SIZE == "small" else 0.9
        assert best >= bar, (uri, c["start"], c["stop"], truth)
        evidence.add(c["state"]["evidence"])
        # every true rest epoch is among the candidates when rest is labelled
        if c["state"]["evidence"] == "epochs":
            cands = gw.find_rest_candidates(s)
            for a, b, *_ in truth:
                assert max(iou((r.start, r.stop), (a, b)) for r in cands.itertuples()) >= 0.9
        assert c["species"] and c["provenance"]["source"] == uri
    assert "behavior" in evidence and "epochs" in evidence


def test_behaviour_only_lab_has_no_rest_labels(corpus):
    uri = next(u for u in corpus if "/birch/" in u)
    s = gw.open(uri)
    assert not any(gw.rest.classify_label(lab) == "rest" for lab in s.epochs.label)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = gw.extract_rest(s).attrs["card"]
    assert c["state"]["evidence"] == "behavior" and c["state"]["inferred"] == "still"
    assert "running_speed" in c["arousal"]


def test_compare_baselines_on_demo_eeg(corpus):
    uri = next(u for u in corpus if u.endswith("/rest/eeg"))
    s = gw.open(uri)
    (a0, a1, *_), (b0, b1, *_) = demo.truth(uri)["rest_epochs"][:2]
    L = min(a1 - a0, b1 - b0) / 2
    same = gw.compare_baselines(s.read("eeg", a0, a0 + L), s.read("eeg", a0 + L, a0 + 2 * L))
    diff = gw.compare_baselines(s.read("eeg", a0, a0 + L), s.read("eeg", b0, b0 + L))
    assert 0.8 < same["covariance"]["ratio"] < 1.25
    assert diff["covariance"]["ratio"] > 2 * same["covariance"]["ratio"]
    assert diff["covariance"]["p_value"] < 0.05 and diff["spectral"]["ratio"] > 1.25  # effect floor (#21)
    assert diff["different"] and same["same_state"]


def test_eyes_open_and_closed_inferred_on_demo_eeg(corpus):
    for uri in [u for u in corpus if u.endswith("/rest/eeg")]:
        s = gw.open(uri)
        cands = gw.find_rest_candidates(s)
        cands = cands[cands.state.isin(["eyes-open fixation", "eyes-closed rest"])].reset_index(drop=True)
        assert len(cands) == 2
        for i in range(2):
            order = [i, 1 - i]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                st = gw.extract_rest(s, candidates=cands.iloc[order].reset_index(drop=True)).attrs["card"]["state"]
            want = "eyes closed" if "closed" in st["definition"] else "eyes open"
            assert st["inferred"].startswith(want), (uri, st)
