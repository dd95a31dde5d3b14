"""The outline of a paper (its table of contents), drawn over the reading screen: pick a
section to jump to it.

A panel inside the screen, not a screen of its own: closing a pushed screen restyles and
repaints the whole reading screen (~100 ms on a long paper), hiding a panel costs a frame.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...document import Heading

WIDTH = 64


class OutlinePanel(Vertical):
    BINDINGS = [
        Binding("escape,q,t", "close", "Close", id="outline.close"),
        Binding("j", "cursor(1)", "Down", show=False, id="outline.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="outline.up"),
    ]

    class Chosen(Message):
        def __init__(self, block: int):
            super().__init__()
            self.block = block

    class Closed(Message):
        pass

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.headings: list[Heading] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Contents", style="bold"), id="outline-title")
        yield OptionList(id="outline-options")
        yield Static(Text("Enter: go there   Esc: close", style="dim"), id="outline-hint")

    @property
    def options(self) -> OptionList:
        return self.query_one("#outline-options", OptionList)

    def show(self, headings: list[Heading], current: int | None, screen_width: int) -> None:
        """Open on `headings`, the one starting at block `current` highlighted."""
        if headings != self.headings:
            self.headings = list(headings)
            top = min((h.level for h in headings), default=1)
            self.options.clear_options()
            self.options.add_options(
                [
                    Option(Text("  " * min(h.level - top, 4) + h.title), id=str(i))
                    for i, h in enumerate(headings)
                ]
            )
        blocks = [h.block for h in self.headings]
        self.options.highlighted = blocks.index(current) if current in blocks else 0
        width = min(WIDTH, screen_width - 4)
        self.styles.width = width
        self.styles.offset = (max((screen_width - width) // 2, 0), 1)
        self.visible = True
        self.options.focus()

    def action_cursor(self, direction: int) -> None:
        if direction > 0:
            self.options.action_cursor_down()
        else:
            self.options.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self.headings[int(event.option.id or 0)].block))

    def action_close(self) -> None:
        self.post_message(self.Closed())
