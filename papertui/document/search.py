"""Searching inside one paper: hits in the blocks' text, mapped onto the laid-out lines.

The search runs over each block's text (not over wrapped lines), so a phrase that wraps onto
the next line is still found; `Layout` maps a hit back to the lines it spans.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from .layout import Layout, Line, Run
from .model import Document, Heading

MAX_HITS = 10_000


@dataclass(frozen=True, slots=True)
class Hit:
    block: int
    start: int
    end: int


def pattern(query: str) -> re.Pattern[str] | None:
    """The words as typed, case-insensitive, any run of spaces matching any run of spaces."""
    words = query.split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(word) for word in words), re.IGNORECASE)


def find(document: Document, query: str, limit: int = MAX_HITS) -> list[Hit]:
    wanted = pattern(query)
    if wanted is None:
        return []
    hits: list[Hit] = []
    for index, block in enumerate(document.blocks):
        for match in wanted.finditer(block.text):
            if match.end() > match.start():
                hits.append(Hit(index, match.start(), match.end()))
                if len(hits) >= limit:
                    return hits
    return hits


def line_of_hit(layout: Layout, hit: Hit) -> int:
    """The line where a hit starts (the block's first line when it cannot be placed)."""
    first = layout.line_of(hit.block)
    end = layout.starts[hit.block + 1] if hit.block + 1 < len(layout.starts) else len(layout.lines)
    for y in range(first, end):
        for text, _style, source, _link in layout.lines[y]:
            if source >= 0 and source <= hit.start < source + len(text):
                return y
    return first


def marked(line: Line, ranges: list[tuple[int, int, str]]) -> Line:
    """The line with the parts of its runs that fall in `ranges` (start, end, extra style in
    the block's text) restyled: the search hits, drawn over whatever style they had."""
    if not ranges:
        return line
    out: list[Run] = []
    for text, style, source, link in line:
        if source < 0 or not text:
            out.append((text, style, source, link))
            continue
        end = source + len(text)
        cursor = source
        for start, stop, extra in ranges:
            if stop <= cursor or start >= end:
                continue
            a, b = max(start, cursor), min(stop, end)
            if a > cursor:
                out.append((text[cursor - source : a - source], style, cursor, link))
            out.append((text[a - source : b - source], f"{style} {extra}".strip(), a, link))
            cursor = b
        if cursor < end:
            out.append((text[cursor - source :], style, cursor, link))
    return tuple(out)


def section_at(headings: list[Heading], block: int) -> Heading | None:
    """The heading a block is under (the last one at or before it)."""
    index = bisect_right([h.block for h in headings], block) - 1
    return headings[index] if index >= 0 else None
