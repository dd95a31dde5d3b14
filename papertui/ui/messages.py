"""Messages that carry worker results back to the app (workers never touch widgets).

Each carries the `generation` of the query it answers where answers can go stale: the app drops
an answer to an older query.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.message import Message

from ..models import ListRow, StoredPaper
from ..service import Snapshot
from ..syncplan import Progress

if TYPE_CHECKING:  # the sync (and the HTTP client under it) loads with the first sync, not at start
    from ..sync import DayResult, SyncSummary


def while_mounted(handler: Callable) -> Callable:
    """Worker results can arrive while the app is shutting down: drop them quietly then."""

    @functools.wraps(handler)
    def wrapper(self, *args, **kwargs):
        try:
            return handler(self, *args, **kwargs)
        except NoMatches:
            if self.is_running:
                raise

    return wrapper


@dataclass
class QueryDone(Message):
    generation: int
    snapshot: Snapshot
    keep_id: str | None
    keep_index: int | None


@dataclass
class RowsLoaded(Message):
    generation: int
    start: int
    rows: list[ListRow]


@dataclass
class PaperLoaded(Message):
    paper_id: str
    paper: StoredPaper | None


@dataclass
class TotalCounted(Message):
    """The total of a list drawn before it was counted (`Service.snapshot`)."""

    generation: int
    total: int


@dataclass
class UnreadCounted(Message):
    generation: int
    unread: int


@dataclass
class SyncPlanned(Message):
    total: int


@dataclass
class SyncProgressed(Message):
    progress: Progress


@dataclass
class SyncDayDone(Message):
    result: DayResult


@dataclass
class SyncDone(Message):
    summary: SyncSummary | None
    error: str | None = None
