"""gw.widgets: ipywidgets over the dashboards' param models, linked both ways; bad input raises glue errors."""

from __future__ import annotations

import pytest

widgets = pytest.importorskip("ipywidgets")
param = pytest.importorskip("param")
pytest.importorskip("jupyter_bokeh")

import glue_widgets as gw  # noqa: E402
from glue_widgets.errors import GlueError, InvalidInputError  # noqa: E402


class Knobs(param.Parameterized):
    gain = param.Number(1.0, bounds=(0.0, 10.0))
    floor = param.Number(0.5, bounds=(0.0, None))  # open upper bound: a FloatText
    n = param.Integer(3, bounds=(1, 12))
    mode = param.Selector(default="a", objects=["a", "b", "c"])
    picks = param.ListSelector(default=["x"], objects=["x", "y", "z"])
    on = param.Boolean(False)
    window = param.Range((2.0, 4.0), bounds=(0.0, 10.0))
    label = param.String("hi")
    go = param.Event()
    blob = param.Dict({})


def test_controls_make_the_expected_widgets():
    box = gw.widgets.controls(Knobs())
    ws = box.widgets
    assert isinstance(box, widgets.VBox)
    assert isinstance(ws["gain"], widgets.FloatSlider) and (ws["gain"].min, ws["gain"].max) == (0.0, 10.0)
    assert isinstance(ws["floor"], widgets.FloatText)
    assert isinstance(ws["n"], widgets.IntSlider) and ws["n"].value == 3
    assert isinstance(ws["mode"], widgets.Dropdown) and ws["mode"].value == "a"
    assert isinstance(ws["picks"], widgets.SelectMultiple)
    assert isinstance(ws["on"], widgets.Checkbox)
    assert isinstance(ws["window"], widgets.FloatRangeSlider) and ws["window"].value == (2.0, 4.0)
    assert isinstance(ws["label"], widgets.Text)
    assert isinstance(ws["go"], widgets.Button)
    assert "blob" not in ws  # Dict has no natural widget: left out by default


def test_widget_changes_param_and_param_changes_widget():
    m = Knobs()
    ws = gw.widgets.controls(m).widgets
    ws["gain"].value = 7.5
    ws["n"].value = 9
    ws["mode"].value = "c"
    ws["picks"].value = ("y", "z")
    ws["on"].value = True
    ws["window"].value = (1.0, 6.0)
    ws["label"].value = "there"
    assert (m.gain, m.n, m.mode, m.picks, m.on, m.window, m.label) == (7.5, 9, "c", ["y", "z"], True, (1.0, 6.0),
                                                                       "there")
    m.param.update(gain=2.0, n=4, mode="b", picks=["x"], on=False, window=(3.0, 8.0), label="back")
    assert ws["gain"].value == 2.0 and ws["n"].value == 4 and ws["mode"].value == "b"
    assert ws["picks"].value == ("x",) and ws["on"].value is False and ws["window"].value == (3.0, 8.0)
    assert ws["label"].value == "back"


def test_event_button_triggers_the_param():
    m = Knobs()
    seen = []
    m.param.watch(lambda e: seen.append(e.name), "go")
    gw.widgets.controls(m).widgets["go"].click()
    assert seen == ["go"]


def test_selector_options_follow_the_param_objects():
    m = Knobs()
    dd = gw.widgets.controls(m, ["mode"]).widgets["mode"]
    m.param.mode.objects = ["a", "b", "c", "d"]
    m.mode = "d"
    assert [v for _, v in dd.options] == ["a", "b", "c", "d"] and dd.value == "d"


def test_refused_value_reverts_the_widget_and_says_why():
    m = Knobs()
    box = gw.widgets.controls(m, ["floor"])
    box.widgets["floor"].value = -3.0  # below the lower bound 0
    assert m.floor == 0.5 and box.widgets["floor"].value == 0.5
    assert "floor" in box.error.value and "refused" in box.error.value


def test_link_without_handler_raises_a_glue_error():
    m = Knobs()
    t = widgets.FloatText(value=0.5)
    gw.widgets.link(m, "floor", t)
    with pytest.raises(InvalidInputError, match="floor"):
        t.value = -1.0
    assert m.floor == 0.5


def test_bad_inputs_raise_glue_errors():
    with pytest.raises(InvalidInputError, match="Parameterized"):
        gw.widgets.controls({"gain": 1})
    with pytest.raises(InvalidInputError, match="no parameter 'nope'"):
        gw.widgets.controls(Knobs(), ["nope"])
    with pytest.raises(InvalidInputError, match="Dict"):
        gw.widgets.controls(Knobs(), ["blob"])
    with pytest.raises(InvalidInputError, match="list of names"):
        gw.widgets.controls(Knobs(), "gain")
    with pytest.raises(InvalidInputError, match="session URI"):
        gw.widgets.rest_explorer(42)
    with pytest.raises(GlueError):
        gw.widgets.rest_explorer("nosuchscheme://x/y")
    with pytest.raises(InvalidInputError, match="no dashboard"):
        gw.widgets.dashboard("nope")


@pytest.fixture(scope="module")
def toy():
    from glue_widgets.apps.toy import toy_catalog
    return toy_catalog(n_channels=4, fs=50.0)


def test_rest_explorer_is_two_way_over_the_rest_model(toy):
    from jupyter_bokeh import BokehModel

    from glue_widgets.apps.rest import RestModel
    from glue_widgets.apps.toy import TOY_URIS
    box = gw.widgets.rest_explorer(TOY_URIS[0], catalog=toy)
    m, win = box.model, box.widgets["window"]
    assert isinstance(m, RestModel) and isinstance(box.plot, BokehModel)
    assert (win.min, win.max) == m.span and win.value == m.window
    # widget → model → the Panel view redraws (same model, no second state)
    win.value = (100.0, 400.0)
    assert m.window == (100.0, 400.0) and m.summary()["duration_s"] == 300.0
    assert "100.0–400.0 s" in box.view._head.object
    # model → widget
    m.window = (150.0, 450.0)
    assert win.value == (150.0, 450.0)
    # another session from the dropdown: the model re-detects and the slider follows
    box.widgets["uri"].value = TOY_URIS[2]
    assert m.uri == TOY_URIS[2] and win.value == m.window


def test_rest_explorer_on_an_open_session_keeps_it_open():
    from glue_widgets.apps.toy import toy_session
    s = toy_session(n_channels=4, fs=50.0)
    box = gw.widgets.rest_explorer(s)
    assert box.model.rest["start"] is not None and box.model.rest["method"] == "gw.extract_rest"
    assert s.read("lfp", 0.0, 1.0).sizes["time"] == 50  # still usable after the dashboard 'closed' it


def test_dashboard_translation_runs_from_the_button(toy):
    box = gw.widgets.dashboard("translation", catalog=toy, n_cells=2, seconds=10.0)
    assert {"sessions", "run", "n_cells", "seconds"} <= set(box.widgets)
    box.widgets["n_cells"].value = 1
    assert box.model.n_cells == 1
    box.widgets["run"].click()
    assert box.model.error == "" and box.model.result is not None
    assert box.model.result["x"].sizes["channel"] == 1


def test_dashboard_rest_window_slider_spans_the_session(toy):
    box = gw.widgets.dashboard("rest", catalog=toy)
    win, m = box.widgets["window"], box.model
    assert (win.min, win.max) == m.span == (0.0, 900.0) and win.value == m.window
    win.value = (10.0, 610.0)
    assert m.summary()["duration_s"] == 600.0


def test_every_dashboard_has_an_ipywidgets_face(toy):
    from jupyter_bokeh import BokehModel

    from glue_widgets.apps.registry import APPS
    for spec in APPS:
        box = gw.widgets.dashboard(spec.slug, catalog=toy)
        assert isinstance(box.plot, BokehModel) and box.widgets, spec.slug
        src = box.widgets.get("source")
        if src is not None:  # every dashboard lets you pick the source, linked to its model
            assert src.value == box.model.source == "toy"
