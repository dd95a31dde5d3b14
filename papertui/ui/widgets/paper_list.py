"""The paper list: a virtual list (Line API on a ScrollView) that holds only a window of rows.

It never talks to SQLite itself: when a line it must draw is not loaded it posts `NeedRows`,
the app loads that block in a worker, and `add_rows` fills it in. So opening, scrolling and
jumping cost the same at 100 rows or 100,000.

A row is one line, or two (`row_height`): the title wrapped over both, the authors and
organization after it where the title leaves room. Every row has the same height, so a list
position is still a multiplication away from a screen line.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...highlight import spans
from ...latex import shown
from ...models import ListRow
from ..actions import bindings

BLOCK = 200  # rows loaded per request
NEW = "✦"  # reached the cache since the reader's last session (`is:new`)
LINKS = "◆"  # gained a GitHub repo or project page since it was last opened
MAX_CACHED_BLOCKS = 12


def _tags_text(tags: tuple[str, ...], room: int) -> str:
    """A row's tags, compactly: ` #a #b`, cut with … to fit `room` cells (the title gets the
    rest; the detail pane shows them all)."""
    text = " " + " ".join(f"#{tag}" for tag in tags)
    if cell_len(text) > room:
        text = set_cell_size(text, max(room - 1, 1)) + "…"
    return text


class PaperList(ScrollView, can_focus=True):
    BINDINGS = bindings("list")
    COMPONENT_CLASSES = {
        "paper-list--cursor",
        "paper-list--unread",
        "paper-list--read",
        "paper-list--marker",
        "paper-list--bookmark",
        "paper-list--note",
        "paper-list--tags",
        "paper-list--upvotes",
        "paper-list--day",
        "paper-list--placeholder",
        "paper-list--match",
        "paper-list--byline",
        "paper-list--new",
        "paper-list--gained",
        "paper-list--links",
    }

    cursor: reactive[int] = reactive(0, always_update=True)

    class NeedRows(Message):
        def __init__(self, generation: int, start: int, count: int):
            super().__init__()
            self.generation = generation
            self.start = start
            self.count = count

    class Highlighted(Message):
        def __init__(self, row: ListRow | None):
            super().__init__()
            self.row = row

    class Selected(Message):
        def __init__(self, row: ListRow):
            super().__init__()
            self.row = row

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = 0
        self.counting = False  # `total` is the rows drawn so far; the count is on its way
        self._pending: int | None = None  # where a move past the rows drawn goes once counted
        self.generation = 0
        self._rows: dict[int, ListRow] = {}
        self._requested: set[int] = set()
        self._style_cache: dict[str, Style] | None = None
        self.empty_text = "No papers here."
        self.full_dates = False  # the list may span years: show them in the date column
        self.highlight: re.Pattern[str] | None = None  # the words a search looks for
        self.row_height = 1  # lines a row takes: 1, or 2 (title wrapped, authors beneath)
        self.show_gains = False  # the "rising" sort: upvotes gained lately, as +N

    # ---- data ---------------------------------------------------------------------------

    def reset(
        self,
        generation: int,
        total: int,
        rows: list[ListRow],
        cursor: int = 0,
        *,
        counted: bool = True,
    ) -> None:
        """Show a new result: its total and first rows; the cursor goes to `cursor`. Not
        `counted`: `total` is the rows alone until `set_total` says how many there are."""
        self.generation = generation
        self.total = total
        self.counting = not counted
        self._pending = None
        self._rows = dict(enumerate(rows))
        self._requested = {0} if rows else set()
        self._resize_virtual()
        self.refresh()
        self.cursor = max(0, min(cursor, total - 1))

    def set_total(self, generation: int, total: int) -> None:
        """The total of a result first shown with its rows alone, now counted."""
        if generation != self.generation:
            return
        self.counting = False
        if total != self.total:
            self.total = total
            self._resize_virtual()
            self.refresh()
            if self.cursor >= total:  # fewer than drawn (another connection's change meanwhile)
                self.cursor = max(0, total - 1)
        if self._pending is not None:  # a move past the rows drawn, made before the count
            self.move_to(min(self._pending, total - 1))

    def add_rows(self, generation: int, start: int, rows: list[ListRow]) -> None:
        if generation != self.generation:
            return  # an answer to an older query
        for offset, row in enumerate(rows):
            self._rows[start + offset] = row
        self._evict()
        self.refresh()
        if start <= self.cursor < start + len(rows):
            self.post_message(self.Highlighted(self._rows[self.cursor]))

    def replace_row(self, row: ListRow) -> None:
        """Update one paper's row in place (after a read or bookmark change)."""
        for index, current in self._rows.items():
            if current.id == row.id:
                self._rows[index] = row
                self.refresh_line(index)

    def row_at(self, index: int) -> ListRow | None:
        """The loaded row at a list position (None while its block is still loading)."""
        return self._rows.get(index)

    def find_row(self, paper_id: str) -> ListRow | None:
        return next((row for row in self._rows.values() if row.id == paper_id), None)

    @property
    def current(self) -> ListRow | None:
        return self._rows.get(self.cursor)

    def _need(self, index: int) -> None:
        block = index // BLOCK
        if block not in self._requested:
            self._requested.add(block)
            self.post_message(self.NeedRows(self.generation, block * BLOCK, BLOCK))

    def _evict(self) -> None:
        if len(self._rows) <= MAX_CACHED_BLOCKS * BLOCK:
            return
        keep = self.cursor // BLOCK
        far = sorted(self._requested, key=lambda b: -abs(b - keep))
        while len(self._rows) > MAX_CACHED_BLOCKS * BLOCK and far:
            block = far.pop(0)
            self._requested.discard(block)
            for index in range(block * BLOCK, (block + 1) * BLOCK):
                self._rows.pop(index, None)

    # ---- drawing ------------------------------------------------------------------------

    def set_row_height(self, lines: int) -> None:
        """One or two lines a row; the cursor's paper stays on screen."""
        if lines == self.row_height:
            return
        self.row_height = lines
        self._resize_virtual()
        self.refresh()
        self.call_after_refresh(self._scroll_to_cursor)

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.total * self.row_height)

    @property
    def rows_per_page(self) -> int:
        return max(self.scrollable_content_region.height // self.row_height, 1)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = round(self.scroll_offset.y) + y
        index, part = divmod(line, self.row_height)
        base = self.rich_style
        if self.total == 0:  # why it is empty, wrapped to the pane: every word of it shows
            lines = _wrapped(self.empty_text, max(width - 2, 10))
            if y < len(lines):
                style = self._styles()["paper-list--placeholder"]
                return Strip([Segment(f" {lines[y]}", style)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        if index >= self.total:
            return Strip.blank(width, base)
        row = self._rows.get(index)
        if row is None:
            self._need(index)
            style = self._styles()["paper-list--placeholder"]
            return Strip([Segment("  …", style)]).adjust_cell_length(width, base)
        strip = self._row_strip(row, width, part)
        if index == self.cursor:
            # post_style: the cursor's colours win over each segment's own
            cursor_style = self._styles()["paper-list--cursor"]
            strip = Strip(Segment.apply_style(strip, post_style=cursor_style), strip.cell_length)
        return strip

    def _styles(self) -> dict[str, Style]:
        """Component styles, looked up once per theme/CSS change rather than per line."""
        if self._style_cache is None:
            self._style_cache = {
                n: self.get_component_rich_style(n) for n in self.COMPONENT_CLASSES
            }
        return self._style_cache

    def notify_style_update(self) -> None:
        self._style_cache = None
        super().notify_style_update()

    def on_focus(self) -> None:
        self._style_cache = None  # the cursor looks different with and without focus
        self.refresh()

    def on_blur(self) -> None:
        self._style_cache = None
        self.refresh()

    def _row_strip(self, row: ListRow, width: int, part: int = 0) -> Strip:
        styles = self._styles()
        text_style = styles["paper-list--read" if row.read else "paper-list--unread"]
        marker = styles["paper-list--marker"]
        mark = styles["paper-list--bookmark"]
        upvotes = styles["paper-list--upvotes"]
        day_style = styles["paper-list--day"]
        shown_day = (row.day or "") if self.full_dates else (row.day or "")[5:]
        day = f" {shown_day:>{10 if self.full_dates else 5}} " if width >= 40 else " "
        star = "★" if row.bookmarked else " "
        head = [
            Segment(NEW if row.new else " ", styles["paper-list--new"]),
            Segment("●" if not row.read else " ", marker),
            Segment(star, mark),
            # the cell after the star: ◆ while the paper has a GitHub repo or project page you
            # haven't seen (opening it clears the mark: news first), else ✎ for your note on it
            Segment("✎", styles["paper-list--note"])
            if row.noted and not row.links_new
            else Segment(LINKS if row.links_new else " ", styles["paper-list--links"]),
            Segment(f"{row.upvotes:>4} ", upvotes),
        ]
        if self.show_gains:
            gained = f"+{row.gained}" if row.gained else ""
            head.append(Segment(f"{gained:>5} ", styles["paper-list--gained"]))
        used = sum(cell_len(s.text) for s in head) + cell_len(day)
        room = max(width - used, 1)
        tags = _tags_text(row.tags, max(room // 3, 8)) if row.tags else ""
        room = max(room - cell_len(tags), 1)
        title = shown(row.title)  # LaTeX as Unicode: cached, and untouched without LaTeX
        tagged = [Segment(tags, styles["paper-list--tags"])] if tags else []
        if self.row_height == 1:
            segments = [
                *head,
                *self._marked(fit(title, room), text_style),
                *tagged,
                Segment(day, day_style),
            ]
            return Strip(segments).adjust_cell_length(width, self.rich_style)
        first, rest = split_title(title, room)
        if part == 0:
            segments = [
                *head,
                *self._marked(fit(first, room), text_style),
                *tagged,
                Segment(day, day_style),
            ]
        else:  # under the title: the rest of it, then who wrote it, as far as the line goes
            room += cell_len(tags)  # the tags are on the line above
            indent = Segment(" " * sum(cell_len(s.text) for s in head), self.rich_style)
            byline = row.byline
            if rest and byline:  # the byline keeps up to two fifths of the line
                keep = min(cell_len(byline), max(room * 2 // 5, 12))
                rest_room = max(room - keep - 3, 1)
                rest = (fit(rest, rest_room) if cell_len(rest) > rest_room else rest) + " — "
            elif cell_len(rest) > room:
                rest = fit(rest, room)
            by_room = max(room - cell_len(rest), 0)
            by = fit(byline, by_room) if byline and by_room > 3 else ""
            segments = [
                indent,
                *self._marked(rest, text_style),
                Segment(by, styles["paper-list--byline"]),
            ]
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def _marked(self, text: str, text_style: Style) -> list[Segment]:
        """The text in its style, with the search's words marked."""
        match_style = text_style + self._styles()["paper-list--match"]
        body: list[Segment] = []
        last = 0
        for start, end in spans(text, self.highlight):
            body += [Segment(text[last:start], text_style), Segment(text[start:end], match_style)]
            last = end
        body.append(Segment(text[last:], text_style))
        return body

    def refresh_line(self, index: int) -> None:
        y = index * self.row_height - round(self.scroll_offset.y)
        if -self.row_height < y < self.scrollable_content_region.height:
            self.refresh(Region(0, y, self.size.width, self.row_height))

    def on_resize(self) -> None:
        self._resize_virtual()

    # ---- cursor -------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self._scroll_to_cursor()
        row = self._rows.get(new)
        if row is None and self.total:
            self._need(new)
        self.post_message(self.Highlighted(row))

    def _scroll_to_cursor(self) -> None:
        region = Region(0, self.cursor * self.row_height, 1, self.row_height)
        self.scroll_to_region(region, animate=False, force=True, immediate=True)

    def move_to(self, to: int) -> None:
        """Put the cursor on a list position (clamped); its rows load if they are not here.
        While the list is being counted, a position past the rows drawn is kept, and gone to
        (as far as the list goes) once the total is known."""
        self._pending = to if self.counting and to >= self.total else None
        if self.total:
            self.cursor = max(0, min(to, self.total - 1))

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(sys.maxsize if self.counting else self.total - 1)  # the end, once known

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(self.rows_per_page - 1, 1))

    def action_half_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(self.rows_per_page // 2, 1))

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def on_click(self, event) -> None:
        offset = event.get_content_offset(self)  # inside the border, or None
        if offset is None:
            return
        index = (round(self.scroll_offset.y) + offset.y) // self.row_height
        if 0 <= index < self.total:
            self.move_to(index)  # a move like any other: one asked for before it is forgotten


def prepare_titles(rows: list[ListRow]) -> None:
    """Convert the rows' LaTeX titles in the worker that loaded them, so drawing the rows (on
    the UI thread) finds the converted text cached instead of running pylatexenc per line."""
    for row in rows:
        shown(row.title)


@lru_cache(maxsize=8)
def _wrapped(text: str, width: int) -> list[str]:
    """Text wrapped to `width` cells (wide characters take two: `textwrap` counts characters,
    and a search in Japanese pushed words off the line)."""
    console = Console(width=width, color_system=None, legacy_windows=False)
    return [line.plain.rstrip() for line in Text(text).wrap(console, width)]


def fit(text: str, room: int) -> str:
    """The text in exactly `room` cells: cut with an ellipsis when longer, padded when shorter."""
    if cell_len(text) > room:
        text = set_cell_size(text, max(room - 1, 0)) + "…"
    return set_cell_size(text, room)


def split_title(title: str, room: int) -> tuple[str, str]:
    """A title over two lines of `room` cells: broken at a space where one is near the end of
    the first line, otherwise mid-word (a long word, or a title in a script without spaces)."""
    if cell_len(title) <= room:
        return title, ""
    end = 0  # characters that fit in `room` cells (wide characters take two)
    used = 0
    for end, char in enumerate(title):  # noqa: B007 - `end` is what the loop is for
        used += cell_len(char)
        if used > room:
            break
    cut = title.rfind(" ", 0, end + 1)
    if cut > end // 2:
        return title[:cut], title[cut + 1 :]
    return title[:end], title[end:]
