"""The document laid out into wrapped lines for one width: what a face draws, line by line.

Each line is a tuple of runs `(text, style, source, link)`: `source` is where the run's text
starts in its block's searchable text (`Block.text`), -1 for what the layout adds (bullets,
bars, padding), so a search hit found in the block's text maps onto the lines it landed on.

Layout depends only on the width, never on the terminal: centering is the face's business.
It is incremental: `Layout.extend` lays out the blocks a lazy parse added since the last call.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from .cells import Measure, cell_len, cut_to_cells
from .model import Block, Document, Kind, Span, Table

Run = tuple[str, str, int, int]  # text, style, source offset (-1: none), link number
Line = tuple[Run, ...]

MIN_WIDTH = 20
MAX_DEPTH_SHOWN = 8  # deeper lists are indented no further
_WORD = re.compile(r"[^ ]+")  # only spaces break lines (not no-break spaces)
_BULLET_WIDTH = 2


@dataclass
class Layout:
    width: int
    measure: Measure = cell_len
    lines: list[Line] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)  # the block of each line
    starts: list[int] = field(default_factory=list)  # each block's first line (its blank included)
    heads: list[int] = field(default_factory=list)  # each block's first line of content

    @property
    def blocks(self) -> int:
        return len(self.starts)

    def extend(self, document: Document) -> Layout:
        """Lay out the blocks added to `document` since the last call (in place)."""
        blocks = document.blocks
        for index in range(len(self.starts), len(blocks)):
            block = blocks[index]
            self.starts.append(len(self.lines))
            if index and _gap_before(blocks[index - 1], block):
                self._add(index, ())
            self.heads.append(len(self.lines))
            for line in block_lines(block, self.width, self.measure):
                self._add(index, line)
        return self

    def _add(self, block: int, line: Line) -> None:
        self.lines.append(line)
        self.owners.append(block)

    def block_at(self, line: int) -> int:
        """The block a line belongs to (0 for an empty layout)."""
        if not self.owners:
            return 0
        return self.owners[max(0, min(line, len(self.owners) - 1))]

    def line_of(self, block: int) -> int:
        """The first line of content of a block (or the end, for a block not laid out)."""
        if 0 <= block < len(self.heads):
            return self.heads[block]
        return len(self.lines)

    def text(self, line: int) -> str:
        return "".join(run[0] for run in self.lines[line])


def lay_out(document: Document, width: int, measure: Measure = cell_len) -> Layout:
    return Layout(max(width, MIN_WIDTH), measure).extend(document)


def _gap_before(before: Block, block: Block) -> bool:
    """A blank line between blocks, except inside a list and between footnotes."""
    if block.depth and before.depth and block.kind is not Kind.HEADING:
        return False
    if block.kind is Kind.FOOTNOTE and before.kind is Kind.FOOTNOTE:
        return False
    return True


# ---- one block -------------------------------------------------------------------------


def block_lines(block: Block, width: int, measure: Measure = cell_len) -> list[Line]:
    """A block's lines at `width`, its quote bars and list indentation included."""
    bars = min(block.quote, 4)
    depth = min(block.depth, MAX_DEPTH_SHOWN)
    indent = _BULLET_WIDTH * max(depth - 1, 0)
    marker = block.marker
    gutter = indent + (max(measure(marker) + 1, _BULLET_WIDTH) if depth and marker else 0)
    if depth and not marker:
        gutter = indent + _BULLET_WIDTH
    if block.kind is Kind.FOOTNOTE and marker:
        gutter = measure(marker) + 1
    inner = max(width - 2 * bars - gutter, 10)
    body = _body(block, inner, measure)
    if not (bars or gutter):
        return body
    first = _prefix(bars, indent, marker, gutter, first=True)
    rest = _prefix(bars, indent, marker, gutter, first=False)
    return [(*(first if i == 0 else rest), *line) for i, line in enumerate(body)]


def _prefix(bars: int, indent: int, marker: str, gutter: int, first: bool) -> Line:
    runs: list[Run] = []
    if bars:
        runs.append(("│ " * bars, "quote-bar", -1, 0))
    if gutter:
        if first and marker:
            pad = gutter - indent - len(marker)
            runs.append((" " * indent, "", -1, 0))
            runs.append((marker, "marker", -1, 0))
            runs.append((" " * max(pad, 1), "", -1, 0))
        else:
            runs.append((" " * gutter, "", -1, 0))
    return tuple(runs)


def _body(block: Block, width: int, measure: Measure) -> list[Line]:
    kind = block.kind
    if kind is Kind.TITLE:
        return [_centered(line, width, measure) for line in wrap(block.spans, width, measure)]
    if kind is Kind.CODE:
        return _code(block.lines or [], width, measure)
    if kind is Kind.MATH:
        return _math(block, width, measure)
    if kind is Kind.TABLE and block.table is not None:
        lines = table_lines(block.table, width, measure)
        if block.label:
            lines += wrap([Span(f"({block.label})", "notice")], width, measure)
        return lines
    if kind is Kind.RULE:
        rule = "─" * min(width, 40)
        return [_centered(((rule, "rule", -1, 0),), width, measure)]
    if kind is Kind.FIGURE:
        return _hanging("▣ ", "figure-mark", block.spans, width, measure)
    if kind is Kind.NOTICE:
        return _hanging("┃ ", "notice-bar", block.spans, width, measure)
    spans = block.spans
    if kind is Kind.CAPTION:
        spans = [Span(s.text, f"caption {s.style}".strip(), s.link) for s in spans]
    return wrap(spans, width, measure)


def _hanging(mark: str, style: str, spans: list[Span], width: int, measure: Measure) -> list[Line]:
    lines = wrap(spans, width - 2, measure)
    return [((mark if i == 0 else "  ", style, -1, 0), *line) for i, line in enumerate(lines)]


def _centered(line: Line, width: int, measure: Measure) -> Line:
    used = sum(measure(run[0]) for run in line)
    pad = (width - used) // 2
    return ((" " * pad, "", -1, 0), *line) if pad > 0 else line


# ---- wrapping ---------------------------------------------------------------------------


def wrap(spans: list[Span], width: int, measure: Measure = cell_len, offset: int = 0) -> list[Line]:
    """Styled text wrapped at word boundaries to `width` cells; a word longer than the width
    is cut. `offset`: where the spans' text starts in the block's text (for table cells)."""
    if not spans:
        return []
    text = "".join(span.text for span in spans)
    starts: list[int] = []
    position = 0
    for span in spans:
        starts.append(position)
        position += len(span.text)
    lines: list[Line] = []
    for start, end in wrap_ranges(text, width, measure):
        lines.append(_runs(spans, starts, text, start, end, offset))
    return lines


def wrap_ranges(text: str, width: int, measure: Measure = cell_len) -> list[tuple[int, int]]:
    """(start, end) of each wrapped line in `text`; a "\\n" in it always breaks the line."""
    width = max(width, 1)
    ranges: list[tuple[int, int]] = []
    base = 0
    for part in text.split("\n"):
        _wrap_part(part, base, width, measure, ranges)
        base += len(part) + 1
    return ranges


def _wrap_part(
    text: str, base: int, width: int, measure: Measure, out: list[tuple[int, int]]
) -> None:
    if text.isascii() or measure(text) == len(text):
        _wrap_narrow(text, base, width, out)
        return
    line_start = -1
    line_end = 0
    used = 0
    for match in _WORD.finditer(text):
        start, end = match.span()
        word = match.group()
        cells = measure(word)
        if line_start >= 0:
            gap = start - line_end
            if used + gap + cells <= width:
                used += gap + cells
                line_end = end
                continue
            out.append((base + line_start, base + line_end))
        while cells > width:  # a word wider than the line: cut it
            head, tail = cut_to_cells(word, width, measure)
            out.append((base + start, base + start + len(head)))
            start += len(head)
            word = tail
            cells = measure(word)
        line_start, line_end, used = start, end, cells
    if line_start >= 0:
        out.append((base + line_start, base + line_end))


def _wrap_narrow(text: str, base: int, width: int, out: list[tuple[int, int]]) -> None:
    """The same greedy wrap for text of one cell a character: a jump and a look back per line
    rather than a step per word."""
    size = len(text)
    position = 0
    while position < size and text[position] == " ":
        position += 1
    while position < size:
        if size - position <= width:
            end = size
            while text[end - 1] == " ":
                end -= 1
            out.append((base + position, base + end))
            return
        cut = text.rfind(" ", position, position + width + 1)
        if cut <= position:  # no space in reach: the word is wider than the line
            space = text.find(" ", position)
            word_end = size if space < 0 else space
            if word_end - position > width:
                out.append((base + position, base + position + width))
                position += width
                continue
            cut = word_end
        end = cut
        while end > position and text[end - 1] == " ":
            end -= 1
        out.append((base + position, base + end))
        position = cut
        while position < size and text[position] == " ":
            position += 1


def _runs(
    spans: list[Span], starts: list[int], text: str, start: int, end: int, offset: int
) -> Line:
    runs: list[Run] = []
    index = max(bisect_right(starts, start) - 1, 0)
    while index < len(spans) and starts[index] < end:
        span = spans[index]
        a = max(start, starts[index])
        b = min(end, starts[index] + len(span.text))
        if b > a:
            runs.append((text[a:b], span.style, offset + a, span.link))
        index += 1
    return tuple(runs)


# ---- code and math ----------------------------------------------------------------------


def _code(lines: list[str], width: int, measure: Measure) -> list[Line]:
    out: list[Line] = []
    room = max(width - 2, 1)
    offset = 0
    for source in lines:
        text, position, first = source, offset, True
        while True:
            head, text = cut_to_cells(text, room, measure) if text else ("", "")
            pad = room - measure(head)
            lead = ("  ", "code", -1, 0) if first else ("↪ ", "code code-more", -1, 0)
            out.append((lead, (head, "code", position, 0), (" " * pad, "code", -1, 0)))
            position += len(head)
            first = False
            if not text:
                break
        offset += len(source) + 1
    return out


def _math(block: Block, width: int, measure: Measure) -> list[Line]:
    style = "math" if block.converted else "math-src"
    label = block.label
    label_cells = measure(label) + 2 if label else 0
    room = max(width - 2 * label_cells, 10) if label else width
    out: list[Line] = []
    offset = 0
    for source in block.lines or []:
        if block.converted:
            pieces = wrap([Span(source, style)], room, measure, offset)
        else:  # LaTeX source keeps its own line breaks; only overlong lines wrap
            pieces = wrap([Span(source, style)], width - label_cells, measure, offset)
        for piece in pieces:
            used = sum(measure(run[0]) for run in piece)
            pad = (width - used) // 2 if block.converted else 2
            out.append(((" " * max(pad, 0), "", -1, 0), *piece))
        offset += len(source) + 1
    if label and out:
        first = out[0]
        used = sum(measure(run[0]) for run in first)
        gap = width - used - measure(label)
        if gap >= 1:
            out[0] = (*first, (" " * gap, "", -1, 0), (label, "math-label", -1, 0))
        else:
            out.append(
                ((" " * max(width - measure(label), 0), "", -1, 0), (label, "math-label", -1, 0))
            )
    return out


# ---- tables ------------------------------------------------------------------------------

SEPARATOR = " │ "
_MIN_COLUMN = 4
_MAX_WORD_COLUMN = 16


def table_lines(table: Table, width: int, measure: Measure = cell_len) -> list[Line]:
    """The table aligned in columns when it fits (cells wrap inside narrowed columns); when
    even that cannot fit, one row at a time as "header: value" lines."""
    rows = [table.head, *table.rows] if table.head else list(table.rows)
    columns = max((len(row) for row in rows), default=0)
    if not columns:
        return []
    offsets = _cell_offsets(rows)
    natural = [0] * columns
    least = [1] * columns
    for row in rows:
        for c, cell in enumerate(row):
            cells = measure(cell.text)
            if cells > natural[c]:
                natural[c] = cells
            longest = max((measure(w) for w in cell.text.split()), default=0)
            least[c] = max(least[c], min(longest, _MAX_WORD_COLUMN))
    seps = len(SEPARATOR) * (columns - 1)
    room = width - seps
    if sum(natural) <= room:
        widths = natural
    else:
        floor = [min(max(low, _MIN_COLUMN), high) for low, high in zip(least, natural, strict=True)]
        if sum(floor) > room:
            return _records(table, rows, offsets, width, measure)
        widths = _share(floor, natural, room)
    out: list[Line] = []
    for r, row in enumerate(rows):
        head = r == 0 and bool(table.head)
        out += _row_lines(row, offsets[r], widths, table.align, head, measure)
        if head:
            rule = "─┼─".join("─" * w for w in widths)
            out.append(((rule, "table-rule", -1, 0),))
    return out


def _cell_offsets(rows: list[list]) -> list[list[int]]:
    """Where each cell starts in the table block's text (rows by "\\n", cells by "\\t")."""
    offsets: list[list[int]] = []
    position = 0
    for row in rows:
        starts = []
        for cell in row:
            starts.append(position)
            position += len(cell.text) + 1
        if not row:
            position += 1
        offsets.append(starts)
    return offsets


def _share(floor: list[int], natural: list[int], room: int) -> list[int]:
    """Column widths: each column's floor, and what is left shared by how much more each wants."""
    widths = list(floor)
    spare = room - sum(floor)
    wants = [n - f for f, n in zip(floor, natural, strict=True)]
    total = sum(wants)
    if total <= 0 or spare <= 0:
        return widths
    for c, want in enumerate(wants):
        widths[c] += min(want, spare * want // total)
    left = room - sum(widths)
    for c in sorted(
        range(len(widths)), key=lambda c: wants[c] - (widths[c] - floor[c]), reverse=True
    ):
        if left <= 0:
            break
        if widths[c] < natural[c]:
            widths[c] += 1
            left -= 1
    return widths


def _row_lines(
    row: list, offsets: list[int], widths: list[int], align: list[str], head: bool, measure: Measure
) -> list[Line]:
    wrapped: list[list[Line]] = []
    for c, width in enumerate(widths):
        if c < len(row):
            spans = row[c].spans
            if head:
                spans = [Span(s.text, f"table-head {s.style}".strip(), s.link) for s in spans]
            wrapped.append(wrap(spans, width, measure, offsets[c]))
        else:
            wrapped.append([])
    height = max((len(lines) for lines in wrapped), default=0) or 1
    out: list[Line] = []
    for y in range(height):
        runs: list[Run] = []
        for c, width in enumerate(widths):
            if c:
                runs.append((SEPARATOR, "table-rule", -1, 0))
            line = wrapped[c][y] if y < len(wrapped[c]) else ()
            used = sum(measure(run[0]) for run in line)
            pad = max(width - used, 0)
            how = align[c] if c < len(align) else "left"
            left = pad if how == "right" else pad // 2 if how == "center" else 0
            if left:
                runs.append((" " * left, "", -1, 0))
            runs.extend(line)
            if pad - left:
                runs.append((" " * (pad - left), "", -1, 0))
        out.append(tuple(runs))
    return out


def _records(
    table: Table, rows: list[list], offsets: list[list[int]], width: int, measure: Measure
) -> list[Line]:
    """Too wide to align: each row as "header: value" lines, rows a rule apart."""
    names = [cell.text.strip() for cell in table.head] if table.head else []
    body = rows[1:] if table.head else rows
    body_offsets = offsets[1:] if table.head else offsets
    out: list[Line] = []
    for r, row in enumerate(body):
        if r:
            out.append((("┄" * min(width, 20), "table-rule", -1, 0),))
        for c, cell in enumerate(row):
            name = names[c] if c < len(names) and names[c] else f"Column {c + 1}"
            label = Span(f"{name}: ", "table-head")
            lines = wrap(
                [label, *cell.spans], width - 2, measure, body_offsets[r][c] - len(label.text)
            )
            for i, line in enumerate(lines):
                runs = tuple(
                    (t, s, -1 if s == "table-head" else src, link) for t, s, src, link in line
                )
                out.append(runs if i == 0 else (("  ", "", -1, 0), *runs))
    return out


def plain_lines(lines: Iterable[Line]) -> Iterable[str]:
    for line in lines:
        yield "".join(run[0] for run in line).rstrip()
