"""The application layer under both faces, the CLI and the reader: every use case, once.

The offline policy, sync planning from a request, fetch-on-miss, remote search, marking, export
and import live here; the CLI parses flags and prints, the reader binds keys and draws. Results
and errors are typed. No message here names a command-line flag: the face that owns a flag adds
it (`Offline` says what needs the network; the CLI says `--offline` was given).

Workers of the reader call these from threads: reads go through one connection, the UI thread's
tiny state writes through another, so a long search never delays a bookmark being saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path

from . import export as exporting
from . import sync as syncing
from .errors import NotFound, PapertuiError
from .files import write_atomically
from .hf_api import HfApi
from .models import ListRow, Origin, StoredPaper, UpsertStats
from .plural import plural
from .query import EVERYTHING, Is, PaperIds, Query, all_of, has_words, parse_query
from .ratelimit import RateLimiter, pages_limiter
from .service_texts import FullTexts
from .store import Store
from .views import ReaderQuery, Session

EXPORT_FORMATS = exporting.FORMATS
EXPORT_BATCH = 1000  # papers read from the cache at a time while an export is written


class Offline(PapertuiError):
    """Something needs the network, and papertui was told to stay offline."""

    def __init__(self, what: str):
        super().__init__(f"{what} needs the network, but papertui is offline")
        self.what = what


class NotCached(PapertuiError):
    """Papers asked for by id are not in the cache (and were not fetched)."""

    def __init__(self, ids: Sequence[str]):
        super().__init__(f"not in the cache: {', '.join(ids)}")
        self.ids = list(ids)


@dataclass(frozen=True)
class SyncRequest:
    """Which days to sync: one day, a range, a week, a month, or the most recent `days`.

    Built from command-line flags by the CLI and from the config by the reader; the days it
    names are checked against the archive and today in `days_wanted`.
    """

    day: date | None = None
    start: date | None = None
    end: date | None = None  # with `start`; None means today
    week: str | None = None  # YYYY-Www
    month: str | None = None  # YYYY-MM
    recent: int = syncing.DEFAULT_DAYS
    force: bool = False  # refetch days that are up to date

    def days_wanted(self, today: date) -> list[date]:
        if self.day is not None:
            return syncing.clamp([self.day], today, explicit=True)
        if self.start is not None:
            return syncing.clamp(syncing.span(self.start, self.end or today), today)
        if self.week is not None:
            return syncing.clamp(syncing.week_days(self.week), today)
        if self.month is not None:
            return syncing.clamp(syncing.month_days(self.month), today)
        return syncing.clamp(syncing.recent_days(self.recent, today), today)


@dataclass
class Snapshot:
    """One answer to "what does the list show now": totals and the first window of rows."""

    total: int = 0
    rows: list[ListRow] = field(default_factory=list)
    where: Query | None = None
    error: str | None = None


@dataclass(frozen=True)
class Found:
    """A search of the cache: the papers shown (at most the limit) and how many match in all."""

    papers: list[StoredPaper]
    total: int

    @property
    def cut(self) -> bool:
        """Whether more papers match than are shown."""
        return len(self.papers) < self.total


@dataclass(frozen=True)
class Change:
    """A change to the reader's own state that can be undone: what each paper was before
    (read, bookmarked; None where the change did not touch it)."""

    what: str
    before: dict[str, tuple[bool | None, bool | None]]


@dataclass(frozen=True)
class Export:
    text: str
    count: int


@dataclass(frozen=True)
class ImportReport:
    imported: int
    stats: UpsertStats
    skipped: int
    errors: list[str]


class Service(FullTexts):
    """Every use case of both faces; the full-text ones are in `service_texts.FullTexts`."""

    def __init__(
        self,
        db_path: Path,
        *,
        api_url: str | None = None,
        offline: bool = False,
        api_factory: Callable[[str | None], HfApi] = HfApi,
        page_limiter: RateLimiter | None = None,
    ):
        """`page_limiter`: the "pages" rate-limit bucket every full-text fetch of this service
        shares (the reader fetches from several workers; the limit is per IP)."""
        self.db_path = db_path
        self.api_url = api_url
        self.offline = offline
        self._api_factory = api_factory
        self.page_limiter = page_limiter or pages_limiter()
        self._store: Store | None = None
        self._state: Store | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        """The cache, opened on first use: a file that can't be imported never creates one."""
        return self._opened("_store")

    def open(self) -> Service:
        """Open the cache now, so a cache that can't be opened fails before anything is shown."""
        _ = self.store
        return self

    def _state_store(self) -> Store:
        """A second connection for the reader's state writes (see the module's note)."""
        return self._opened("_state")

    def _opened(self, name: str) -> Store:
        with self._lock:
            store = getattr(self, name)
            if store is None:
                store = Store(self.db_path)
                setattr(self, name, store)
            return store

    def close(self) -> None:
        with self._lock:
            for store in (self._store, self._state):
                if store is not None:
                    store.close()
            self._store = self._state = None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def api(self, what: str) -> HfApi:
        """A client for the papers API; `Offline` naming `what` when offline."""
        if self.offline:
            raise Offline(what)
        return self._api_factory(self.api_url)

    # ---- reading the cache --------------------------------------------------------------

    def snapshot(self, query: ReaderQuery, window: int) -> Snapshot:
        """The total and the first rows: all the list needs to draw. The unread count, which
        costs as much again, comes separately (`unread`) so the list never waits for it."""
        try:
            where = query.filter()
        except PapertuiError as exc:
            return Snapshot(error=str(exc))
        # The rows first: ranking a search by relevance may count its papers on the way.
        rows = self.store.list_rows(where, query.order, limit=window)
        return Snapshot(total=self.store.count(where), rows=rows, where=where)

    def unread(self, where: Query) -> int:
        return self.store.unread_count(where)

    def rows(self, where: Query, sort: str, start: int, count: int) -> list[ListRow]:
        return self.store.list_rows(where, sort, limit=count, offset=start)

    def index_of(self, where: Query, sort: str, paper_id: str, limit: int = 5000) -> int | None:
        """Where a paper sits in the list (to keep the cursor on it after a refresh)."""
        ids = [r.id for r in self.store.list_rows(where, sort, limit=limit)]
        return ids.index(paper_id) if paper_id in ids else None

    def search(self, text: str, *, sort: str | None = None, limit: int | None = 50) -> Found:
        """Papers of the cache matching search text, and how many match in all (counted only
        when the limit cut the list). QueryError for text that makes no sense. Without a sort,
        by relevance when the text looks for words, most upvoted otherwise."""
        where = parse_query(text)
        if sort is None:
            sort = "relevance" if has_words(where) else "upvotes"
        papers = self.store.papers(where, sort=sort, limit=limit)
        cut = limit is not None and len(papers) >= limit
        return Found(papers, self.store.count(where) if cut else len(papers))

    def paper(self, paper_id: str) -> StoredPaper | None:
        return self.store.paper(paper_id)

    def paper_ids(self, *, query: str | None = None, bookmarked: bool = False) -> list[str]:
        """The ids of the cached papers matching search text and/or bookmarked, newest first."""
        where = parse_query(query) if query else EVERYTHING
        if bookmarked:
            where = all_of(where, Is("bookmarked"))
        return [p.id for p in self.store.list_rows(where, "date", limit=1_000_000)]

    def latest_day(self) -> date | None:
        day = self.store.latest_day()
        return _day(day)

    def adjacent_day(self, day: date, direction: int) -> date | None:
        return _day(self.store.adjacent_day(day.isoformat(), direction))

    # ---- reaching the network ------------------------------------------------------------

    def paper_or_fetch(self, paper_id: str) -> StoredPaper:
        """The cached paper, or fetched from the API and cached when it is not there."""
        paper = self.store.paper(paper_id)
        if paper is not None:
            return paper
        if self.offline:
            raise NotCached([paper_id])
        with self.api(f"fetching {paper_id}") as api:
            try:
                fetched = api.paper(paper_id)
            except NotFound:
                raise NotFound(f"no paper {paper_id} on Hugging Face", 404) from None
        self.store.upsert([fetched], origin=Origin.PAPER)
        paper = self.store.paper(paper_id)
        if paper is None:  # pragma: no cover - the upsert just stored it
            raise NotCached([paper_id])
        return paper

    def search_remote(
        self, text: str, limit: int = 20, sort: str | None = None
    ) -> list[StoredPaper]:
        """Search Hugging Face; the results are cached, then read back from the cache: in
        Hugging Face's order (its own relevance) without a sort or with "relevance", else in
        that order of the cache (upvotes, date, title), as a search of the cache sorts."""
        if not text.strip():
            raise PapertuiError("a remote search needs words to search for")
        with self.api("a remote search") as api:
            found = api.search(text, limit=min(limit, 100))
        self.store.upsert(found.entries, origin=Origin.SEARCH)
        ids = list(dict.fromkeys(entry.item.paper.id for entry in found.entries))
        if sort not in (None, "relevance"):
            return self.store.papers(PaperIds(tuple(ids)), sort=sort) if ids else []
        return [p for p in (self.store.paper(i) for i in ids) if p]

    def plan_sync(self, request: SyncRequest, today: date | None = None) -> syncing.SyncPlan:
        """The days of the request, and those that need fetching (all of them with `force`)."""
        today = today or syncing.utc_today()
        wanted = request.days_wanted(today)
        todo = syncing.select_days(self.store, wanted, today, force=request.force)
        return syncing.SyncPlan(wanted=wanted, todo=todo)

    def sync(
        self,
        request: SyncRequest,
        *,
        on_day: Callable[[syncing.DayResult], object] | None = None,
        on_plan: Callable[[list[date]], object] | None = None,
        cancel: threading.Event | None = None,
        budget: float | None = None,
    ) -> syncing.SyncSummary:
        """Sync the days of the request that need it, each day stored as it arrives.

        Setting `cancel` (from any thread) ends the sync within about a second: days not stored
        are reported as cancelled; days stored stay stored. `budget` bounds the whole sync in
        seconds (default: ten minutes and a little per day).
        """
        api = self.api("syncing")
        plan = self.plan_sync(request)
        if on_plan:
            on_plan(plan.todo)
        # A connection of its own: the sync writes from this thread while readers go on.
        with Store(self.db_path) as store, api:
            summary = syncing.sync_days(
                store, api, plan.todo, on_day=on_day, cancel=cancel, budget=budget
            )
        summary.up_to_date = plan.up_to_date
        return summary

    # ---- the reader's own state ----------------------------------------------------------

    def set_state(
        self, paper_ids: Sequence[str], *, read: bool | None = None, bookmarked: bool | None = None
    ) -> int:
        """Mark cached papers; committed before it returns, so a crash right after loses
        nothing. `NotCached` (and nothing changed) when any id is not in the cache."""
        state = self._state_store()
        missing = [i for i in dict.fromkeys(paper_ids) if not state.has_paper(i)]
        if missing:
            raise NotCached(missing)
        return state.set_state(paper_ids, read=read, bookmarked=bookmarked)

    def mark_all_read(self, where: Query) -> Change:
        """Mark every unread paper a query matches read, in one transaction; what it was before
        comes back so the change can be undone."""
        ids = self.store.ids(all_of(where, Is("unread")))
        change = Change(f"{plural(len(ids), 'paper')} marked read", {i: (False, None) for i in ids})
        if ids:
            self._state_store().set_state(ids, read=True)
        return change

    def undo(self, change: Change) -> int:
        """Put back what a change replaced (read and bookmarked, as they were)."""
        state = self._state_store()
        for read in (True, False):
            ids = [i for i, (r, _) in change.before.items() if r is read]
            if ids:
                state.set_state(ids, read=read)
        for mark in (True, False):
            ids = [i for i, (_, b) in change.before.items() if b is mark]
            if ids:
                state.set_state(ids, bookmarked=mark)
        return len(change.before)

    def next_unread(
        self, where: Query, sort: str, start: int, direction: int, limit: int = 20_000
    ) -> int | None:
        """The list position of the next (+1) or previous (-1) unread paper from `start` on,
        looked for a window at a time (at most `limit` rows away)."""
        window = 500
        if direction > 0:
            offset = start
            while offset < start + limit:
                rows = self.store.list_rows(where, sort, limit=window, offset=offset)
                for index, row in enumerate(rows):
                    if not row.read:
                        return offset + index
                if len(rows) < window:
                    return None
                offset += window
            return None
        end = start
        while end >= 0 and start - end < limit:
            offset = max(0, end - window + 1)
            rows = self.store.list_rows(where, sort, limit=end - offset + 1, offset=offset)
            for index in range(len(rows) - 1, -1, -1):
                if not rows[index].read:
                    return offset + index
            end = offset - 1
        return None

    def day_with_unread(self, day: date, direction: int) -> date | None:
        return _day(self.store.day_with_unread(day.isoformat(), direction))

    def last_session(self) -> tuple[Session, int] | None:
        """The reader's last session and how many papers arrived since it was saved."""
        saved = self.store.reader_session()
        if saved is None:
            return None
        session = Session.from_json(saved[0])
        if session is None:
            return None
        return session, self.store.count_first_seen_after(saved[1])

    def save_session(self, session: Session) -> None:
        self._state_store().save_reader_session(session.to_json())

    # ---- export and import ---------------------------------------------------------------

    def export(
        self,
        fmt: str,
        *,
        query: str | None = None,
        bookmarked: bool = False,
        sort: str = "date",
        with_text: bool = False,
    ) -> Export:
        """Papers as JSON (re-importable), BibTeX, Markdown or CSV; Markdown `with_text` has
        each paper's cached full text under it (full texts are cache data: JSON never has
        them, nor the reading positions)."""
        if with_text and fmt != "markdown":
            raise PapertuiError("full texts can only be included in the Markdown export")
        where = parse_query(query) if query else EVERYTHING
        if bookmarked:
            where = all_of(where, Is("bookmarked"))
        if with_text:
            papers = self.store.papers(where, sort=sort)
            texts = self.store.full_texts([p.id for p in papers])
            return Export(exporting.to_markdown(papers, texts=texts), len(papers))
        return self.export_papers(fmt, where, sort=sort)

    def export_papers(
        self, fmt: str, where: Query, *, sort: str = "date", heading: str | None = "Papers"
    ) -> Export:
        """The papers a query matches, in `sort` order, in one of the export formats (`heading`:
        the Markdown list's title, None for none)."""
        if fmt == "json":
            papers = self.store.papers(where, sort=sort)
            text = exporting.to_json(
                papers, self.store.raws([p.id for p in papers]), self.store.user_states()
            )
            return Export(text, len(papers))
        ids, pieces = self._export_pieces(fmt, where, sort, heading)
        return Export("".join(pieces), len(ids))

    def save_papers(
        self, fmt: str, where: Query, path: Path, *, sort: str = "date", heading: str | None = None
    ) -> int:
        """Write what `export_papers` would give (BibTeX, Markdown or CSV) to a file, whole or
        not at all, a batch of papers at a time (never the whole text in memory). Returns the
        number of papers; with none, nothing is written. OSError when the file can't be."""
        ids, pieces = self._export_pieces(fmt, where, sort, heading)
        if ids:
            write_atomically(path, pieces)
        return len(ids)

    def _export_pieces(
        self, fmt: str, where: Query, sort: str, heading: str | None
    ) -> tuple[list[str], Iterator[str]]:
        """The ids of the papers in order, and their text in pieces: the papers are read
        EXPORT_BATCH at a time as the pieces are taken, so the cache is never held for long."""
        formats: dict[str, Callable[[Iterable[StoredPaper]], Iterator[str]]] = {
            "bibtex": exporting.iter_bibtex,
            "markdown": lambda papers: exporting.iter_markdown(papers, heading),
            "csv": exporting.iter_csv,
        }
        if fmt not in formats:
            raise PapertuiError(f"unknown export format {fmt!r}: use {', '.join(EXPORT_FORMATS)}")
        ids = self.store.ordered_ids(where, sort)
        batches = (
            self.store.papers_by_ids(ids[start : start + EXPORT_BATCH])
            for start in range(0, len(ids), EXPORT_BATCH)
        )
        return ids, formats[fmt](chain.from_iterable(batches))

    def count(self, where: Query) -> int:
        """How many papers a query matches."""
        return self.store.count(where)

    def import_file(self, path: Path) -> ImportReport:
        """Papers and user state from a JSON export or a saved API list (`-`: standard input)."""
        parsed = exporting.read_import_file(path)
        if not parsed.records and parsed.skipped:
            raise PapertuiError(
                f"nothing to import from {path}: all {parsed.skipped} entries are invalid"
            )
        stats = self.store.import_records(parsed.records)
        return ImportReport(len(parsed.records), stats, parsed.skipped, parsed.errors)


def _day(text: str | None) -> date | None:
    """A day from the cache; a malformed one from an old cache reads as no day."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
