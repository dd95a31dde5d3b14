"""What the reader is looking at: a view (day, week, month, everything) plus filters and a query.

Kept out of the UI so it can be tested without a terminal. `ReaderQuery.filter()` is the one place
where the view, the unread/bookmark toggles and the search text become a single query.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Literal, TypeVar

from .errors import QueryError
from .links import paper_id_from
from .models import SavedSearch
from .query import EVERYTHING, Is, PaperIds, Query, all_of, day_range, has_words, parse_query

T = TypeVar("T")
ViewKind = Literal["day", "week", "month", "all"]
VIEW_KINDS: tuple[ViewKind, ...] = ("day", "week", "month", "all")
SORT_ORDER = ("upvotes", "rising", "date", "title")  # browsing (and the config's `sort`)
SEARCH_SORT_ORDER = ("relevance", *SORT_ORDER)  # while the search has words; relevance first
SORT_LABELS = {
    "relevance": "relevance",
    "upvotes": "most upvoted",
    "rising": "rising (upvotes gained lately)",
    "date": "newest",
    "title": "title",
}


@dataclass(frozen=True)
class View:
    kind: ViewKind
    anchor: date | None  # any day inside the period; None only for "all" or an empty cache

    def bounds(self) -> tuple[date | None, date | None]:
        """First and last day of the period. Total: a period running past year 9999 (a day an
        old cache may hold) ends on date.max instead of overflowing."""
        if self.kind == "all" or self.anchor is None:
            return None, None
        if self.kind == "day":
            return self.anchor, self.anchor
        if self.kind == "week":
            monday = self.anchor - timedelta(days=self.anchor.weekday())  # date.min is a Monday
            return monday, monday + timedelta(days=min(6, (date.max - monday).days))
        first = self.anchor.replace(day=1)
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])

    def label(self) -> str:
        if self.kind == "all":
            return "All papers"
        if self.anchor is None:
            return "No papers yet"
        start, end = self.bounds()
        if self.kind == "day":
            return self.anchor.strftime("%a %d %b %Y")
        if self.kind == "week":
            year, week, _ = self.anchor.isocalendar()
            return f"Week {year}-W{week:02d} ({start:%d %b}–{end:%d %b})"
        return self.anchor.strftime("%B %Y")

    def can_step(self, direction: int) -> bool:
        """Whether `step(direction)` moves: not past the first or last day a date can hold."""
        start, end = self.bounds()
        if self.kind in ("all", "day") or start is None or end is None:
            return False
        return start > date.min if direction < 0 else end < date.max

    def step(self, direction: int) -> View:
        """The previous (-1) or next (+1) week or month (days step through `adjacent_day`).

        Total: at the edge of the calendar (year 1 or 9999, only reachable from a bad day in an
        old cache) the view stays put; `can_step` tells beforehand.
        """
        start, end = self.bounds()
        if not self.can_step(direction) or start is None or end is None:
            return self
        if direction < 0:
            return replace(self, anchor=start - timedelta(days=1))
        return replace(self, anchor=end + timedelta(days=1))


def next_in(values: tuple[T, ...], current: T) -> T:
    return values[(values.index(current) + 1) % len(values)]


@dataclass(frozen=True)
class ReaderQuery:
    """Everything that decides which papers the list shows and in what order."""

    view: View
    text: str = ""
    unread_only: bool = False
    bookmarks_only: bool = False
    sort: str = "upvotes"  # the order while browsing (no words searched for)
    search_sort: str = "relevance"  # the order while the search has words

    @cached_property
    def paper_id(self) -> str | None:
        """The paper the search names, when it is an arXiv id or a paper link and nothing else."""
        return paper_id_from(self.text) if self.text.strip() else None

    @cached_property
    def _parsed(self) -> Query | QueryError | None:
        """The search text parsed once per query (the list, the sort, the highlight all ask):
        None without text, the QueryError when it can't be understood."""
        if not self.text.strip():
            return None
        try:
            return parse_query(self.text)
        except QueryError as exc:
            return exc

    @property
    def search(self) -> Query | None:
        """The search's tree (None without text, or while it can't be parsed)."""
        parsed = self._parsed
        return None if isinstance(parsed, QueryError) else parsed

    @property
    def has_words(self) -> bool:
        """Whether the search looks for words, so relevance can rank them. Text that can't be
        parsed (yet) keeps the search's order: the list keeps its rows until it parses."""
        if self._parsed is None or self.paper_id is not None:
            return False
        return isinstance(self._parsed, QueryError) or has_words(self._parsed)

    def may_span_years(self) -> bool:
        """Whether the list may hold papers of more than one year (its dates then show them)."""
        start, end = self.view.bounds()
        return bool(
            self.text.strip()
            or self.bookmarks_only
            or start is None
            or end is None
            or start.year != end.year
        )

    @property
    def order(self) -> str:
        """The sort order the list is in now."""
        return self.search_sort if self.has_words else self.sort

    def next_sort(self) -> ReaderQuery:
        """The next order (`s`): relevance, upvotes, rising, newest, title while searching for
        words; upvotes, rising, newest, title otherwise. Each is remembered apart."""
        if self.has_words:
            return replace(self, search_sort=next_in(SEARCH_SORT_ORDER, self.search_sort))
        return replace(self, sort=next_in(SORT_ORDER, self.sort))

    def filter(self) -> Query:
        """The combined query; raises QueryError for search text that can't be understood.

        A non-empty search looks through every paper, not just the current view: that is what
        people expect from a search box (use `date:` to narrow it). So do bookmarks.
        """
        where = EVERYTHING
        if self.paper_id is not None:
            where = PaperIds((self.paper_id,))
        elif isinstance(self._parsed, QueryError):
            raise QueryError(str(self._parsed))  # a fresh one: the cached one keeps its traceback
        elif self._parsed is not None:
            where = self._parsed
        elif not self.bookmarks_only:  # your bookmarks are a reading list, not a day's news
            where = day_range(*self.view.bounds())
        if self.unread_only:
            where = all_of(where, Is("unread"))
        if self.bookmarks_only:
            where = all_of(where, Is("bookmarked"))
        return where

    @classmethod
    def from_saved(cls, saved: SavedSearch, view: View) -> ReaderQuery:
        """A saved search as the reader shows it, in `view` (its kind is the saved one's)."""
        return cls(
            view,
            text=saved.query,
            unread_only=saved.unread_only,
            bookmarks_only=saved.bookmarks_only,
            sort=saved.sort,
            search_sort=saved.search_sort,
        )

    def to_saved(self, name: str) -> SavedSearch:
        """This query, view, filters and sorts, saved under `name` (ValueError for a bad name)."""
        return SavedSearch(
            name=name,
            query=self.text.strip(),
            view=self.view.kind,
            unread_only=self.unread_only,
            bookmarks_only=self.bookmarks_only,
            sort=self.sort,  # type: ignore[arg-type]
            search_sort=self.search_sort,  # type: ignore[arg-type]
        )

    def is_default(self) -> bool:
        """Nothing searched for or filtered: only a view (not worth saving as a search)."""
        return not self.text.strip() and not self.unread_only and not self.bookmarks_only

    def describe(self, with_sort: bool = True) -> str:
        """What the list shows, for the status line (`with_sort=False` on narrow terminals)."""
        if self.text.strip():
            scope = f"search “{self.text.strip()}” in all papers"
        elif self.bookmarks_only:
            scope = "All papers"
        else:
            scope = self.view.label()
        flags = [
            f
            for f, on in (
                ("unread only", self.unread_only),
                ("bookmarks only", self.bookmarks_only),
            )
            if on
        ]
        sort = [f"sorted by {SORT_LABELS[self.order]}"] if with_sort else []
        return " · ".join([scope, *flags, *sort])


@dataclass(frozen=True)
class Session:
    """Where the reader was when it closed: it opens there again (`restore_session`)."""

    query: ReaderQuery
    paper_id: str | None = None

    def to_json(self) -> str:
        q = self.query
        return json.dumps(
            {
                "view": q.view.kind,
                "anchor": q.view.anchor.isoformat() if q.view.anchor else None,
                "text": q.text,
                "unread_only": q.unread_only,
                "bookmarks_only": q.bookmarks_only,
                "sort": q.sort,
                "search_sort": q.search_sort,
                "paper_id": self.paper_id,
            }
        )

    @classmethod
    def from_json(cls, text: str, sorts: tuple[str, ...] = SORT_ORDER) -> Session | None:
        """The saved session, or None for anything that is not one (never an exception)."""
        try:
            data = json.loads(text)
            kind = data["view"]
            if kind not in VIEW_KINDS or data["sort"] not in sorts:
                return None
            anchor = date.fromisoformat(data["anchor"]) if data.get("anchor") else None
            query = ReaderQuery(
                View(kind, anchor),
                text=str(data.get("text") or "")[:2000],
                unread_only=bool(data.get("unread_only")),
                bookmarks_only=bool(data.get("bookmarks_only")),
                sort=data["sort"],
                search_sort=data.get("search_sort")
                if data.get("search_sort") in SEARCH_SORT_ORDER
                else "relevance",
            )
            paper_id = data.get("paper_id")
            return cls(query, paper_id if isinstance(paper_id, str) else None)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
