"""A paper's full text on screen: a virtual view (Line API on a ScrollView) over laid-out lines.

It draws only the lines in view, each from the layout's runs (`document.layout`), so opening,
scrolling and jumping cost the same for a page or a book; a widget per block (Textual's
`Markdown`) costs seconds and hundreds of MB for a long paper (see BENCHMARKS.md). Lines are
segments built from plain text: nothing in the paper is ever read as markup.

The reading position is a block of the document (the top line's), not a line: it survives a
re-layout at another width and is what the reader stores per paper.
"""

from __future__ import annotations

from bisect import bisect_left

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...document import Document, Hit, Layout, lay_out
from ...document.search import line_of_hit, marked

STYLE_NAMES = (
    "title h1 h2 h3 h4 strong em s link link-num code code-more math math-src math-label "
    "caption figure figure-mark notice notice-bar quote-bar marker table-head table-rule rule "
    "footnote-ref match match-current"
).split()
SYNC_RELAYOUT_BLOCKS = 1_500  # larger documents are laid out again in a thread on resize
MARGIN = 2  # columns kept free on each side of the text on a narrow terminal


def text_width(view_width: int, reading_width: int) -> int:
    """The measure: `reading_width` columns, or what the view has room for."""
    return max(min(reading_width, view_width - MARGIN), 20)


class DocumentView(ScrollView, can_focus=True, inherit_bindings=False):
    """Keys are the reading screen's (`reading.*` in the key table), not ScrollView's own."""

    COMPONENT_CLASSES = {f"document--{name}" for name in STYLE_NAMES}

    class Moved(Message):
        """The top line changed (scrolling, a jump, a new layout): the status line follows."""

    class LaidOut(Message):
        """A layout arrived (the first, a fuller one, or one for a new width)."""

    def __init__(self, reading_width: int = 90, **kwargs):
        super().__init__(**kwargs)
        self.reading_width = reading_width
        self.document = Document()
        self.text_layout = Layout(text_width(80, reading_width), cell_len)
        self.hits: list[Hit] = []
        self.current_hit = -1
        self._hits_by_block: dict[int, list[tuple[int, int, int]]] = {}
        self._styles: dict[str, Style] = {}
        self._pending_block: int | None = None  # where to land once a layout arrives
        self._relayout_generation = 0
        self._unsized: tuple[Layout | None, int] | None = None  # shown before it had a size

    # ---- the document ---------------------------------------------------------------------

    def show(
        self, document: Document, layout: Layout | None = None, block: int | None = None
    ) -> None:
        """Show a document (or a fuller version of the one shown), its top at `block` (by default
        where the reader is now). A layout made for another width is made again here."""
        keep = self.top_block if block is None else block
        self.document = document
        if not self.size.width:  # not laid out on screen yet: its width is not known
            self._unsized = (layout, keep)
            return
        width = self.wanted_width
        if layout is None or layout.width != width:
            layout = self._lay_out_now(document, width)
        self._set_layout(layout, keep)

    @property
    def wanted_width(self) -> int:
        return text_width(
            self.scrollable_content_region.width or self.size.width, self.reading_width
        )

    def _lay_out_now(self, document: Document, width: int) -> Layout:
        return lay_out(document, width, cell_len)

    def _set_layout(self, layout: Layout, block: int | None) -> None:
        self.text_layout = layout
        self.virtual_size = Size(self.scrollable_content_region.width, len(layout.lines))
        if block is not None:
            self.go_to_block(block)
        self.refresh()
        self.post_message(self.LaidOut())
        self.post_message(self.Moved())

    def on_resize(self) -> None:
        if self._unsized is not None and self.size.width:  # the first size: show it now
            layout, keep = self._unsized
            self._unsized = None
            self.show(self.document, layout, keep)
            return
        width = self.wanted_width
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.text_layout.lines))
        if width == self.text_layout.width or not self.document.blocks:
            return
        keep = self.top_block
        if len(self.document.blocks) <= SYNC_RELAYOUT_BLOCKS:
            self._set_layout(self._lay_out_now(self.document, width), keep)
            return
        self._relayout_generation += 1
        generation = self._relayout_generation
        document = self.document

        def work() -> None:
            layout = lay_out(document, width, cell_len)
            self.app.call_from_thread(self._relayout_done, generation, document, layout, keep)

        self.run_worker(work, thread=True, exclusive=True, group="relayout", exit_on_error=False)

    def _relayout_done(
        self, generation: int, document: Document, layout: Layout, keep: int
    ) -> None:
        if generation == self._relayout_generation and document is self.document:
            self._set_layout(layout, keep if self._pending_block is None else self._pending_block)

    # ---- position -------------------------------------------------------------------------

    @property
    def top_line(self) -> int:
        return round(self.scroll_offset.y)

    @property
    def top_block(self) -> int:
        """The block of the top line (the reading position)."""
        if not self.text_layout.lines:
            return 0
        return self.text_layout.block_at(self.top_line)

    @property
    def percent(self) -> int:
        total = len(self.text_layout.lines)
        height = self.scrollable_content_region.height
        if total <= height or total == 0:
            return 100
        return min(100, round(100 * self.top_line / max(total - height, 1)))

    def go_to_line(self, line: int) -> None:
        self.scroll_to(y=max(0, line), animate=False, immediate=True, force=True)
        self.post_message(self.Moved())

    def go_to_block(self, block: int) -> None:
        if block >= self.text_layout.blocks and not self.document.complete:
            self._pending_block = block  # not laid out yet: go there when it is
        else:
            self._pending_block = None
        self.go_to_line(self.text_layout.line_of(min(block, max(self.text_layout.blocks - 1, 0))))

    def step(self, lines: int) -> None:
        self.go_to_line(self.top_line + lines)

    @property
    def page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    # ---- search hits ----------------------------------------------------------------------

    def set_hits(self, hits: list[Hit], current: int = -1) -> None:
        self.hits = hits
        self.current_hit = current
        by_block: dict[int, list[tuple[int, int, int]]] = {}
        for index, hit in enumerate(hits):
            by_block.setdefault(hit.block, []).append((hit.start, hit.end, index))
        self._hits_by_block = by_block
        self.refresh()

    def show_hit(self, index: int) -> None:
        """Make hit `index` the current one and bring its line into view (a third down)."""
        if not self.hits:
            return
        self.current_hit = index % len(self.hits)
        line = line_of_hit(self.text_layout, self.hits[self.current_hit])
        height = self.scrollable_content_region.height
        if not self.top_line <= line < self.top_line + height - 1:
            self.go_to_line(line - height // 3)
        self.refresh()
        self.post_message(self.Moved())

    def hit_after(self, line: int) -> int:
        """The first hit at or after a line (0 past the last: searches wrap)."""
        layout = self.text_layout
        block = layout.block_at(line)
        index = bisect_left([hit.block for hit in self.hits], block)
        while index < len(self.hits):
            hit = self.hits[index]
            if hit.block > block or line_of_hit(layout, hit) >= line:
                return index
            index += 1
        return 0

    # ---- drawing --------------------------------------------------------------------------

    def _style(self, names: str) -> Style:
        """The widget's own style with the named component styles over it, looked up once per
        theme or CSS change (`rich_style` alone costs ~0.2 ms; a screen redraws ~35 lines)."""
        style = self._styles.get(names)
        if style is None:
            style = self.rich_style
            for name in names.split():
                if name in STYLE_NAMES:
                    style += self.get_component_rich_style(f"document--{name}", partial=True)
            self._styles[names] = style
        return style

    def notify_style_update(self) -> None:
        self._styles = {}
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._style("")
        index = self.top_line + y
        lines = self.text_layout.lines
        if index >= len(lines):
            return Strip.blank(width, base)
        line = lines[index]
        block = self.text_layout.owners[index]
        hits = self._hits_by_block.get(block)
        if hits:
            line = marked(
                line,
                [
                    (start, end, "match-current" if i == self.current_hit else "match")
                    for start, end, i in hits
                ],
            )
        left = max((width - self.text_layout.width) // 2, 0)
        segments = [Segment(" " * left, base)] if left else []
        for text, style, _source, _link in line:
            segments.append(Segment(text, self._style(style)))
        return Strip(segments).adjust_cell_length(width, base)

    def refresh_lines(self, first: int, count: int = 1) -> None:
        y = first - self.top_line
        self.refresh(Region(0, y, self.size.width, count))
