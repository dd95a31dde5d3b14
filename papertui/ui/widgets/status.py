"""The status line: view, counts, filters, sync state, and the search error when there is one.

Every part is a reactive bound to the app's state (`data_bind`): it redraws itself when any of
them changes, and never parses what it shows as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ...views import ReaderQuery
from ..state import SyncState


class StatusLine(Widget):
    COMPONENT_CLASSES = {
        "status--view",
        "status--counts",
        "status--sync",
        "status--error",
        "status--offline",
    }

    rq: reactive[ReaderQuery | None] = reactive(None)
    total: reactive[int | None] = reactive(None)  # None until the first query has answered
    counting = reactive(False)  # `total` is the rows drawn so far; the count is on its way
    unread: reactive[int | None] = reactive(0)  # None: not counted yet
    query_error = reactive("", layout=True)  # an error may take two lines
    sync_state = reactive(SyncState())

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def render(self) -> Text:
        """View, sync state, counts, on one line whatever the width: what doesn't fit is cut
        from the view first (on a narrow terminal its sort is left out), then from the sync
        state; the counts stay whole. A search that can't be understood shows only its
        message, wrapped, until it is fixed."""
        style = self.get_component_rich_style
        if self.query_error:  # the whole message, on two lines if need be (80 columns)
            return Text(f" ⚠ {self.query_error} ", style("status--error"))
        width = self.size.width
        wide = width >= 100
        view = Text(f" {self.rq.describe(with_sort=wide)} " if self.rq is not None else "")
        view.stylize(style("status--view"))
        sync = Text(f"  {self.sync_state.text} " if self.sync_state.text else "")
        sync.stylize(style(self.sync_state.kind))
        counts = None
        if self.counting:
            counts = f"{self.total or 0:,}+ papers · counting…"
        elif self.total is not None:
            waiting = "counting unread…" if wide else "unread…"  # whole at 80 columns
            unread = waiting if self.unread is None else f"{self.unread:,} unread"
            counts = f"{self.total:,} paper{'s' * (self.total != 1)} · {unread}"
        shown = Text(f"  {counts}  " if counts else "", style("status--counts"))
        room = max(width - shown.cell_len, 0)
        if view.cell_len + sync.cell_len > room:  # the view down to a few words first
            view.truncate(max(room - sync.cell_len, min(view.cell_len, 16)), overflow="ellipsis")
        if view.cell_len + sync.cell_len > room:
            sync.truncate(max(room - view.cell_len, 0), overflow="ellipsis")
        if view.cell_len + sync.cell_len > room:
            view.truncate(room, overflow="ellipsis")
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append_text(view)
        line.append_text(sync)
        line.append_text(shown)
        line.truncate(width, overflow="ellipsis")  # counts alone wider than the terminal
        return line
