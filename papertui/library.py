"""The reader's data service: everything the UI asks of the cache and the network, no Textual.

The app calls these from worker threads (and state writes from the UI thread, see `set_state`);
widgets never see SQL or HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import sync as syncing
from .errors import PapertuiError
from .hf_api import HfApi
from .models import StoredPaper
from .query import Query
from .store import ListRow, Store
from .views import ReaderQuery


@dataclass
class Snapshot:
    """One answer to "what does the list show now": totals and the first window of rows."""

    total: int = 0
    rows: list[ListRow] = field(default_factory=list)
    where: Query | None = None
    error: str | None = None


class Library:
    def __init__(self, db_path: Path, *, api_url: str | None = None, offline: bool = False):
        self.db_path = db_path
        self.api_url = api_url
        self.offline = offline
        # Two connections: workers query through one; the UI thread's tiny state writes go
        # through the other, so a long search never delays a bookmark being saved.
        self.store = Store(db_path)
        self.state = Store(db_path)

    def close(self) -> None:
        self.store.close()
        self.state.close()

    def snapshot(self, query: ReaderQuery, window: int) -> Snapshot:
        """The total and the first rows: all the list needs to draw. The unread count, which
        costs as much again, comes separately (`unread`) so the list never waits for it."""
        try:
            where = query.filter()
        except PapertuiError as exc:
            return Snapshot(error=str(exc))
        return Snapshot(
            total=self.store.count(where),
            rows=self.store.list_rows(where, query.sort, limit=window),
            where=where,
        )

    def unread(self, where: Query) -> int:
        return self.store.unread_count(where)

    def rows(self, where: Query, sort: str, start: int, count: int) -> list[ListRow]:
        return self.store.list_rows(where, sort, limit=count, offset=start)

    def index_of(self, where: Query, sort: str, paper_id: str, limit: int = 5000) -> int | None:
        """Where a paper sits in the list (to keep the cursor on it after a refresh)."""
        ids = [r.id for r in self.store.list_rows(where, sort, limit=limit)]
        return ids.index(paper_id) if paper_id in ids else None

    def paper(self, paper_id: str) -> StoredPaper | None:
        return self.store.paper(paper_id)

    def latest_day(self) -> date | None:
        day = self.store.latest_day()
        return date.fromisoformat(day) if day else None

    def adjacent_day(self, day: date, direction: int) -> date | None:
        found = self.store.adjacent_day(day.isoformat(), direction)
        return date.fromisoformat(found) if found else None

    def set_state(
        self, paper_id: str, *, read: bool | None = None, bookmarked: bool | None = None
    ) -> None:
        """Committed before it returns: a crash right after the key press loses nothing."""
        self.state.set_state([paper_id], read=read, bookmarked=bookmarked)

    def sync(
        self,
        days: int,
        on_day: Callable[[syncing.DayResult], None] | None = None,
        on_plan: Callable[[list[date]], None] | None = None,
        force: bool = False,
        cancel: threading.Event | None = None,
        budget: float | None = None,
    ) -> syncing.SyncSummary:
        """Sync the recent days that need it, each day stored as it arrives.

        Setting `cancel` (from any thread) ends the sync within about a second: it returns a
        summary whose unfinished days have the error "cancelled" (`summary.cancelled`); days
        already stored stay stored. `budget` bounds the whole sync in seconds (default: ten
        minutes and a little per day); days left when it runs out fail saying so."""
        if self.offline:
            raise PapertuiError("offline: syncing is turned off (--offline)")
        today = syncing.utc_today()
        with Store(self.db_path) as store, HfApi(self.api_url) as api:
            wanted = syncing.clamp(syncing.recent_days(days, today), today)
            todo = syncing.select_days(store, wanted, today, force=force)
            if on_plan:
                on_plan(todo)
            return syncing.sync_days(store, api, todo, on_day=on_day, cancel=cancel, budget=budget)
