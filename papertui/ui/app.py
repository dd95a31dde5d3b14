"""The reader: search bar, list pane, detail pane, status line and footer.

The app is the router: widgets post messages, the app runs SQLite and HTTP work in thread
workers through `Service`, and results come back as messages. Read/bookmark writes are the one
exception: they are sub-millisecond and must be on disk before the key press returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from textual import work
from textual.actions import SkipAction
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape as escape_markup
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState, get_current_worker

from ..config import Config, save_theme
from ..coverage import FetchSpan
from ..errors import PapertuiError, ReadInterrupted
from ..highlight import match_pattern
from ..models import ListRow
from ..plural import plural
from ..query import Query
from ..service import Change, Service, SyncRequest
from ..views import VIEW_KINDS, ReaderQuery, Session, View, next_in
from .actions import ACTIONS, KeyMap, bindings, key_help
from .empty import empty_list_text
from .exporting import EXPORT_COMMANDS, ExportController
from .layout import Layout
from .library import LibraryController
from .linking import LinkController
from .literal import literal, plain
from .messages import (
    PaperLoaded,
    QueryDone,
    RowsLoaded,
    SyncDayDone,
    SyncDone,
    SyncPlanned,
    SyncProgressed,
    TotalCounted,
    UnreadCounted,
    while_mounted,
)
from .reading import FullTextController
from .resources import stylesheet
from .screens.calendar import CalendarScreen
from .screens.help import HelpScreen
from .screens.library import NoteEditor
from .screens.reading import ReadingScreen
from .state import SyncState
from .syncing import SyncController
from .triage import Triage
from .widgets.detail import PaperDetail, prepare_paper
from .widgets.paper_list import BLOCK, PaperList, prepare_titles
from .widgets.search_bar import SearchBar
from .widgets.status import StatusLine


def _app_actions(*, reading: bool) -> set[str]:
    return {
        a.action.partition("(")[0] for a in ACTIONS if a.scope == "app" and a.reading == reading
    }


# The app's actions that do nothing while the reading screen is open (their keys are the list's),
# unless another of their keys works there too (`q` waits, as the reading screen's own key;
# ctrl+c quits).
_WAIT_WHILE_READING = frozenset(_app_actions(reading=False) - _app_actions(reading=True))
SEARCH_DEBOUNCE = 0.05  # short enough to feel live, long enough to skip keys typed in a burst
DETAIL_DELAY = 0.04


class PapertuiApp(App):
    CSS_PATH = str(stylesheet())
    TITLE = "papertui"
    ESCAPE_TO_MINIMIZE = (
        False  # the detail pane's own Esc restores the layout and refocuses the list
    )
    BINDINGS = bindings("app")

    # The reader's state; the status line is bound to these (see compose).
    rq: reactive[ReaderQuery] = reactive(ReaderQuery(View("day", None)), init=False)
    total: reactive[int | None] = reactive(None, init=False)
    counting = reactive(False, init=False)  # the total is at least `total`, still being counted
    unread: reactive[int | None] = reactive(0, init=False)  # None: a new list, not counted yet
    query_error = reactive("", init=False)
    sync_state = reactive(SyncState(), init=False)

    def __init__(
        self,
        service: Service,
        config: Config | None = None,
        *,
        config_path=None,
        notices: Iterable[str] = (),
        autosync: bool = True,
        offline_reason: str = "--offline",
    ):
        super().__init__()
        self.service = service
        self.offline_reason = offline_reason  # the flag that made the reader offline, for messages
        self.config = config or Config()
        self.config_path = config_path
        self.notices = list(notices)
        self.autosync = autosync and not service.offline
        self.set_reactive(
            PapertuiApp.rq,
            ReaderQuery(View(self.config.default_view, None), sort=self.config.sort),
        )
        if service.offline:
            self.set_reactive(
                PapertuiApp.sync_state, SyncState(False, "offline", "status--offline")
            )
        self.keymap = KeyMap({})
        self.generation = 0  # of the list's query: answers to older ones are dropped
        self._shown_generation = 0  # of the list on screen (a bad search leaves it there)
        self._shown_kept = False  # the last search failed: the list shown is still wanted
        self._ending = False  # the reader is closing: no count is wanted any more
        self._shown_rq: ReaderQuery | None = None
        self.where: Query | None = None
        self._cache_empty_text = "No papers cached yet."
        self._steps: list[int] = []  # `[`/`]` presses waiting for the day before them to land
        self._restore_id: str | None = None
        self._follow_latest = False  # a start with nothing cached: show the newest day as it lands
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self.syncer = SyncController(self)
        self.links = LinkController(self)
        self.exports = ExportController(self)
        self.triage = Triage(self)
        self.full_texts = FullTextController(self, reading_width=self.config.reading_width)
        self.layout = Layout(self)
        self.library = LibraryController(self)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity="information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text, whatever the caller asks: messages carry server
        errors, paths, config values and search text (see `literal`)."""
        super().notify(
            plain(message), title=plain(title), severity=severity, timeout=timeout, markup=False
        )

    # ---- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search")
        with Horizontal(id="panes"):
            yield PaperList(id="list")
            yield PaperDetail(id="detail")
        yield StatusLine(id="status").data_bind(
            PapertuiApp.rq,
            PapertuiApp.total,
            PapertuiApp.counting,
            PapertuiApp.unread,
            PapertuiApp.query_error,
            PapertuiApp.sync_state,
        )
        yield Footer()

    # The reader's widgets live on its own screen: look there, not on a popup open on top.
    @property
    def paper_list(self) -> PaperList:
        return self.main_screen.query_one("#list", PaperList)

    @property
    def detail(self) -> PaperDetail:
        return self.main_screen.query_one("#detail", PaperDetail)

    @property
    def status(self) -> StatusLine:
        return self.main_screen.query_one("#status", StatusLine)

    @property
    def search_bar(self) -> SearchBar:
        return self.main_screen.query_one("#search", SearchBar)

    def on_mount(self) -> None:
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.notices.append(
                f"unknown theme {self.config.theme!r} in the config; using the default"
            )
        self.keymap, problems = KeyMap.from_config(self.config.keymap)
        self.notices.extend(problems)
        if self.keymap.remapped:
            self.set_keymap(dict(self.keymap.remapped))
        self.detail.note_key = self.keys_for("app.edit_note")
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.paper_list.focus()
        self.layout.apply()
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=8)
        restore = self.config.restore_session
        self.background(
            lambda: (
                self.service.latest_day(),
                self.service.last_session() if restore else None,
                self._begin_reading(),
            ),
            self._start_view,
        )

    def _begin_reading(self) -> int:
        """`is:new` counts from the end of the last session from now on; how many are new."""
        try:
            return self.service.begin_reading()
        except PapertuiError:
            return 0  # a read-only or busy cache: nothing is marked new this time

    def _start_view(self, opening) -> None:
        latest, last, new = opening
        if new:
            self.notify(
                f"{plural(new, 'paper')} new since last time (search is:new to list them).",
                timeout=6,
            )
        self.set_empty_text(
            f"No papers cached yet. Offline ({self.offline_reason}): `papertui sync` fetches some."
            if self.service.offline
            else "No papers cached yet. Syncing the recent days…"
        )
        if last is not None and latest is not None:
            session, _ = last
            rq = session.query
            if rq.view.kind != "all" and rq.view.anchor is None:
                rq = replace(rq, view=View(rq.view.kind, latest))
            self._restore_id = session.paper_id
            if rq.text:
                self.search_bar.value = rq.text
            self._ask(rq)  # the query runs, landing on the session's paper
        else:
            self._follow_latest = latest is None
            self.show_view(View(self.rq.view.kind, latest))
        self.set_timer(1.0, self.full_texts.warm_up)
        if self.autosync:
            self.syncer.start()
            if self.config.auto_sync_minutes:
                self.set_interval(self.config.auto_sync_minutes * 60, self.syncer.auto)

    def set_empty_text(self, text: str) -> None:
        """What the list says while the cache holds no papers at all."""
        self._cache_empty_text = text
        if not self.total:
            self.paper_list.empty_text = self._empty_text()
            self.paper_list.refresh()

    def _empty_text(self) -> str:
        return empty_list_text(self.rq, self._cache_empty_text, self.keys_for)

    def _set_highlight(self) -> None:
        """Mark the search's words in the list and the detail pane (none while browsing)."""
        search = self.rq.search
        pattern = match_pattern(search) if search is not None else None
        if pattern != self.paper_list.highlight:
            self.paper_list.highlight = self.detail.highlight = pattern
            self.paper_list.refresh()
            if self.detail.paper is not None:
                self.detail.show_paper(self.detail.paper, keep_scroll=True)

    def go_to_latest(self) -> None:
        """Open the newest day with papers while the reader follows it: from a start with an
        empty cache until the reader moves elsewhere (a first sync stores days in whatever
        order they arrive; the newest must win, not the first to land)."""
        if self.rq.view.anchor is not None and not self._follow_latest:
            self.refresh_list()
            return

        def arrive(latest) -> None:
            if latest is not None and (self.rq.view.anchor is None or self._follow_latest):
                self.show_view(View(self.rq.view.kind, latest))
            else:
                self.refresh_list()

        self.background(self.service.latest_day, arrive)

    def on_resize(self, event) -> None:
        self.layout.apply(event.size.width)

    @property
    def main_screen(self) -> Screen:
        """The reader's own screen, under any popup (help, copy menu, palette) open on top."""
        return self.screen_stack[0]

    @property
    def narrow(self) -> bool:
        return self.layout.narrow

    # ---- workers ------------------------------------------------------------------------

    def background(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """Run fn in a thread; then(result) runs on the UI thread. Errors become notifications."""
        self._background(fn, then)

    @work(thread=True, exit_on_error=False)
    def _background(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None:
        value = fn()
        if get_current_worker().is_cancelled or not self.is_running:
            return  # the reader is closing: nobody is waiting for the answer
        self.call_from_thread(self._deliver, then, value)

    @while_mounted
    def _deliver(self, then: Callable[[Any], None], value: Any) -> None:
        if self.is_running:
            then(value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = (
                str(error)
                if isinstance(error, PapertuiError)
                else f"{type(error).__name__}: {error}"
            )
            self.notify(text, title="Something went wrong", severity="error", timeout=8)

    # ---- the list -----------------------------------------------------------------------

    def watch_rq(self, old: ReaderQuery, new: ReaderQuery) -> None:
        """Any change of what is asked re-runs the query. A new view or search text starts at the
        top; a filter or sort change keeps the cursor on the same paper."""
        self.refresh_list(keep_current=old.view == new.view and old.text == new.text)

    @property
    def syncing(self) -> bool:
        return self.sync_state.running

    def refresh_list(self, keep_current: bool = True) -> None:
        """Re-run the current query; the cursor stays on the same paper when it is still there."""
        self.generation += 1
        current = self.paper_list.current if keep_current else None
        keep_id = current.id if current else None
        if self._restore_id is not None:  # the paper the last session was on
            keep_id, self._restore_id = self._restore_id, None
        # The list shown again (a sync, a change of state): counted before it is drawn, so its
        # length does not drop to the rows drawn and back; in another order, its counts kept.
        # A new list: drawn first, counted after.
        counted = self.rq == self._shown_rq
        known = None
        shown = self._shown_rq
        if not counted and shown is not None and _same_papers(self.rq, shown) and not self.counting:
            known = self.total
        self._shown_kept = False
        self.service.drop_counts()  # the last list's counts: this one replaces it
        self._load_query(self.generation, self.rq, keep_id, self.paper_list.cursor, counted, known)

    def _save_session(self) -> None:
        """Where the reader is, for the next start (see `restore_session`)."""
        current = self.paper_list.current
        try:
            self.service.save_session(Session(self.rq, current.id if current else None))
        except PapertuiError:
            pass  # a read-only or busy cache: the next start opens on the latest day

    async def action_quit(self) -> None:
        """`q`, and ctrl+c from every screen: a note being edited with changes asks first."""
        editor = self.screen
        if isinstance(editor, NoteEditor) and editor.text != editor.note:
            editor.action_close()
            return
        self._save_session()
        self.exit()

    def on_unmount(self) -> None:
        self.layout.save()  # a layout change still waiting for its moment (however the reader ends)
        # A count still running would hold the exit: Python waits for the workers' threads, and
        # a word in most of a million papers takes ~0.4 s to count with its unread papers.
        self._ending = True
        self.service.drop_counts()

    @work(thread=True, exclusive=True, group="query", exit_on_error=False)
    def _load_query(
        self,
        generation: int,
        rq: ReaderQuery,
        keep_id: str | None,
        cursor: int,
        counted: bool,
        known: int | None = None,
    ) -> None:
        """`known`: the total, when the list is the one shown in another order."""
        try:
            snapshot = self.service.snapshot(rq, BLOCK, counted=counted)
        except PapertuiError:  # the cache failed this search: the list shown stays, counted
            self.call_from_thread(self._keep_counting_the_shown_list)
            raise
        if snapshot.total is None and known is not None:
            snapshot.total = known
        prepare_titles(snapshot.rows)
        index = None
        if keep_id and snapshot.where is not None:
            ids = [r.id for r in snapshot.rows]
            index = (
                ids.index(keep_id)
                if keep_id in ids
                else self.service.index_of(snapshot.where, rq.order, keep_id)
            )
        placed = index if index is not None else cursor
        where = snapshot.where
        if (
            snapshot.total is None
            and where is not None
            and keep_id
            and placed >= len(snapshot.rows)
        ):
            # the paper the cursor stays on is past the rows drawn: the list needs its length
            snapshot.total = self._counted(
                generation, self.service.total, where, self.service.store.count
            )
            if snapshot.total is None:
                return  # a newer list replaced this one
        self.post_message(QueryDone(generation, snapshot, keep_id, placed))
        if snapshot.total is None and where is not None:
            # The rows are drawn; the total follows (a word in most of a million papers: ~140 ms)
            self._post_total(generation, where)

    def _post_total(self, generation: int, where: Query) -> None:
        total = self._counted(generation, self.service.total, where, self.service.store.count)
        if total is not None:
            self.post_message(TotalCounted(generation, total))

    def _counted(
        self,
        generation: int,
        count: Callable[[Query], int],
        where: Query,
        here: Callable[[Query], int],
    ) -> int | None:
        """A count for the list of `generation` (on the service's counting connection), or None
        once a newer list is asked for: it drops the count running (`Service.drop_counts`), so
        that the new list's rows never share the machine with it. One dropped by a newer list
        just as it began is made again. A count that fails is made `here`, on the reader's own
        connection; if that fails too, the error is shown."""
        while self._wanted(generation):
            try:
                return count(where)
            except ReadInterrupted:
                continue
            except PapertuiError as exc:
                try:
                    return here(where)
                except PapertuiError:
                    self.call_from_thread(self.notify, f"Could not count the list: {exc}")
                    return None
        return None

    def _wanted(self, generation: int) -> bool:
        """Whether counts of this list are still wanted: it is the list asked for, or the one
        shown while the search typed since can't be understood."""
        if self._ending:
            return False
        shown = self._shown_kept and generation == self._shown_generation
        return generation == self.generation or shown

    @work(thread=True, exclusive=True, group="total", exit_on_error=False)
    def _count_total(self, generation: int, where: Query) -> None:
        self._post_total(generation, where)

    @while_mounted
    def on_query_done(self, message: QueryDone) -> None:
        if message.generation != self.generation:
            return
        snapshot = message.snapshot
        search = self.search_bar
        search.set_class(bool(snapshot.error), "-error")
        search.border_subtitle = literal(snapshot.error) if snapshot.error else None
        self.query_error = snapshot.error or ""
        if snapshot.error:
            self._keep_counting_the_shown_list()
            return
        self.where = snapshot.where
        self.counting = snapshot.total is None
        total = len(snapshot.rows) if snapshot.total is None else snapshot.total
        self.total = total
        if self._shown_rq is None or not _same_papers(self.rq, self._shown_rq):
            self.unread = None  # not the last list's count next to this one's total
        self._shown_generation, self._shown_rq = message.generation, self.rq
        if not self.counting:  # else once the total is in: one count at a time, the total first
            self._count_unread(message.generation, snapshot.where)
        cursor = message.keep_index if message.keep_id else 0
        self.paper_list.empty_text = self._empty_text()
        self.paper_list.full_dates = self.rq.may_span_years()
        self.paper_list.show_gains = self.rq.order == "rising"
        self._set_highlight()
        if self.triage.land_on_unread and snapshot.rows:
            direction, self.triage.land_on_unread = self.triage.land_on_unread, 0
            rows = snapshot.rows if direction > 0 else list(reversed(snapshot.rows))
            first = next((i for i, r in enumerate(rows) if not r.read), 0)
            cursor = first if direction > 0 else len(rows) - 1 - first
        self.paper_list.reset(
            self.generation, total, snapshot.rows, cursor=cursor or 0, counted=not self.counting
        )
        if total == 0:
            self.detail.show_paper(None)

    def _keep_counting_the_shown_list(self) -> None:
        """The search typed can't be understood, so the last good list stays: its counts, which
        the search dropped, are made again."""
        self._shown_kept = True
        if self.where is None or not self._shown_generation:
            return
        if self.counting:
            self._count_total(self._shown_generation, self.where)  # then its unread count
        else:
            self._count_unread(self._shown_generation, self.where)

    @while_mounted
    def on_total_counted(self, message: TotalCounted) -> None:
        if message.generation != self._shown_generation or self.where is None:
            return
        self.total, self.counting = message.total, False
        self.paper_list.set_total(message.generation, message.total)
        self._count_unread(message.generation, self.where)

    @work(thread=True, exclusive=True, group="unread", exit_on_error=False)
    def _count_unread(self, generation: int, where: Query) -> None:
        unread = self._counted(
            generation, self.service.unread, where, self.service.store.unread_count
        )
        if unread is not None:
            self.post_message(UnreadCounted(generation, unread))

    @while_mounted
    def on_unread_counted(self, message: UnreadCounted) -> None:
        if message.generation == self._shown_generation:
            self.unread = message.unread

    def on_paper_list_need_rows(self, message: PaperList.NeedRows) -> None:
        if self.where is None:
            return
        self._load_rows(message.generation, self.where, self.rq.order, message.start, message.count)

    @work(thread=True, exit_on_error=False)
    def _load_rows(self, generation: int, where: Query, sort: str, start: int, count: int) -> None:
        rows = self.service.rows(where, sort, start, count)
        prepare_titles(rows)
        self.post_message(RowsLoaded(generation, start, rows))

    @while_mounted
    def on_rows_loaded(self, message: RowsLoaded) -> None:
        self.paper_list.add_rows(message.generation, message.start, message.rows)

    def on_paper_list_highlighted(self, message: PaperList.Highlighted) -> None:
        """Show the highlighted paper once the cursor rests (DETAIL_DELAY), so holding j or
        PgDn repaints only the list instead of laying out every abstract on the way."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
        row = message.row
        if row is not None and (self.detail.paper is None or self.detail.paper.id != row.id):
            self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._load_paper(row.id))

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load_paper(self, paper_id: str) -> None:
        paper = self.service.paper(paper_id)
        if paper is not None:
            prepare_paper(paper)
        self.post_message(PaperLoaded(paper_id, paper))

    @while_mounted
    def on_paper_loaded(self, message: PaperLoaded) -> None:
        current = self.paper_list.current
        if current is not None and current.id == message.paper_id:
            self.detail.show_paper(message.paper)

    def on_paper_list_selected(self, message: PaperList.Selected) -> None:
        if not message.row.read:
            self._set_state(message.row, read=True)
        if message.row.links_new:  # its new repo / page is seen now: the mark goes
            row = self.paper_list.find_row(message.row.id) or message.row
            self.paper_list.replace_row(replace(row, links_new=False))
            self.background(lambda: self.service.mark_links_seen(row.id), lambda _: None)
        self.layout.open_paper()  # full screen when the panes are stacked or the list is alone
        self.detail.focus()  # j/k scroll the paper, J/K go to the next one, Esc returns

    def on_paper_detail_back(self, _message: PaperDetail.Back) -> None:
        self.layout.paper_closed()
        self.paper_list.focus()

    # ---- search -------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        text = event.value
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, lambda: self._search(text))

    def _search(self, text: str) -> None:
        if text != self.rq.text:
            self.rq = replace(self.rq, text=text)
            if self.rq.paper_id is not None and not self.service.offline:
                self._fetch_named_paper(self.rq.paper_id)

    def _fetch_named_paper(self, paper_id: str) -> None:
        """A search that names a paper not cached yet: fetch it, then show it."""

        def fetch() -> str | None:
            if self.service.paper(paper_id) is not None:
                return None
            try:
                self.service.paper_or_fetch(paper_id)
            except PapertuiError as exc:
                return str(exc)
            return None

        def fetched(error: str | None) -> None:
            if error:
                self.notify(error, title=f"Could not fetch {paper_id}", severity="warning")
            elif self.rq.paper_id == paper_id:
                self.refresh_list(keep_current=False)

        self.background(fetch, fetched)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self._search(event.value)
            self.paper_list.focus()

    def on_search_bar_cleared(self, _message: SearchBar.Cleared) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search("")
        self.paper_list.focus()

    def action_focus_search(self) -> None:
        self.search_bar.focus()

    def action_switch_pane(self, direction: int) -> None:
        if self.screen is not self.main_screen:
            raise SkipAction()  # a popup's own Tab goes first (path and tag completion)
        order = [self.paper_list, self.detail]
        focused = self.focused
        if focused not in order:
            self.paper_list.focus()
            return
        order[(order.index(focused) + direction) % 2].focus()

    # ---- reading state ------------------------------------------------------------------

    def current_row(self) -> ListRow | None:
        """The highlighted paper; says so when there is none."""
        row = self.paper_list.current
        if row is None:
            self.notify("No paper is highlighted.", severity="warning")
        return row

    def highlighted(self) -> ListRow | None:
        """The highlighted paper, if any (quietly)."""
        return self.paper_list.current

    def _set_state(
        self, row: ListRow, *, read: bool | None = None, bookmarked: bool | None = None
    ) -> None:
        row = self.paper_list.find_row(row.id) or row  # the freshest copy: keys can outrun messages
        try:
            self.service.set_state([row.id], read=read, bookmarked=bookmarked)
        except PapertuiError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=8)
            return
        before = (
            row.read if read is not None else None,
            row.bookmarked if bookmarked is not None else None,
        )
        what = "read" if read is not None else "bookmark"
        self.triage.last_change = Change(f"the {what} change of {row.id}", {row.id: before})
        updated = replace(
            row,
            read=row.read if read is None else read,
            bookmarked=row.bookmarked if bookmarked is None else bookmarked,
        )
        if updated.read != row.read and self.unread is not None:
            self.unread += -1 if updated.read else 1
        self.paper_list.replace_row(updated)
        paper = self.detail.paper
        if paper is not None and paper.id == row.id:
            self.detail.show_paper(
                paper.model_copy(update={"read": updated.read, "bookmarked": updated.bookmarked}),
                keep_scroll=True,
            )

    def action_toggle_read(self) -> None:
        if row := self.current_row():
            self._set_state(row, read=not row.read)

    def action_toggle_bookmark(self) -> None:
        if row := self.current_row():
            self._set_state(row, bookmarked=not row.bookmarked)
            self.notify("Bookmarked." if not row.bookmarked else "Bookmark removed.", timeout=2)
            if not row.bookmarked:
                self.syncer.fetch_texts()  # its full text, for reading offline

    def action_resize_list(self, step: int) -> None:
        self.layout.resize_list(step)

    def action_toggle_layout(self) -> None:
        self.layout.toggle_list_only()

    def action_toggle_rows(self) -> None:
        self.layout.toggle_rows()

    def action_mark_all_read(self) -> None:
        self.triage.mark_all_read()

    def action_undo(self) -> None:
        self.triage.undo()

    def action_next_unread(self, direction: int) -> None:
        self._follow_latest = False
        self.triage.next_unread(direction)

    def reload_paper(self) -> None:
        """Read the highlighted paper again (its state changed underneath)."""
        if (current := self.paper_list.current) is not None:
            self._load_paper(current.id)

    def on_paper_detail_finished(self, _message: PaperDetail.Finished) -> None:
        if row := self.paper_list.current:
            if not row.read:
                self._set_state(row, read=True)
            self.action_next_unread(1)

    def on_paper_detail_step(self, message: PaperDetail.Step) -> None:
        self.paper_list.move_to(self.paper_list.cursor + message.direction)

    def action_toggle_unread_only(self) -> None:
        self.rq = replace(self.rq, unread_only=not self.rq.unread_only)

    def action_toggle_bookmarks_only(self) -> None:
        self.rq = replace(self.rq, bookmarks_only=not self.rq.bookmarks_only)

    # ---- views --------------------------------------------------------------------------

    def action_cycle_view(self) -> None:
        self._follow_latest = False
        kind = next_in(VIEW_KINDS, self.rq.view.kind)
        self.rq = replace(self.rq, view=View(kind, self.rq.view.anchor))

    def action_step(self, direction: int) -> None:
        """Previous/next day, week or month. Presses accumulate: three quick `[` go back three
        days, each step taken from where the one before it lands."""
        self._follow_latest = False
        view = self.rq.view
        if view.anchor is None or view.kind == "all":
            self.notify(
                "All papers are already shown: press v to pick a day, week or month.", timeout=3
            )
            return
        if view.kind != "day":
            if not view.can_step(direction):
                self.notify("The calendar ends here.", timeout=2)
            else:
                self.show_view(view.step(direction))
            return
        self._steps.append(direction)
        if len(self._steps) == 1:
            self._next_day_step(view.anchor)

    def _next_day_step(self, anchor: date) -> None:
        direction = self._steps[0]

        def arrive(day: date | None) -> None:
            self._steps.pop(0)
            if day is None:
                self._steps.clear()
                self.notify(
                    "No earlier day with papers in the cache."
                    if direction < 0
                    else "No later day with papers in the cache.",
                    timeout=2,
                )
                return
            self.show_view(View("day", day))
            if self._steps:
                self._next_day_step(day)

        self.background(lambda: self.service.adjacent_day(anchor, direction), arrive)

    def show_view(self, view: View) -> None:
        self._ask(replace(self.rq, view=view))

    def open_query(self, rq: ReaderQuery) -> None:
        """Show `rq` with its search text in the bar (a tag from the tag view, a saved search)."""
        self._follow_latest = False
        if self._search_timer is not None:
            self._search_timer.stop()
        self._ask(rq)
        if self.search_bar.value != rq.text:
            self.search_bar.value = rq.text
        self.paper_list.focus()

    def _ask(self, rq: ReaderQuery) -> None:
        """Show `rq`: through `watch_rq` when it differs, else by running the same query again
        (a reactive does not fire for an equal value)."""
        if rq == self.rq:
            self.refresh_list()
        else:
            self.rq = rq

    def action_cycle_sort(self) -> None:
        self.rq = self.rq.next_sort()

    def action_calendar(self) -> None:
        """The coverage calendar, on the month of the day shown (or today)."""
        self.push_screen(
            CalendarScreen(self.rq.view.anchor if self.rq.view.kind != "all" else None)
        )

    def fetch_span(self, span: FetchSpan) -> None:
        """The calendar's fetch keys: sync those days in the background, whatever the cache
        has of them (the calendar chose them)."""
        self.syncer.start(SyncRequest(days=span.days, force=True), span.what)

    def open_day(self, day: date) -> None:
        """Show one day's papers (the calendar's Enter)."""
        self._follow_latest = False
        if self.rq.text:
            self.search_bar.value = ""
        self._ask(replace(self.rq, view=View("day", day), text="", bookmarks_only=False))

    # ---- syncing and links (controllers; the app routes keys and messages to them) -----------

    def action_sync(self) -> None:
        self.syncer.start()

    def run_sync_worker(self, work: Callable[[], None]) -> None:
        """A thread worker, cancelled when the reader quits (see `SyncController._work`)."""
        self.run_worker(
            work, thread=True, group="sync", exclusive=True, exit_on_error=False, name="sync"
        )

    def on_sync_planned(self, message: SyncPlanned) -> None:
        self.syncer.on_planned(message)

    @while_mounted
    def on_sync_progressed(self, message: SyncProgressed) -> None:
        self.syncer.on_progress(message)

    @while_mounted
    def on_sync_day_done(self, message: SyncDayDone) -> None:
        self.syncer.on_day_done(message)

    @while_mounted
    def on_sync_done(self, message: SyncDone) -> None:
        self.syncer.on_done(message)

    def action_copy_link(self) -> None:
        self.links.copy_link()

    def action_copy_menu(self) -> None:
        self.links.copy_menu()

    def action_open_page(self) -> None:
        self.links.open_page()

    def action_open_pdf(self) -> None:
        self.links.open_pdf()

    def action_open_menu(self) -> None:
        self.links.open_menu()

    # ---- the full text ---------------------------------------------------------------------

    def action_full_text(self) -> None:
        self.full_texts.open()

    @property
    def reading(self) -> bool:
        """A full text is open (perhaps under a popup of its own)."""
        return any(isinstance(screen, ReadingScreen) for screen in self.screen_stack)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a full text is open, the list's own keys wait (`KeyAction.reading`): the
        reading screen's keys, and the paper's (read, bookmark, copy, open), work."""
        if action in _WAIT_WHILE_READING and self.reading:
            return False
        return True

    def action_export_menu(self) -> None:
        self.exports.menu()

    # ---- your library: tags, notes, saved searches (see LibraryController) ---------------

    def action_edit_tags(self) -> None:
        self.library.edit_tags()

    def action_edit_note(self) -> None:
        self.library.edit_note()

    def action_tag_view(self) -> None:
        self.library.tag_view()

    def action_save_search(self) -> None:
        self.library.save_search()

    def action_saved_searches(self) -> None:
        self.library.saved_searches()

    # ---- help, palette, theme -----------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_help()))

    def keys_for(self, action_id: str) -> str:
        """The keys of an action as the user has them mapped, as the footer shows keys."""
        return " / ".join(
            key if len(key) == 1 else self.get_key_display(Binding(key, ""))
            for key in self.keymap.keys(action_id)
        )

    def key_help(self) -> list[tuple[str, str]]:
        """Every reader key as mapped now, one row per meaning (keys of equal meaning merged)."""
        return key_help(self.keys_for)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action in ACTIONS:
            if action.palette:
                yield SystemCommand(
                    action.command,
                    f"{action.help} ({self.keys_for(action.id)})",
                    lambda name=action.action: self.run_action(name),
                )
        menu = self.keys_for("app.export_menu")
        for command in EXPORT_COMMANDS:
            yield SystemCommand(
                command.title,
                f"{command.help} (also in the {menu} menu)",
                lambda c=command: self.exports.run(c.verb, c.fmt, c.scope),
            )
        yield from self._library_commands()

    def _library_commands(self) -> Iterable[SystemCommand]:
        """Each saved search and each tag, to open from the palette by name."""
        try:
            searches = self.service.saved_searches()
            tags = self.service.tag_names()
        except PapertuiError:
            return
        # The palette reads titles and help as markup: a name from you or an import file is
        # escaped, so `[b]` or `[@click=…]` in it is shown, never obeyed.
        for saved in searches:
            yield SystemCommand(
                escape_markup(plain(f"Saved search: {saved.name}")),
                escape_markup(
                    plain(f"Open the saved search “{saved.query or saved.view + ' view'}”")
                ),
                lambda saved=saved: self.background(
                    lambda: self.service.saved_query(saved), self.open_query
                ),
            )
        for name in tags:
            yield SystemCommand(
                f"Tag: {name}",
                f"Show the papers tagged {name} (tag:{name})",
                lambda name=name: self.open_query(replace(self.rq, text=f"tag:{name}")),
            )

    def _remember_theme(self, theme) -> None:
        if theme.name == self.config.theme:
            return
        self.config = self.config.model_copy(update={"theme": theme.name})
        try:
            save_theme(theme.name, self.config_path)
        except (OSError, PapertuiError) as exc:
            self.notify(f"Theme not saved: {exc}", severity="warning", timeout=8)


def _same_papers(a: ReaderQuery, b: ReaderQuery) -> bool:
    """Whether two queries list the same papers (perhaps in another order)."""
    return (a.view, a.text, a.unread_only, a.bookmarks_only) == (
        b.view,
        b.text,
        b.unread_only,
        b.bookmarks_only,
    )
