"""The reading screen: one paper's full text, with an outline, search, links and a position line.

It draws what it is given (`show_document`) and says what the reader did through callbacks:
it never fetches, stores or opens anything itself. The controller (`ui/reading.py`) loads the
text and the saved position, and receives the position back when the reader leaves.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, LoadingIndicator, Static

from ...document import Document, Layout, find, section_at
from ...document.model import Kind, Link
from ..actions import bindings
from ..widgets.document_view import DocumentView
from ..widgets.outline_panel import OutlinePanel
from .links_menu import LinksMenu


class KeyLine(Widget):
    """The screen's keys as mapped, on one line (what a `Footer` shows, for a tenth of its
    cost to mount)."""

    COMPONENT_CLASSES = {"key-line--key"}

    def __init__(self, hints: list[tuple[str, str]], **kwargs):
        super().__init__(**kwargs)
        self.hints = hints

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-line--key")
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, title in self.hints:
            text.append(f" {key} ", key_style)
            text.append(f"{title} ")
        return text


class FindBar(Input):
    """The search-in-paper field: Enter finds, Esc puts the field away."""

    BINDINGS = bindings("find")

    def action_cancel(self) -> None:
        screen = self.screen
        if isinstance(screen, ReadingScreen):
            screen.close_find()


class ReadingScreen(Screen[None]):
    BINDINGS = bindings("reading")

    def __init__(
        self,
        paper_id: str,
        title: str,
        *,
        reading_width: int = 90,
        on_leave: Callable[[int | None], None] | None = None,
        on_link: Callable[[str, Link], None] | None = None,
        on_pdf: Callable[[], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        key_hints: list[tuple[str, str]] | None = None,
    ):
        super().__init__()
        self.paper_id = paper_id
        self.paper_title = title
        self.reading_width = reading_width
        self.on_leave = on_leave
        self.on_link = on_link
        self.on_pdf = on_pdf
        self.on_cancel = on_cancel
        self.key_hints = key_hints or []  # (key as mapped, what it does), for the key line
        self.loading_text: str | None = None
        self.fallback = False
        self.find_text = ""  # what the reader searched for in this paper
        self._left = False
        self._view = DocumentView(reading_width, id="reading-view")
        self._deferred: tuple[Document, Layout | None, int | None, bool] | None = None

    def compose(self) -> ComposeResult:
        """What every open needs; the loading indicator and the find field are mounted when
        first wanted (each widget costs the first paint a few milliseconds)."""
        yield Static(Text(self.paper_title, no_wrap=True, overflow="ellipsis"), id="reading-head")
        yield self._view
        yield Static(id="reading-status")
        yield KeyLine(self.key_hints, id="reading-keys")

    @property
    def view(self) -> DocumentView:
        return self._view

    def on_mount(self) -> None:
        if self._deferred is not None:
            document, layout, block, fallback = self._deferred
            self._deferred = None
            self.show_document(document, layout, block=block, fallback=fallback)
        elif self.loading_text is not None:
            self._show_indicator(True)
        self.view.focus()
        self._status()

    def _show_indicator(self, shown: bool) -> None:
        indicators = self.query("#reading-loading")
        if indicators:
            indicators.first().display = shown
        elif shown:
            self.mount(LoadingIndicator(id="reading-loading"), before=self.view)

    @property
    def loading_shown(self) -> bool:
        indicators = self.query("#reading-loading")
        return bool(indicators) and indicators.first().display

    # ---- what the controller hands over ---------------------------------------------------

    def show_loading(self, text: str) -> None:
        self.loading_text = text
        if self.query("#reading-status"):  # composed (else on_mount shows it)
            self._show_indicator(True)
            self._status()

    def show_document(
        self,
        document: Document,
        layout: Layout | None = None,
        *,
        block: int | None = None,
        fallback: bool = False,
    ) -> None:
        """Show the document (again, when a fuller parse of it arrives), at `block` if given;
        otherwise where the reader is, or where a jump asked to go before it was laid out.
        Before the screen is mounted, it is kept for `on_mount` (the first frame has it)."""
        if not self.query("#reading-status"):
            self._deferred = (document, layout, block, fallback)
            return
        self.loading_text = None
        self.fallback = fallback
        self._show_indicator(False)
        view = self.view
        if block is None and view._pending_block is not None:
            block = view._pending_block
        view.show(document, layout, block)
        title = document.title or self.paper_title  # the text's own title once it is there
        self.query_one("#reading-head", Static).update(
            Text(title, no_wrap=True, overflow="ellipsis"), layout=False
        )
        if self.find_text:  # a search made on part of the text covers all of it now
            self._find(self.find_text, keep=True)
        self._status()

    # ---- keys -----------------------------------------------------------------------------

    def action_step(self, lines: int) -> None:
        self.view.step(lines)

    def action_page(self, direction: int) -> None:
        self.view.step(direction * self.view.page)

    def action_half_page(self, direction: int) -> None:
        self.view.step(direction * max(self.view.page // 2, 1))

    def action_top(self) -> None:
        self.view.go_to_line(0)

    def action_bottom(self) -> None:
        view = self.view
        view.go_to_line(len(view.text_layout.lines))

    def action_section(self, direction: int) -> None:
        """The next (+1) or previous (-1) heading from the top line."""
        view = self.view
        headings = view.document.headings
        top = view.top_block
        if direction > 0:
            target = next((h for h in headings if h.block > top), None)
        else:
            earlier = [h for h in headings if h.block < top]
            target = earlier[-1] if earlier else None
        if target is None:
            self.notify("No more sections this way.", timeout=2)
            return
        view.go_to_block(target.block)

    def action_find(self) -> None:
        bars = self.query(FindBar)
        if bars:
            bar = bars.first()
            bar.display = True
        else:
            bar = FindBar(
                placeholder="Find in this paper (Enter: find, Esc: close)", id="reading-find"
            )
            self.mount(bar, before="#reading-status")
        bar.value = self.find_text
        bar.focus()

    def close_find(self) -> None:
        for bar in self.query(FindBar):
            bar.display = False
        self.view.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "reading-find":
            return
        event.stop()
        self.close_find()
        self._find(event.value)

    def _find(self, query: str, keep: bool = False) -> None:
        view = self.view
        self.find_text = query.strip()
        hits = find(view.document, self.find_text) if self.find_text else []
        current = view.current_hit if keep and 0 <= view.current_hit < len(hits) else -1
        view.set_hits(hits, current)
        if hits and not keep:
            view.show_hit(view.hit_after(view.top_line))
        elif self.find_text and not hits:
            self.notify(f"Not found in this paper: {self.find_text}", timeout=3)
        self._status()

    def action_next_hit(self, direction: int) -> None:
        view = self.view
        if not view.hits:
            if self.find_text:
                self.notify(f"Not found in this paper: {self.find_text}", timeout=3)
            else:
                self.action_find()
            return
        view.show_hit(view.current_hit + direction if view.current_hit >= 0 else 0)
        self._status()

    async def action_outline(self) -> None:
        view = self.view
        headings = [
            h
            for h in view.document.headings
            if view.document.blocks[h.block].kind is not Kind.TITLE
        ]
        if not headings:
            self.notify("This text has no sections.", timeout=3)
            return
        panels = self.query(OutlinePanel)
        if panels:
            panel = panels.first()
        else:
            panel = OutlinePanel(id="reading-outline")
            await self.mount(panel)
        current = section_at(headings, view.top_block)
        panel.show(headings, current.block if current else None, self.size.width)

    @property
    def outline(self) -> OutlinePanel | None:
        """The outline panel while it is open."""
        panels = self.query(OutlinePanel)
        return panels.first() if panels and panels.first().visible else None

    def on_outline_panel_chosen(self, message: OutlinePanel.Chosen) -> None:
        self._close_outline()
        self.view.go_to_block(message.block)

    def on_outline_panel_closed(self, _message: OutlinePanel.Closed) -> None:
        self._close_outline()

    def _close_outline(self) -> None:
        for panel in self.query(OutlinePanel):
            panel.visible = False  # hidden, not removed from the layout: no reflow
        self.view.focus()

    def action_links(self) -> None:
        links = self.view.document.links
        if not links:
            self.notify("This text has no links.", timeout=3)
            return

        def chosen(choice: tuple[str, Link] | None) -> None:
            if choice is not None and self.on_link is not None:
                self.on_link(*choice)

        title = self.view.document.title or self.paper_title
        self.app.push_screen(LinksMenu(links, title), chosen)

    def action_pdf(self) -> None:
        if self.on_pdf is not None:
            self.on_pdf()

    @property
    def closed(self) -> bool:
        """The reader has left this screen (answers arriving now are dropped)."""
        return self._left

    def action_back(self) -> None:
        self._leave()
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._leave()  # the reader quit while reading: the position is kept all the same

    def _leave(self) -> None:
        if self._left:
            return
        self._left = True
        if self.loading_text is not None and self.on_cancel is not None:
            self.on_cancel()
        if self.on_leave is not None:
            has_text = bool(self.view.document.blocks) and self.loading_text is None
            self.on_leave(self.view.top_block if has_text else None)

    # ---- the status line ------------------------------------------------------------------

    def on_document_view_moved(self, _message: DocumentView.Moved) -> None:
        self._status()

    def _status(self) -> None:
        try:
            status = self.query_one("#reading-status", Static)
        except NoMatches:
            return
        if self.loading_text is not None:
            status.update(
                Text(f" {self.loading_text}", no_wrap=True, overflow="ellipsis"), layout=False
            )
            return
        view = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        section = section_at(view.document.headings, view.top_block)
        if section is not None and view.document.blocks[section.block].kind is not Kind.TITLE:
            text.append(f" {section.title} ", "bold")
        text.append(f" {view.percent}% ")
        if not view.document.complete:
            text.append(" · still reading the rest… ")
        if self.fallback:
            text.append(" · the paper page's text only (no arXiv HTML) ")
        if self.find_text:
            if view.hits:
                at = view.current_hit + 1 if view.current_hit >= 0 else 0
                more = "+" if len(view.hits) >= 10_000 else ""
                text.append(f" · {at}/{len(view.hits)}{more} for “{self.find_text}” ")
            else:
                text.append(f" · nothing found for “{self.find_text}” ")
        status.update(text, layout=False)  # one line always: no layout pass per key
