"""A paper's full text for the command line: plain text (piped, `--plain`) or text with SGR
styles for a terminal. Either way nothing from the document can reach the terminal as an
escape: the text was cleaned when parsed, and the only escapes written are the styles' own.
"""

from __future__ import annotations

from collections.abc import Iterator

from .layout import Line, lay_out, plain_lines
from .model import Document
from .parse import Builder

# SGR parameters per style name; a run's style is the names it carries, space-separated.
SGR: dict[str, str] = {
    "title": "1",
    "h1": "1",
    "h2": "1",
    "h3": "1",
    "h4": "1;3",
    "strong": "1",
    "em": "3",
    "s": "9",
    "code": "36",
    "link": "4;34",
    "link-num": "2",
    "math": "3",
    "math-src": "2",
    "math-label": "2",
    "caption": "3",
    "figure": "3",
    "figure-mark": "2",
    "notice": "33",
    "notice-bar": "33",
    "quote-bar": "2",
    "marker": "1",
    "table-head": "1",
    "table-rule": "2",
    "rule": "2",
    "code-more": "2",
    "footnote-ref": "",
}
_COLOURS = {"30", "31", "32", "33", "34", "35", "36", "37"}


def document_lines(document: Document, width: int) -> list[Line]:
    return lay_out(document, width).lines


def plain_text(
    markdown: str, width: int, *, fallback: bool = False, pdf_url: str | None = None
) -> str:
    """The whole document as plain text wrapped to `width`, with the link list at the end."""
    document = Builder(markdown, fallback=fallback, pdf_url=pdf_url).run()
    lines = list(plain_lines(document_lines(document, width)))
    return "\n".join([*lines, *_link_list(document)]) + "\n"


def styled_text(
    markdown: str,
    width: int,
    *,
    fallback: bool = False,
    pdf_url: str | None = None,
    colour: bool = True,
) -> str:
    """The same, with SGR styles (bold, italic, dim, underline; colours unless `colour` is off,
    as NO_COLOR asks)."""
    document = Builder(markdown, fallback=fallback, pdf_url=pdf_url).run()
    out = [_sgr_line(line, colour) for line in document_lines(document, width)]
    return "\n".join([*out, *_link_list(document)]) + "\n"


def _sgr_line(line: Line, colour: bool) -> str:
    parts: list[str] = []
    for text, style, _source, _link in line:
        codes = _codes(style, colour)
        parts.append(f"\x1b[{codes}m{text}\x1b[0m" if codes and text.strip() else text)
    return "".join(parts).rstrip()


def _codes(style: str, colour: bool) -> str:
    codes: list[str] = []
    for name in style.split():
        for code in SGR.get(name, "").split(";"):
            if code and code not in codes and (colour or code not in _COLOURS):
                codes.append(code)
    return ";".join(codes)


def _link_list(document: Document) -> Iterator[str]:
    if not document.links:
        return
    yield ""
    yield "Links"
    for link in document.links:
        refused = "" if link.openable else "  (not an http(s) link)"
        yield f"[{link.number}] {link.url}{refused}"
