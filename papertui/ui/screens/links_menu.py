"""The links of a paper's full text, by number: open one in the browser or copy it.

Links that are not http(s) are listed (the text shows their numbers) but marked refused.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...document import Link

REFUSED = "  (refused: not an http(s) link)"


class LinksMenu(ModalScreen[tuple[str, Link] | None]):
    """Dismisses with ("open" | "copy", link), or None."""

    BINDINGS = [
        Binding("escape,q,l", "dismiss_none", "Close", id="links.close"),
        Binding("o", "choose('open')", "Open", id="links.open"),
        Binding("y,c", "choose('copy')", "Copy", id="links.copy"),
        Binding("j", "cursor(1)", "Down", show=False, id="links.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="links.up"),
    ]

    def __init__(self, links: list[Link], title: str = ""):
        super().__init__()
        self.links = links
        self.paper_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="links-box"):
            yield Static(
                Text(f"Links — {self.paper_title}", no_wrap=True, overflow="ellipsis"),
                id="links-title",
            )
            yield OptionList(
                *[self._option(i, link) for i, link in enumerate(self.links)], id="links-options"
            )
            yield Static(
                Text("Enter or o: open   y: copy   Esc: close", style="dim"), id="links-hint"
            )

    @staticmethod
    def _option(index: int, link: Link) -> Option:
        text = Text(f"[{link.number}] ", style="bold")
        if link.label and link.label != link.url:
            text.append(link.label[:80] + "  ")
        text.append(link.url[:200], style="dim" if link.openable else "dim strike")
        if not link.openable:
            text.append(REFUSED)
        return Option(text, id=str(index))

    def on_mount(self) -> None:
        self.query_one("#links-options", OptionList).focus()

    def _highlighted(self) -> Link | None:
        options = self.query_one("#links-options", OptionList)
        if options.highlighted is None:
            return None
        return self.links[options.highlighted]

    def action_cursor(self, direction: int) -> None:
        options = self.query_one("#links-options", OptionList)
        if direction > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_choose(self, verb: str) -> None:
        link = self._highlighted()
        if link is not None:
            self.dismiss((verb, link))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("open", self.links[int(event.option.id or 0)]))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
