"""The one escaping helper of the faces: text from a URL, a file or a user never becomes HTML.

Panel's ``Markdown`` and ``Alert`` panes render Markdown *and* raw HTML, so a session name, a stream
name, an epoch label, a RestCard field or an error message that quotes any of them must be escaped
before it reaches a pane. :func:`escape_text` turns such text into HTML character references:
the page shows the characters, the browser never parses them as tags, attributes or Markdown
(links, emphasis, code spans). :func:`code` shows an escaped value in a ``<code>`` box (never put
untrusted text between Markdown backticks: a code span would show the entities literally).

Bokeh titles, axis labels and legends are drawn as plain text on the canvas and need nothing;
``pn.pane.DataFrame`` escapes its cells itself (pandas ``to_html(escape=True)``).
"""

from __future__ import annotations

__all__ = ["code", "escape_text", "preformatted"]

# HTML's five, the Markdown punctuation that makes links, images, emphasis, code spans, tables and
# math (KaTeX), and ":" (Panel's Markdown turns a bare "https://..." into a link); each becomes a
# numeric character reference. Plain punctuation (- . = / #) stays.
_SPECIAL = set('&<>"\'`*_[]()|$\\:')


def escape_text(value: object, max_len: int | None = 500) -> str:
    """``value`` as text that Markdown and HTML panes show verbatim (no tag, link or emphasis).

    Parameters
    ----------
    value : object
        Anything; ``str(value)`` is escaped (``None`` gives ``""``).
    max_len : int or None
        Longer text is cut to this many characters and ends with ``…`` (a deep link or a file name
        cannot flood the page); ``None`` keeps everything.

    Returns
    -------
    str
        The text with ``& < > " '`` and the Markdown punctuation as numeric character references,
        control characters replaced by spaces.

    Examples
    --------
    >>> escape_text('<img src=x onerror=alert(1)>')
    '&#60;img src=x onerror=alert&#40;1&#41;&#62;'
    >>> escape_text("rest_1")
    'rest&#95;1'
    """
    if value is None:
        return ""
    s = str(value)
    if max_len is not None and len(s) > max_len:
        s = s[:max_len] + "…"
    out = []
    for ch in s:
        if ch in _SPECIAL:
            out.append(f"&#{ord(ch)};")
        elif ch in "\n\r\t" or (ord(ch) < 32) or ord(ch) == 127:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def code(value: object, max_len: int | None = 200) -> str:
    """``value`` escaped inside ``<code>…</code>`` (the safe replacement of a Markdown code span).

    Examples
    --------
    >>> code("demo://arbor/m01/day0")
    '<code>demo&#58;//arbor/m01/day0</code>'
    """
    return f"<code>{escape_text(value, max_len)}</code>"


def preformatted(text: object) -> str:
    r"""Multi-line text from data (a summary, a report) escaped inside ``<pre>``, lines kept.

    Examples
    --------
    >>> preformatted("a < b\n\nc")
    '<pre>a &#60; b<br>&#32;<br>c</pre>'
    """
    lines = [escape_text(line, None) or "&#32;" for line in str(text).splitlines()]
    return "<pre>" + "<br>".join(lines) + "</pre>"
