"""Analysis dashboards, headless: press Run on toy sessions, check results and views update."""

from __future__ import annotations

import numpy as np
import pytest

pn = pytest.importorskip("panel")

from glue_widgets.apps.toy import TOY_URIS, toy_catalog  # noqa: E402


@pytest.fixture(scope="module")
def cat():
    return toy_catalog(n_channels=6, fs=100.0)


def _run(mod_name, cat, **params):
    import importlib
    mod = importlib.import_module(f"glue_widgets.apps.{mod_name}")
    app = mod.create_app(catalog=cat, **params)
    m = app.gw_model
    m.param.trigger("run")
    assert m.error == "", m.error
    assert m.result is not None and m.status == "done"
    return app, m


def test_alignment_runs_and_reports(cat):
    app, m = _run("alignment", cat, n_components=2)
    r = m.result
    assert len(r["after"]) == len(m.sessions) == 2 and r["after"][0].shape[1] == 2
    assert {"procrustes_before", "procrustes_after", "cka_after"} <= set(r["table"][0])
    assert "Identifiability" in r["identifiability"] or r["identifiability"]
    assert any(isinstance(o, pn.pane.HoloViews) for o in app.gw_view._out[0].objects)


def test_baselines_spon1_vs_spon2(cat):
    app, m = _run("baselines", cat, sessions=[TOY_URIS[0]])
    r = m.result
    assert r["labels"] == ["spontaneous gray screen", "spontaneous dark"]
    # the toy's dark state has 2.5x the noise: the comparison must call them different
    assert r["cmp"]["different"] and r["effects"] is not None


def test_errormap_heatmap_and_click(cat):
    app, m = _run("errormap", cat, sessions=list(TOY_URIS))
    E = m.result["E"]
    assert E.shape == (3, 3) and np.isfinite(np.asarray(E.values)[~np.eye(3, dtype=bool)]).all()


def test_translation_infers_spikes(cat):
    app, m = _run("translation", cat, n_cells=2, seconds=20.0)
    r = m.result
    assert np.asarray(r["r"]).shape == r["x"].shape == (600, 2)


def test_rest_adjust_and_card(cat):
    from glue_widgets.apps.rest import create_app
    app = create_app(catalog=cat)
    m = app.gw_model
    assert m.rest["start"] is not None and m.window[0] == pytest.approx(m.rest["start"])
    m.window = (100.0, 400.0)
    s = m.summary()
    assert s["duration_s"] == 300.0 and 0 < s["overlap_with_detected_s"] <= 300.0
    assert "your window" in app.gw_view._head.object and "100.0" in app.gw_view._head.object


def test_missing_analysis_is_honest(cat):
    from glue_widgets.apps._analysis import AnalysisModel, AnalysisView

    class Missing(AnalysisModel):
        analysis_target = "glue_widgets.not_there:thing"

    m = Missing(catalog=cat)
    v = AnalysisView(m)
    m.param.trigger("run")
    assert m.result is None and "not available yet" in m.error
    assert "not available yet" in v._out[0].object
