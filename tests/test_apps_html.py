"""No script injection: text from a URL, a file or a user never becomes HTML in a dashboard."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from glue_widgets.apps._html import code, escape_text, preformatted

ATTACKS = ['<img src=x onerror=alert(1)>', '"><script>alert(1)</script>', "[click](javascript:alert(1))",
           "![x](https://evil.example/x.png)", "`code` *em* _em_ $x$", "<a href='x'>y</a>", "&lt;img&gt;"]


def _rendered(md: str) -> str:
    """The HTML Panel sends for a Markdown pane holding ``md``."""
    import html

    import panel as pn
    return html.unescape(pn.pane.Markdown(md)._transform_object(md)["object"])  # (Panel escapes it for the model)


@pytest.mark.parametrize("text", ATTACKS)
def test_escaped_text_renders_as_text(text):
    esc = escape_text(text)
    assert "<" not in esc and ">" not in esc and '"' not in esc
    html = _rendered(f"**Session:** {esc} and {code(text)}")
    tags = _tags(html)
    assert {t for t, _ in tags} <= {"p", "strong", "code"}, tags  # only the template's own tags
    assert all(not attrs for _, attrs in tags), tags                # no attribute (onerror, href, src)


def _tags(html: str) -> list[tuple[str, list]]:
    from html.parser import HTMLParser

    out = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            out.append((tag, attrs))

    P().feed(html)
    return out


def test_escape_keeps_ordinary_text_readable_and_bounded():
    assert escape_text("demo://arbor/m01/day0 (12.5 s)") == "demo&#58;//arbor/m01/day0 &#40;12.5 s&#41;"
    assert escape_text(None) == "" and escape_text(3.5) == "3.5"
    assert escape_text("a\nb\x00c") == "a b c"
    assert escape_text("x" * 1000, max_len=10) == "x" * 10 + "…"
    assert preformatted("<b>\nline 2").startswith("<pre>&#60;b&#62;<br>line 2")


def test_refused_deep_link_is_shown_escaped():
    from glue_widgets.apps._page import apply_deeplink
    from glue_widgets.apps.browser import Browser, BrowserModel
    from glue_widgets.apps.toy import toy_catalog
    m = BrowserModel(catalog=toy_catalog(), use_rest_analysis=False)
    view = Browser(m)
    apply_deeplink(m, {"session": '<img src=x onerror="alert(document.domain)">'})
    assert "refused" in m.message and "<img" in m.message  # the model keeps the raw text...
    assert "<img" not in view._message.object          # ...the page shows it escaped
    assert "<img" not in _rendered(view._message.object)


def test_stream_named_like_html_is_escaped_in_the_title():
    from glue_widgets.apps.browser import Browser, BrowserModel
    from glue_widgets.apps.listing import MappingListing
    from glue_widgets.model import ArraySession, make_timeseries
    name = "<img src=x onerror=alert(1)>"
    t = np.arange(1000) / 100.0
    x = make_timeseries(np.random.default_rng(0).standard_normal((1000, 2)), t, channels=["a", "b"],
                        modality="lfp", fs=100.0, units="V")
    ep = pd.DataFrame({"start": [0.0], "stop": [5.0], "label": ["<b>rest</b>"]})
    cat = MappingListing({"toy": {"toy://x": lambda: ArraySession("toy://x", signals={name: x}, epochs=ep)}})
    m = BrowserModel(catalog=cat, use_rest_analysis=False)
    view = Browser(m)
    assert m.stream == name
    assert "<img" not in view._title.object and "&#60;img" in view._title.object
    assert "<b>" not in view._rest_md.object


def test_every_face_pane_with_data_goes_through_the_helper():
    """No f-string Markdown/Alert pane in apps/ interpolates a value without the helper (a lint)."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "glue_widgets" / "apps"
    bad = []
    for p in root.glob("*.py"):
        for i, line in enumerate(p.read_text().splitlines(), 1):
            if re.search(r"pane\.(Markdown|Alert|HTML)\(f[\"']", line):
                for expr in re.findall(r"\{([^{}:!]+)(?:[:!][^{}]*)?\}", line):
                    if not re.match(r"\s*(escape_text|code|preformatted)\(", expr) and not re.search(
                            r"(\d|float|int|len|round|\.(start|stop|improvement|r2_mean)|pct|rel|err\[)", expr):
                        bad.append(f"{p.name}:{i}: {{{expr}}}")
    assert not bad, bad
