"""Daily triage from the reader: mark a whole view read, undo the last change, next/previous
unread (on into other days in the day view), and reading on from the end of a paper.

The app routes keys and messages here; this asks the service in workers and moves the list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from ..plural import plural
from ..query import Query
from ..service import Change, Service
from ..views import ReaderQuery, View
from .screens.library import Confirm
from .widgets.paper_list import PaperList

ASK_ABOVE = 500  # unread papers: more than a few days' lists, so `A` asks before marking them


class TriageHost(Protocol):
    """What triage needs of the reader."""

    service: Service
    rq: ReaderQuery
    where: Query | None
    unread: int | None  # None: not counted yet

    @property
    def paper_list(self) -> PaperList: ...

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: float | None = ...
    ) -> None: ...

    def background(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None: ...

    def refresh_list(self, keep_current: bool = True) -> None: ...

    def reload_paper(self) -> None: ...

    def show_view(self, view: View) -> None: ...

    def push_screen(self, screen: Any, callback: Any = ...) -> Any: ...


class Triage:
    def __init__(self, host: TriageHost):
        self.host = host
        self.last_change: Change | None = None  # what ctrl+z puts back
        self.land_on_unread = 0  # after `n` crossed to another day: its first (1) or last (-1)

    def mark_all_read(self) -> None:
        """Everything the list shows (the whole view or search, not only the rows on screen);
        more than a few days' papers, or a count not made yet, asks first."""
        host, where = self.host, self.host.where
        if where is None or host.unread == 0:
            host.notify("Nothing unread here.", timeout=2)
            return
        unread = host.unread
        if unread is not None and unread <= ASK_ABOVE:
            self._mark_all_read(where)
            return
        many = (
            f"all {plural(unread, 'unread paper')}" if unread is not None else "every unread paper"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._mark_all_read(where)

        question = f"Mark {many} of this list read? (ctrl+z undoes it)"
        host.push_screen(
            Confirm(question, yes="y: mark them read", no="n or Esc: leave them"), answered
        )

    def _mark_all_read(self, where: Query) -> None:
        host = self.host

        def done(change: Change) -> None:
            if not change.before:  # its unread papers were not counted yet: there were none
                host.notify("Nothing unread here.", timeout=2)
                return
            self.last_change = change
            host.notify(f"{change.what[0].upper()}{change.what[1:]}. ctrl+z undoes it.", timeout=4)
            host.refresh_list()

        host.background(lambda: host.service.mark_all_read(where), done)

    def undo(self) -> None:
        host = self.host
        change, self.last_change = self.last_change, None
        if change is None:
            host.notify("Nothing to undo.", timeout=2)
            return

        def done(_count: int) -> None:
            host.notify(f"Undone: {change.undone or change.what}.", timeout=3)
            host.refresh_list()
            host.reload_paper()

        host.background(lambda: host.service.undo(change), done)

    def next_unread(self, direction: int) -> None:
        """The next (n) or previous (N) unread paper; in the day view, on to the next older
        (or newer) day with unread papers when this one has none left."""
        host = self.host
        listed, where = host.paper_list, host.where
        if where is None:
            return
        index = listed.cursor + direction
        while 0 <= index < listed.total:
            row = listed.row_at(index)
            if row is None:
                break  # not loaded here: ask the cache
            if not row.read:
                listed.move_to(index)
                return
            index += direction
        else:
            if not (listed.counting and index >= listed.total):  # else: past the rows drawn
                self._unread_elsewhere(direction)
                return
        order, start = host.rq.order, index

        def found(position: int | None) -> None:
            if position is None:
                self._unread_elsewhere(direction)
            else:
                listed.move_to(position)

        host.background(lambda: host.service.next_unread(where, order, start, direction), found)

    def _unread_elsewhere(self, direction: int) -> None:
        host = self.host
        view = host.rq.view
        if view.kind != "day" or view.anchor is None or host.rq.text.strip():
            host.notify("No more unread papers here.", timeout=2)
            return
        anchor = view.anchor

        def arrive(day: date | None) -> None:
            if day is None:
                where = "older" if direction > 0 else "newer"
                host.notify(f"No unread papers here or on {where} days.", timeout=3)
                return
            self.land_on_unread = direction
            host.show_view(View("day", day))

        # n reads on into the past (older days), N back towards today
        host.background(lambda: host.service.day_with_unread(anchor, -direction), arrive)
