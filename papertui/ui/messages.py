"""Messages that carry worker results back to the app (workers never touch widgets)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from textual.css.query import NoMatches
from textual.message import Message

from ..library import Snapshot
from ..models import StoredPaper
from ..store import ListRow
from ..sync import DayResult, SyncSummary


def while_mounted(handler: Callable) -> Callable:
    """Worker results can arrive while the app is shutting down: drop them quietly then."""

    @functools.wraps(handler)
    def wrapper(self, *args, **kwargs):
        try:
            return handler(self, *args, **kwargs)
        except NoMatches:
            if self.is_running and not self._exit:
                raise

    return wrapper


class QueryDone(Message):
    def __init__(
        self, generation: int, snapshot: Snapshot, keep_id: str | None, keep_index: int | None
    ):
        super().__init__()
        self.generation = generation
        self.snapshot = snapshot
        self.keep_id = keep_id
        self.keep_index = keep_index


class RowsLoaded(Message):
    def __init__(self, generation: int, start: int, rows: list[ListRow]):
        super().__init__()
        self.generation = generation
        self.start = start
        self.rows = rows


class PaperLoaded(Message):
    def __init__(self, paper_id: str, paper: StoredPaper | None):
        super().__init__()
        self.paper_id = paper_id
        self.paper = paper


class SyncPlanned(Message):
    def __init__(self, total: int):
        super().__init__()
        self.total = total


class SyncDayDone(Message):
    def __init__(self, result: DayResult):
        super().__init__()
        self.result = result


class SyncDone(Message):
    def __init__(self, summary: SyncSummary | None, error: str | None = None):
        super().__init__()
        self.summary = summary
        self.error = error


class UnreadCounted(Message):
    def __init__(self, generation: int, unread: int):
        super().__init__()
        self.generation = generation
        self.unread = unread
