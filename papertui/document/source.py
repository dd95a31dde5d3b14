"""A paper's Markdown made safe to parse and cut into pieces that parse alone.

Hostile input is bounded here, before markdown-it sees it (see `parse.py` for the rest):
- escape sequences, control and bidi characters are removed (`text.strip_controls`);
- the text is cut at MAX_DOCUMENT_CHARS (at a paragraph break), and the cut is said;
- indentation deeper than MAX_INDENT is flattened (deep nesting by indentation costs markdown-it
  time quadratic in the depth), and a line that opens more than MAX_MARKERS lists or quotes at
  once (`- - - - x`) keeps the first MAX_MARKERS (markdown-it re-scans such a line per level);
- runs of more than MAX_TABLE_ROWS table rows are cut before parsing (~0.1 ms a row), ending in
  a marker row that says how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..text import strip_controls

MAX_DOCUMENT_CHARS = 2_000_000
MAX_INDENT = 64
MAX_MARKERS = 8
MAX_TABLE_ROWS = 2_000
PIECE_CHARS = 12_000  # a section longer than this is split at paragraph breaks too
CUT_ROWS = "\ue000"  # marks where `prepare` cut a table's rows (removed from the input first)

_HEADING_LINE = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_DEEP_INDENT = re.compile(rf"^([ \t]{{{MAX_INDENT}}})[ \t]+", re.MULTILINE)
_MARKER = r"(?:[-*+>]|\d{1,9}[.)])[ \t]+"
_MARKER_RUN = re.compile(rf"^([ \t]*(?:{_MARKER}){{{MAX_MARKERS}}})(?:{_MARKER})+", re.MULTILINE)


def prepare(markdown_text: str) -> tuple[str, str | None]:
    """The text to parse, and the notice to show when it had to be cut."""
    text = strip_controls(markdown_text, keep_newlines=True).replace(CUT_ROWS, "")
    notice = None
    if len(text) > MAX_DOCUMENT_CHARS:
        cut = text.rfind("\n\n", MAX_DOCUMENT_CHARS // 2, MAX_DOCUMENT_CHARS)
        cut = cut if cut > 0 else MAX_DOCUMENT_CHARS
        notice = (
            f"The text is cut here: it is {_size(len(text))} long, and papertui shows the first "
            f"{_size(cut)}. The whole paper is in the PDF."
        )
        text = text[:cut]
    if "\t" in text:
        text = text.expandtabs(4)
    text = _DEEP_INDENT.sub(r"\1", text)
    text = _MARKER_RUN.sub(r"\1", text)
    if text.count("\n|") > MAX_TABLE_ROWS:
        text = _cut_table_rows(text)
    return text, notice


def _cut_table_rows(text: str) -> str:
    """Runs of more than MAX_TABLE_ROWS table rows cut to that, ending in a row that says how
    many rows were left out (markdown-it would otherwise parse them all: ~0.1 ms a row)."""
    out: list[str] = []
    run = 0
    cut = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip(" ").startswith("|"):
            run += 1
            if run > MAX_TABLE_ROWS + 2:  # the head and its delimiter row, then the rows
                cut += 1
                continue
        else:
            if cut:
                out.append(f"| {CUT_ROWS}{cut} |\n")
            run = cut = 0
        out.append(line)
    if cut:
        out.append(f"| {CUT_ROWS}{cut} |\n")
    return "".join(out)


def _size(chars: int) -> str:
    return (
        f"{chars / 1_000_000:.1f} million characters"
        if chars >= 100_000
        else f"{chars:,} characters"
    )


def pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """The text in pieces that parse alone as they parse together: cut before a heading, or,
    in a long section, at a blank line before an unindented line; never in code or math."""
    start = 0
    position = 0
    fence: str | None = None
    in_math = False
    blank = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                fence = None
        elif in_math:
            if "$$" in line or not stripped:
                in_math = False
        elif match := _FENCE.match(line):
            fence = match.group(1)
        elif stripped.startswith("$$"):
            in_math = "$$" not in stripped[2:]
        elif position > start and (
            _HEADING_LINE.match(line)
            or (blank and position - start >= size and stripped and not line[0].isspace())
        ):
            yield text[start:position]
            start = position
        blank = not stripped
        position += len(line)
    if start < len(text):
        yield text[start:]


def paragraphs(text: str) -> list[str]:
    parts = re.split(r"\n[ \t]*\n", text)
    return [part + "\n" for part in parts if part.strip()]
