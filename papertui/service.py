"""The application layer under both faces, the CLI and the reader: every use case, once.

The offline policy, sync planning from a request, fetch-on-miss, remote search, marking, export
and import live here; the CLI parses flags and prints, the reader binds keys and draws. Results
and errors are typed. No message here names a command-line flag: the face that owns a flag adds
it (`Offline` says what needs the network; the CLI says `--offline` was given).

Workers of the reader call these from threads: reads go through one connection, the UI thread's
tiny state writes through another, so a long search never delays a bookmark being saved, and
the totals a list shows after its rows (`total`, `unread`) through a third, so counting a word
in a million papers never delays the next search's rows.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from . import coverage as covering
from . import days as calendar_days
from . import export as exporting
from . import importing, library
from .coverage import DayCoverage, Status
from .errors import NotCached, NotFound, Offline, PapertuiError
from .files import write_atomically
from .models import ListRow, Origin, SavedSearch, StoredPaper, TagCount, UpsertStats
from .plural import plural
from .query import EVERYTHING, Is, PaperIds, Query, Tag, all_of, has_words, parse_query
from .ratelimit import RateLimiter, pages_limiter
from .service_texts import FullTexts
from .store import Store, maintenance, prepare_import
from .syncplan import Progress
from .views import ReaderQuery, Session, View

# The HTTP client and the sync are imported by the use cases that go to the network: the
# commands that only read the cache (`status`, `search`, `export`, ...) never pay for httpx.
if TYPE_CHECKING:
    from . import sync as syncing
    from .hf_api import HfApi

EXPORT_FORMATS = exporting.FORMATS
EXPORT_BATCH = 1000  # papers read from the cache at a time while an export is written


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
    recent: int = calendar_days.DEFAULT_DAYS
    force: bool = False  # refetch days that are up to date
    everything: bool = False  # every day of the archive (`sync --all`)
    days: tuple[date, ...] = ()  # these days (the coverage calendar's choice)

    def days_wanted(self, today: date) -> list[date]:
        named, explicit = self._named(today)
        return calendar_days.clamp(named, today, explicit=explicit)

    def days_after(self, today: date) -> int:
        """How many of the days asked for are after today (a range, week or month that runs
        past it): they are left out, and the command line says so."""
        named, _ = self._named(today)
        return sum(day > today for day in set(named))

    def _named(self, today: date) -> tuple[list[date], bool]:
        """The days the request names, and whether it names one on purpose (then a day outside
        the archive is an error, not a day left out)."""
        if self.everything:
            return calendar_days.span(calendar_days.ARCHIVE_START, today), False
        if self.days:
            return list(self.days), len(self.days) == 1
        if self.day is not None:
            return [self.day], True
        if self.start is not None:
            return calendar_days.span(self.start, self.end or today), False
        if self.week is not None:
            return calendar_days.week_days(self.week), False
        if self.month is not None:
            return calendar_days.month_days(self.month), False
        return calendar_days.recent_days(self.recent, today), False

    def describe(self) -> str:
        """What was asked for, in a few words (the sync log and `papertui status`)."""
        if self.everything:
            return "the whole archive"
        if self.days:
            first, last = min(self.days), max(self.days)
            if first == last:
                return first.isoformat()
            return f"{plural(len(self.days), 'day')} from {first.isoformat()} to {last.isoformat()}"
        if self.day is not None:
            return self.day.isoformat()
        if self.start is not None:
            return f"{self.start.isoformat()} to {(self.end.isoformat() if self.end else 'today')}"
        if self.week is not None:
            return f"week {self.week}"
        if self.month is not None:
            return f"month {self.month}"
        return f"the last {plural(self.recent, 'day')}"


@dataclass
class Snapshot:
    """One answer to "what does the list show now": totals and the first window of rows."""

    total: int | None = 0  # None: not counted yet (at least the rows)
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
class Searched:
    """A search of the cache whose papers (`shown` of them, of `total` matching) are read as
    they are taken from `papers`."""

    shown: int
    total: int
    papers: Iterator[StoredPaper]

    @property
    def cut(self) -> bool:
        return self.shown < self.total


@dataclass(frozen=True)
class Change:
    """A change to the reader's own state that can be undone: what each paper was before
    (read, bookmarked; None where the change did not touch it)."""

    what: str
    before: dict[str, tuple[bool | None, bool | None]]
    undone: str = ""  # what undoing it leaves, when `what` would read as if it still held


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
    saved_searches: int = 0  # saved searches taken from the file


@dataclass(frozen=True)
class SavedCount:
    """A saved search and what it finds now (None: its query can't be understood any more)."""

    saved: SavedSearch
    total: int | None
    unread: int | None
    error: str | None = None


class Service(FullTexts):
    """Every use case of both faces; the full-text ones are in `service_texts.FullTexts`."""

    def __init__(
        self,
        db_path: Path,
        *,
        api_url: str | None = None,
        offline: bool = False,
        api_factory: Callable[[str | None], HfApi] | None = None,
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
        self._counts: Store | None = None
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
        self.drop_counts()  # a count still running would hold its connection's lock
        with self._lock:
            for store in (self._store, self._state, self._counts):
                if store is not None:
                    store.close()
            self._store = self._state = self._counts = None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def api(self, what: str) -> HfApi:
        """A client for the papers API; `Offline` naming `what` when offline."""
        if self.offline:
            raise Offline(what)
        if self._api_factory is None:
            from .hf_api import HfApi

            return HfApi(self.api_url)
        return self._api_factory(self.api_url)

    # ---- reading the cache --------------------------------------------------------------

    def snapshot(self, query: ReaderQuery, window: int, *, counted: bool = True) -> Snapshot:
        """The first rows and the total: all the list needs to draw. With `counted=False` the
        total is left for `total` (None) unless the rows are all there are: the reader draws the
        rows first (a word in 91% of a million papers: its first rows in ~20 ms, its total in
        ~140). The unread count, which costs as much again, always comes separately (`unread`)."""
        try:
            where = query.filter()
        except PapertuiError as exc:
            return Snapshot(error=str(exc))
        # The rows first: ranking a search by relevance may count its papers on the way. One row
        # more than the window tells a list of exactly a window's length from a longer one.
        rows = self.store.list_rows(where, query.order, limit=window + 1)
        if len(rows) <= window:
            return Snapshot(total=len(rows), rows=rows, where=where)
        del rows[window:]
        return Snapshot(total=self.total(where) if counted else None, rows=rows, where=where)

    def total(self, where: Query) -> int:
        """How many papers a query finds (on the counting connection: see the module's note)."""
        known = self.store.known_count(where)  # ranking every match by relevance counted them
        return known if known is not None else self._count_store().count(where)

    def unread(self, where: Query) -> int:
        return self._count_store().unread_count(where)

    def drop_counts(self) -> None:
        """Stop the count running now, if any: the list it was for has been replaced (a word in
        most of a million papers takes ~400 ms to count, with its unread papers, and the next
        list should not share the machine with it)."""
        counts = self._counts
        if counts is not None:
            counts.interrupt()

    def _count_store(self) -> Store:
        """The connection that counts; a cache in memory has only the one."""
        return self.store if str(self.db_path) == ":memory:" else self._opened("_counts")

    def rows(self, where: Query, sort: str, start: int, count: int) -> list[ListRow]:
        return self.store.list_rows(where, sort, limit=count, offset=start)

    def index_of(self, where: Query, sort: str, paper_id: str, limit: int = 5000) -> int | None:
        """Where a paper sits in the list (to keep the cursor on it after a refresh)."""
        return self.store.position(where, sort, paper_id, limit)

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

    def search_stream(
        self, text: str, *, sort: str | None = None, limit: int | None = 50
    ) -> Searched:
        """`search`, with the papers read as they are asked for: up to EXPORT_BATCH of them in
        one go (the fast windows of a relevance order), more a batch at a time, so `search
        --json --limit 100000` holds a batch, not 100,000 papers."""
        if limit is not None and limit <= EXPORT_BATCH:
            found = self.search(text, sort=sort, limit=limit)
            return Searched(len(found.papers), found.total, iter(found.papers))
        where = parse_query(text)
        if sort is None:
            sort = "relevance" if has_words(where) else "upvotes"
        shown, batches = self._batches(where, sort, limit)
        cut = limit is not None and shown >= limit
        total = self.store.count(where) if cut else shown
        return Searched(shown, total, chain.from_iterable(batches))

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
        from . import sync as syncing

        today = today or calendar_days.utc_today()
        wanted = request.days_wanted(today)
        todo = syncing.select_days(self.store, wanted, today, force=request.force)
        return syncing.SyncPlan(wanted=wanted, todo=todo)

    def sync(
        self,
        request: SyncRequest,
        *,
        on_day: Callable[[syncing.DayResult], object] | None = None,
        on_plan: Callable[[list[date]], object] | None = None,
        on_progress: Callable[[Progress], object] | None = None,
        cancel: threading.Event | None = None,
        budget: float | None = None,
    ) -> syncing.SyncSummary:
        """Sync the days of the request that need it, each day stored as it arrives (whole
        past months as `month=` lists: see `syncplan`).

        Setting `cancel` (from any thread) ends the sync within about a second: days not stored
        are reported as cancelled; days stored stay stored. `budget` bounds the whole sync in
        seconds (default: ten minutes and a little per day). The sync is logged in the cache
        when it starts and when it ends (`papertui status`; a sync that was killed never ends).
        """
        from . import sync as syncing

        api = self.api("syncing")
        plan = self.plan_sync(request)
        if on_plan:
            on_plan(plan.todo)
        # A connection of its own: the sync writes from this thread while readers go on.
        with Store(self.db_path) as store, api:
            run = store.start_sync_run(request.describe(), len(plan.todo))
            summary = None
            try:
                summary = syncing.sync_days(
                    store,
                    api,
                    plan.todo,
                    on_day=on_day,
                    on_progress=on_progress,
                    cancel=cancel,
                    budget=budget,
                )
            finally:
                _log_run(store, run, summary, api.requests_made)
        summary.up_to_date = plan.up_to_date
        return summary

    # ---- what the cache has, and what changed ------------------------------------------

    def coverage(
        self, first: date, last: date, today: date | None = None, counts: bool = True
    ) -> list[DayCoverage]:
        """Each day from `first` to `last`: its state (complete, stale, partial, failed,
        missing, no papers) and how many papers it lists, how many unread. Without `counts`,
        the states alone (the counts of days fetched are left at 0): see `coverage_facts`."""
        today = today or calendar_days.utc_today()
        records, failures, found = self.store.coverage_facts(
            first.isoformat(), last.isoformat(), counts
        )
        return covering.days_of(first, last, records, failures, found, today)

    def status(self, today: date | None = None) -> Status:
        """What the cache holds: counts, which days it covers and which it lacks, the last
        sync, the schema."""
        today = today or calendar_days.utc_today()
        store = self.store
        totals = store.totals()
        first, last = (_day(d) for d in store.day_span())
        days = self.coverage(calendar_days.ARCHIVE_START, today, today, counts=False)
        stale = {covering.DayState.STALE}
        runs = store.sync_runs(1)
        return Status(
            path=str(self.db_path),
            size_bytes=_file_size(self.db_path),
            papers=totals["papers"] or 0,
            unread=totals["unread"] or 0,
            bookmarked=totals["bookmarked"] or 0,
            tagged=totals["tagged"] or 0,
            noted=totals["noted"] or 0,
            full_texts=totals["full_texts"],
            history_rows=totals["history_rows"] or 0,
            first_day=first,
            last_day=last,
            today=today,
            days=covering.tally(days),
            missing=covering.ranges(days, {covering.DayState.MISSING}),
            failed=[d for d in days if d.state is covering.DayState.FAILED],
            stale=covering.ranges(days, stale),
            last_sync=runs[0] if runs else None,
            schema=store.schema_version(),
        )

    def begin_reading(self) -> int:
        """The reader opens: `is:new` now means "since the last session"; how many are new."""
        return self._state_store().begin_reading()

    def mark_links_seen(self, paper_id: str) -> None:
        """The reader showed the paper: its "gained a repo / page" mark goes."""
        self._state_store().mark_links_seen([paper_id])

    def links_gained(self, paper_id: str) -> tuple[bool, bool]:
        return self.store.links_gained(paper_id)

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
        change = Change(
            f"{plural(len(ids), 'paper')} marked read",
            {i: (False, None) for i in ids},
            undone=f"{plural(len(ids), 'paper')} unread again",
        )
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

    # ---- your library: tags, notes, saved searches -----------------------------------------

    def _cached(self, paper_ids: Sequence[str]) -> Store:
        """The state connection, once every paper is known to be cached (NotCached if not)."""
        state = self._state_store()
        missing = [i for i in dict.fromkeys(paper_ids) if not state.has_paper(i)]
        if missing:
            raise NotCached(missing)
        return state

    # The reader reads a paper's note, the tag names and the saved searches the moment a key
    # opens their popup (a key typed right after must land in the popup, not in the list), so
    # these small reads go through the state connection, which no long search ever holds.

    def tags_of(self, paper_id: str) -> list[str]:
        return self._state_store().tags_of([paper_id])[paper_id]

    def set_tags(self, paper_id: str, tags: Sequence[str]) -> list[str]:
        """Replace a paper's tags (names normalised; TagError for one that is no tag)."""
        names = [library.normalize_tag(t) for t in tags]
        return self._cached([paper_id]).change_tags([paper_id], replace=names)[paper_id]

    def change_tags(
        self, paper_ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> dict[str, list[str]]:
        """Add and remove tags on cached papers, all in one transaction; each paper's tags."""
        adding = [library.normalize_tag(t) for t in add]
        removing = [library.normalize_tag(t) for t in remove]
        if both := sorted(set(adding) & set(removing)):
            raise PapertuiError(
                f"{', '.join(both)}: both added and taken off; choose one (nothing was changed)"
            )
        return self._cached(paper_ids).change_tags(paper_ids, add=adding, remove=removing)

    def tag_counts(self) -> list[TagCount]:
        return self.store.tag_counts()

    def tag_names(self) -> list[str]:
        return self._state_store().tag_names()

    def rename_tag(self, old: str, new: str | None) -> int:
        """Rename a tag on every paper (merging into `new` when it exists), or remove it
        everywhere (`new` None); how many papers changed. PapertuiError when no paper has it."""
        old_name = library.normalize_tag(old)
        new_name = library.normalize_tag(new) if new is not None else None
        if old_name not in self.store.tag_names():
            raise PapertuiError(f"no paper is tagged {old_name!r}")
        if new_name == old_name:
            return 0
        return self._state_store().rename_tag(old_name, new_name)

    def note(self, paper_id: str) -> str | None:
        return self._state_store().note(paper_id)

    def set_note(self, paper_id: str, text: str | None) -> str:
        """Set (or clear, with nothing but whitespace) a cached paper's note, exactly as
        written, committed before this returns: "saved", "cleared" or "unchanged"."""
        note = library.check_note(text)
        changed = self._cached([paper_id]).set_note(paper_id, note)
        if not changed:
            return "unchanged"
        return "saved" if note is not None else "cleared"

    def saved_searches(self) -> list[SavedSearch]:
        return self._state_store().saved_searches()

    def saved_search(self, name: str) -> SavedSearch:
        saved = self.store.saved_search(name.strip())
        if saved is None:
            known = ", ".join(s.name for s in self.store.saved_searches()[:8])
            raise PapertuiError(
                f"no saved search called {name.strip()[:60]!r}"
                + (f" (saved: {known})" if known else " (none saved yet)")
            )
        return saved

    def save_search(self, saved: SavedSearch) -> bool:
        """Save a search under its name (replacing one of that name: True). Its query must be
        understood (QueryError otherwise), so a saved search always opens."""
        if saved.query:
            parse_query(saved.query)
        return self._state_store().save_search(saved)

    def delete_saved_search(self, name: str) -> None:
        if not self._state_store().delete_saved_search(name.strip()):
            self.saved_search(name)  # names the saved searches there are
            raise PapertuiError(f"no saved search called {name.strip()[:60]!r}")

    def saved_query(self, saved: SavedSearch) -> ReaderQuery:
        """What the reader shows for a saved search: its query, filters and sorts, its view
        on the newest day with papers."""
        return ReaderQuery.from_saved(saved, View(saved.view, self.latest_day()))

    def saved_counts(self, searches: Sequence[SavedSearch]) -> list[SavedCount]:
        """How many papers each saved search finds now, and how many of them are unread."""
        counted = []
        for saved in searches:
            try:
                total, unread = self.store.counts(self.saved_query(saved).filter())
            except PapertuiError as exc:
                counted.append(SavedCount(saved, None, None, str(exc)))
                continue
            counted.append(SavedCount(saved, total, unread))
        return counted

    def search_saved(
        self, name: str, text: str = "", *, sort: str | None = None, limit: int | None = 50
    ) -> Found:
        """A saved search, narrowed by more search text when given; in the saved search's own
        order unless `sort` says another."""
        rq = self.saved_query(self.saved_search(name))
        where = rq.filter()
        if text.strip():
            where = all_of(where, parse_query(text))
        order = sort or (rq.search_sort if has_words(where) else rq.sort)
        papers = self.store.papers(where, sort=order, limit=limit)
        cut = limit is not None and len(papers) >= limit
        return Found(papers, self.store.count(where) if cut else len(papers))

    # ---- export and import ---------------------------------------------------------------

    def export(
        self,
        fmt: str,
        *,
        query: str | None = None,
        bookmarked: bool = False,
        tag: str | None = None,
        sort: str = "date",
        with_text: bool = False,
    ) -> Export:
        """`export_stream` as one text (small exports; the CLI writes the stream)."""
        count, pieces = self.export_stream(
            fmt, query=query, bookmarked=bookmarked, tag=tag, sort=sort, with_text=with_text
        )
        return Export("".join(pieces), count)

    def export_stream(
        self,
        fmt: str,
        *,
        query: str | None = None,
        bookmarked: bool = False,
        tag: str | None = None,
        sort: str = "date",
        with_text: bool = False,
    ) -> tuple[int, Iterator[str]]:
        """How many papers, and their export in pieces as the papers are read (EXPORT_BATCH at
        a time: memory does not grow with the cache): JSON or JSON Lines (re-importable),
        BibTeX, Markdown or CSV; Markdown `with_text` has each paper's cached full text under
        it (full texts are cache data: JSON never has them, nor the reading positions). A JSON
        export of every paper (no query, bookmark or tag filter) carries your saved searches."""
        if with_text and fmt != "markdown":
            raise PapertuiError("full texts can only be included in the Markdown export")
        where = parse_query(query) if query else EVERYTHING
        if bookmarked:
            where = all_of(where, Is("bookmarked"))
        if tag is not None:
            where = all_of(where, Tag(library.normalize_tag(tag)))
        if with_text:
            count, batches = self._batches(where, sort)
            with_texts = (
                (paper, texts.get(paper.id))
                for batch in batches
                for texts in [self.store.full_texts([p.id for p in batch])]
                for paper in batch
            )
            return count, exporting.iter_markdown_with_texts(with_texts, "Papers")
        everything = not query and not bookmarked and tag is None
        return self._export_pieces(fmt, where, sort, "Papers", saved_searches=everything)

    def export_papers(
        self,
        fmt: str,
        where: Query,
        *,
        sort: str = "date",
        heading: str | None = "Papers",
        saved_searches: bool = False,
    ) -> Export:
        """The papers a query matches, in `sort` order, in one of the export formats (`heading`:
        the Markdown list's title, None for none; `saved_searches`: JSON carries yours)."""
        count, pieces = self._export_pieces(fmt, where, sort, heading, saved_searches)
        return Export("".join(pieces), count)

    def save_papers(
        self, fmt: str, where: Query, path: Path, *, sort: str = "date", heading: str | None = None
    ) -> int:
        """Write what `export_papers` would give to a file, whole or not at all, a batch of
        papers at a time (never the whole text in memory). Returns the number of papers; with
        none, nothing is written. OSError when the file can't be."""
        count, pieces = self._export_pieces(fmt, where, sort, heading)
        if count:
            write_atomically(path, pieces)
        return count

    def _export_pieces(
        self,
        fmt: str,
        where: Query,
        sort: str,
        heading: str | None,
        saved_searches: bool = False,
    ) -> tuple[int, Iterator[str]]:
        """How many papers, and their text in pieces: the papers are read EXPORT_BATCH at a
        time as the pieces are taken, so the cache is never held for long. With
        `saved_searches`, JSON and JSON Lines carry them (before the papers)."""
        extras = exporting.saved_extras(self.store.saved_searches() if saved_searches else None)
        formats: dict[str, Callable[[Iterable[StoredPaper]], Iterator[str]]] = {
            "json": lambda papers: exporting.iter_json(self._records(papers), extras),
            "jsonl": lambda papers: exporting.iter_jsonl(self._records(papers), extras),
            "bibtex": exporting.iter_bibtex,
            "markdown": lambda papers: exporting.iter_markdown(papers, heading),
            "csv": exporting.iter_csv,
        }
        if fmt not in formats:
            raise PapertuiError(f"unknown export format {fmt!r}: use {', '.join(EXPORT_FORMATS)}")
        count, batches = self._batches(where, sort)
        return count, formats[fmt](chain.from_iterable(batches))

    def _batches(
        self, where: Query, sort: str, limit: int | None = None
    ) -> tuple[int, Iterator[list[StoredPaper]]]:
        """How many papers match (at most `limit`), and the papers in order, EXPORT_BATCH at a
        time as they are asked for (only their row keys are held: 8 bytes a paper)."""
        pks = self.store.ordered_pks(where, sort, limit)
        batches = (
            self.store.papers_by_pks(pks[start : start + EXPORT_BATCH])
            for start in range(0, len(pks), EXPORT_BATCH)
        )
        return len(pks), batches

    def _records(self, papers: Iterable[StoredPaper]) -> Iterator[dict]:
        """The JSON export's records of papers, with their raw items and your state, read for
        EXPORT_BATCH papers at a time."""
        items = iter(papers)
        while batch := list(islice(items, EXPORT_BATCH)):
            ids = [p.id for p in batch]
            raws, states = self.store.raws(ids), self.store.user_states(ids)
            for paper in batch:
                yield exporting.export_record(paper, raws.get(paper.id), states.get(paper.id))

    # ---- the cache file ------------------------------------------------------------------

    def db_check(
        self,
        *,
        cancel: threading.Event | None = None,
        on_step: Callable[[maintenance.Step], object] | None = None,
    ) -> list[maintenance.Step]:
        """Check the cache file and every search index; changes nothing. CacheBusy when
        another process is writing; Interrupted when `cancel` is set."""
        return maintenance.check(self.store, cancel, on_step)

    def db_optimize(
        self,
        *,
        cancel: threading.Event | None = None,
        on_step: Callable[[maintenance.Step], object] | None = None,
    ) -> tuple[maintenance.Sizes, maintenance.Sizes, list[maintenance.Step]]:
        """Merge the search indexes, refresh the planner's statistics and compact the file:
        the sizes before and after. Refused before any step when the disk lacks room."""
        return maintenance.optimize(self.store, cancel, on_step)

    def count(self, where: Query) -> int:
        """How many papers a query matches."""
        return self.store.count(where)

    def import_file(
        self, path: Path, *, on_batch: Callable[[int], object] | None = None
    ) -> ImportReport:
        """Papers and user state from a JSON or JSON Lines export or a saved API list (`-`:
        standard input), stored as they are read: memory does not grow with the file. The file
        is read and prepared in a thread of its own while the records before are written.
        `on_batch(done)` after each batch is committed. A file that stops making sense half
        way (cut short) keeps what was imported before, and its error says how much."""
        stream = importing.ImportStream(path)
        stats = UpsertStats()
        done = 0

        def committed(count: int) -> None:
            nonlocal done
            done = count
            if on_batch:
                on_batch(count)

        chunks = importing.read_ahead(prepare_import(stream.records(), reject=stream.reject))
        try:
            # The first rows before the cache: a file with nothing to import never makes one.
            first = next(chunks, None)
            if first is not None:
                self.store.import_prepared(
                    itertools.chain([first], chunks), on_batch=committed, stats=stats
                )
        except importing.ImportStopped as exc:
            raise importing.ImportStopped(
                f"{exc}; {importing.stopped_note(done, _stats_text(stats))}", exc.entries
            ) from None
        if not done and stream.skipped:
            named = "".join(f"\n  skipped {error}" for error in stream.errors[:10])
            raise PapertuiError(
                f"nothing to import from {path}: all {stream.skipped} entries are invalid{named}"
            )
        found = importing.saved_searches(stream)
        saved = self.store.merge_saved_searches(found) if found else 0
        return ImportReport(done, stats, stream.skipped, stream.errors, saved)


def _stats_text(stats: UpsertStats) -> str:
    return f"{stats.new:,} new, {stats.updated:,} updated, {stats.unchanged:,} unchanged"


def _log_run(store: Store, run: int, summary: syncing.SyncSummary | None, requests: int) -> None:
    """The end of a sync, in its log: what it stored, and how it ended (None: on an error)."""
    from . import sync as syncing

    failed = [r for r in summary.failed if not r.cancelled] if summary else []
    if summary is None:
        result = "error"
        summary = syncing.SyncSummary()
    elif summary.cancelled:
        result = "cancelled"
    elif failed and all(r.unreachable for r in failed):
        result = "offline"
    elif failed:
        result = "failed"
    else:
        result = "ok"
    stats = UpsertStats(
        new=sum(r.new for r in summary.stored), updated=sum(r.updated for r in summary.stored)
    )
    try:
        store.finish_sync_run(
            run,
            stored=len(summary.stored),
            failed=len(failed),
            stats=stats,
            requests=requests,
            result=result,
        )
    except PapertuiError:
        pass  # the sync's own outcome matters more than its log line


def _file_size(path: Path) -> int:
    """The cache's size on disk: the file and its write-ahead log."""
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += Path(f"{path}{suffix}").stat().st_size
        except OSError:
            pass
    return total


def _day(text: str | None) -> date | None:
    """A day from the cache; a malformed one from an old cache reads as no day."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
