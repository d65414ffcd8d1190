"""The index page listing every dashboard (a static, offline page: no fonts or scripts from a CDN)."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from .registry import APPS

__all__ = ["index_html", "write_index"]


def index_html(apps=APPS) -> str:
    """HTML of the index page; links are relative so it works behind a prefix (Binder, hubs)."""
    cards = "\n".join(
        f'<li class="card"><a href="./{a.slug}" id="gw-app-{a.slug}"><h3>{html.escape(a.title)}</h3></a>'
        f"<p>{html.escape(a.description)}</p><code>/{a.slug}</code></li>" for a in apps)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>glue_widgets dashboards</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: "Segoe UI", Arial, Helvetica, sans-serif; margin: 0; background: #f4f6f8; }}
header {{ background: #1f3b57; color: white; padding: 18px 32px; }}
header p {{ margin: 4px 0 0 0; color: #cfe3ff; }}
ul {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: 1.2rem;
     list-style: none; padding: 24px 32px; margin: 0; }}
.card {{ background: white; border-radius: 6px; padding: 12px 18px; box-shadow: 0 1px 4px rgba(0,0,0,.2); }}
.card h3 {{ margin: 4px 0; color: #1f3b57; }} .card a {{ text-decoration: none; }}
.card p {{ color: #333; }} code {{ color: #777; }}
</style></head>
<body><header><h1 style="margin:0">glue_widgets dashboards</h1>
<p>Rest segments as adhesive dots: browse, extract, align, translate and compare recordings.</p></header>
<ul>
{cards}
</ul></body></html>
"""


def write_index(directory: str | Path | None = None) -> Path:
    """Write the index page (a template for ``panel serve --index``) and return its path."""
    d = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="gw-index-"))
    d.mkdir(parents=True, exist_ok=True)
    p = d / "index.html"
    p.write_text(index_html())
    return p
