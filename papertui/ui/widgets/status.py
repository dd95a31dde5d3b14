"""The status line: view, counts, filters, sync state, and the search error when there is one."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    COMPONENT_CLASSES = {
        "status--view",
        "status--counts",
        "status--sync",
        "status--error",
        "status--offline",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view_text = ""
        self.counts = ""
        self.sync_text = ""
        self.sync_kind = "status--sync"
        self.error = ""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())

    def set(self, **parts) -> None:
        for name, value in parts.items():
            setattr(self, name, value)
        self.redraw()

    def redraw(self) -> None:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.error:
            text.append(f" ⚠ {self.error} ", style("status--error"))
            text.append("  ")
        text.append(f" {self.view_text} ", style("status--view"))
        text.append(f"  {self.counts}  ", style("status--counts"))
        if self.sync_text:
            text.append(f" {self.sync_text} ", style(self.sync_kind))
        self.update(text)
