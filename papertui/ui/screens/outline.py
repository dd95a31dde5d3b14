"""The outline of a paper (its table of contents): pick a section to jump to it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...document import Heading


class OutlineMenu(ModalScreen[int | None]):
    """Dismisses with the block a chosen heading starts at, or None."""

    BINDINGS = [
        Binding("escape,q,t", "dismiss_none", "Close", id="outline.close"),
        Binding("j", "cursor(1)", "Down", show=False, id="outline.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="outline.up"),
    ]

    def __init__(self, headings: list[Heading], current: int | None = None):
        super().__init__()
        self.headings = headings
        self.current = current

    def compose(self) -> ComposeResult:
        top = min((h.level for h in self.headings), default=1)
        with Vertical(id="outline-box"):
            yield Static(Text("Contents", style="bold"), id="outline-title")
            yield OptionList(
                *[
                    Option(Text("  " * min(h.level - top, 4) + h.title), id=str(i))
                    for i, h in enumerate(self.headings)
                ],
                id="outline-options",
            )
            yield Static(Text("Enter: go there   Esc: close", style="dim"), id="outline-hint")

    def on_mount(self) -> None:
        options = self.query_one("#outline-options", OptionList)
        blocks = [h.block for h in self.headings]
        if self.current in blocks:
            options.highlighted = blocks.index(self.current)
        options.focus()

    def action_cursor(self, direction: int) -> None:
        options = self.query_one("#outline-options", OptionList)
        if direction > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.headings[int(event.option.id or 0)].block)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
