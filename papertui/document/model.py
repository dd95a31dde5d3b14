"""The document model of a paper's full text: blocks of styled text, links, headings.

Built from the (untrusted) Markdown by `parse.py`, laid out into lines by `layout.py`. Nothing
here is markup: every string is shown as it is, and every string has already had escape
sequences, control and bidi characters removed.

Styles are plain names ("strong", "em", "link", "math-src", ...); a face maps them to what its
output can show (Rich styles in the reader, SGR codes on a terminal, nothing in plain text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    TITLE = "title"  # the paper's title (its first top-level heading)
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    CAPTION = "caption"  # "Table 2: ...", "Figure 1: ..." on their own
    FIGURE = "figure"  # an image, shown as a labelled link ("Figure 3: caption [4]")
    CODE = "code"
    MATH = "math"  # display math
    TABLE = "table"
    RULE = "rule"
    FOOTNOTE = "footnote"  # a footnote's text, where it is defined
    NOTICE = "notice"  # what papertui says about the document (fallback, cut, nesting)


@dataclass(slots=True)
class Span:
    """A run of inline text with one style; `link` is the number of the link it belongs to."""

    text: str
    style: str = ""
    link: int = 0


@dataclass(slots=True)
class Link:
    number: int
    url: str  # as written (cleaned of control characters)
    label: str  # the link's text, for the links menu
    openable: bool  # http(s) only: anything else is shown but refused

    @property
    def scheme(self) -> str:
        head, sep, _ = self.url.partition(":")
        return head.lower() if sep and head.isalpha() else ""


@dataclass(slots=True)
class Cell:
    spans: list[Span]
    text: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            self.text = "".join(s.text for s in self.spans)


@dataclass(slots=True)
class Table:
    head: list[Cell]
    rows: list[list[Cell]]
    align: list[str]  # "left" | "right" | "center" per column
    cut_rows: int = 0  # rows left out (see MAX_TABLE_ROWS)
    cut_columns: int = 0


@dataclass(slots=True)
class Block:
    kind: Kind
    spans: list[Span] = field(default_factory=list)
    level: int = 0  # heading level (1-6)
    number: str = ""  # a heading's section number as the paper gives it ("3.2")
    depth: int = 0  # list nesting (0: not in a list)
    quote: int = 0  # block quote nesting
    marker: str = ""  # a list item's bullet or number, a footnote's label
    lines: list[str] | None = None  # code and display-math lines
    label: str = ""  # display math's equation number; a code block's language
    converted: bool = True  # display math: False when shown as its LaTeX source
    table: Table | None = None
    text: str = ""  # the block's searchable text (what the reader searches in)

    def __post_init__(self) -> None:
        if not self.text:
            self.text = self.plain_text()

    def plain_text(self) -> str:
        if self.table is not None:
            rows = [self.table.head, *self.table.rows]
            return "\n".join("\t".join(cell.text for cell in row) for row in rows)
        if self.lines is not None:
            return "\n".join(self.lines)
        return "".join(span.text for span in self.spans)


@dataclass(slots=True)
class Heading:
    """An outline entry: the block it starts at."""

    block: int
    level: int
    number: str
    title: str


@dataclass
class Document:
    """A parsed full text: its blocks, links and outline."""

    blocks: list[Block] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # also shown as NOTICE blocks
    complete: bool = True  # False while a lazy parse has more to add

    @property
    def title(self) -> str:
        for block in self.blocks:
            if block.kind is Kind.TITLE:
                return block.text
        return ""

    def link(self, number: int) -> Link | None:
        if 1 <= number <= len(self.links):
            return self.links[number - 1]
        return None
