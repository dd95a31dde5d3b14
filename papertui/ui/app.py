"""The reader: search bar, list pane, detail pane, status line and footer.

The app is the router: widgets post messages, the app runs SQLite and HTTP work in thread
workers through `Library`, and results come back as messages. Read/bookmark writes are the one
exception: they are sub-millisecond and must be on disk before the key press returns.
"""

from __future__ import annotations

import functools
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from .. import clipboard
from ..config import Config, save_config
from ..errors import PapertuiError
from ..export import bibtex_entry, markdown_link
from ..library import Library
from ..links import arxiv_abs_url, arxiv_pdf_url, hf_url, safe_url
from ..models import StoredPaper
from ..store import ListRow
from ..views import SORT_ORDER, VIEW_KINDS, ReaderQuery, View, next_in
from .messages import (
    PaperLoaded,
    QueryDone,
    RowsLoaded,
    SyncDayDone,
    SyncDone,
    SyncPlanned,
    UnreadCounted,
)
from .resources import stylesheet
from .screens.copy_menu import CopyMenu
from .screens.help import HelpScreen
from .widgets.detail import PaperDetail
from .widgets.paper_list import BLOCK, PaperList
from .widgets.search_bar import SearchBar
from .widgets.status import StatusLine

SEARCH_DEBOUNCE = 0.05  # short enough to feel live, long enough to skip keys typed in a burst
KEY_HELP = {
    "app.quit": "Quit",
    "app.help": "This help",
    "app.search": "Search (Enter: go to results, Esc: clear the search)",
    "app.next_pane": "Switch between the list and the detail pane",
    "app.prev_pane": "Switch between the list and the detail pane",
    "app.toggle_read": "Mark read / unread",
    "app.toggle_bookmark": "Bookmark / remove bookmark",
    "app.unread_only": "Show unread papers only (again: all)",
    "app.bookmarks_only": "Show bookmarked papers only (again: all)",
    "app.copy_link": "Copy the Hugging Face link",
    "app.copy_menu": "Copy… (arXiv, PDF, GitHub, project page, BibTeX, Markdown)",
    "app.open_page": "Open the Hugging Face page in the browser",
    "app.open_pdf": "Open the PDF in the browser",
    "app.previous": "Previous day / week / month",
    "app.next": "Next day / week / month",
    "app.view": "Cycle the view: day, week, month, all papers",
    "app.sort": "Cycle the sort: most upvoted, newest, title",
    "app.sync": "Sync now",
    "list.down": "Move down (detail pane: scroll)",
    "detail.down": "Move down (detail pane: scroll)",
    "list.up": "Move up (detail pane: scroll)",
    "detail.up": "Move up (detail pane: scroll)",
    "list.first": "First paper (detail pane: top)",
    "detail.top": "First paper (detail pane: top)",
    "list.last": "Last paper (detail pane: bottom)",
    "detail.bottom": "Last paper (detail pane: bottom)",
    "list.page_down": "Page down",
    "list.page_up": "Page up",
    "list.half_down": "Half a page down",
    "detail.page_down": "Half a page down",
    "list.half_up": "Half a page up",
    "detail.page_up": "Half a page up",
    "list.open": "Show the paper and mark it read",
    "search.clear": "Search bar: clear the search and return to the list",
    "detail.back": "Detail pane: back to the list",
}
NARROW_WIDTH = 100
DETAIL_DELAY = 0.04


def _while_mounted(handler: Callable) -> Callable:
    """Worker results can arrive while the app is shutting down: drop them quietly then."""

    @functools.wraps(handler)
    def wrapper(self, *args, **kwargs):
        try:
            return handler(self, *args, **kwargs)
        except NoMatches:
            if self.is_running and not self._exit:
                raise

    return wrapper


class Done(Message):
    """A generic worker result: `callback(value)` runs on the UI thread."""

    def __init__(self, callback: Callable, value):
        super().__init__()
        self.callback = callback
        self.value = value


class PapertuiApp(App):
    CSS_PATH = str(stylesheet())
    TITLE = "papertui"
    ESCAPE_TO_MINIMIZE = (
        False  # the detail pane's own Esc restores the layout and refocuses the list
    )
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("slash", "focus_search", "Search", id="app.search"),
        Binding(
            "tab", "switch_pane(1)", "Switch pane", show=False, priority=True, id="app.next_pane"
        ),
        Binding(
            "shift+tab",
            "switch_pane(-1)",
            "Switch pane",
            show=False,
            priority=True,
            id="app.prev_pane",
        ),
        Binding("m", "toggle_read", "Read/unread", id="app.toggle_read"),
        Binding("b", "toggle_bookmark", "Bookmark", id="app.toggle_bookmark"),
        Binding("u", "toggle_unread_only", "Unread", id="app.unread_only"),
        Binding("B", "toggle_bookmarks_only", "Bookmarks", id="app.bookmarks_only"),
        Binding("y", "copy_link", "Copy", id="app.copy_link"),
        Binding("Y", "copy_menu", "Copy…", show=False, id="app.copy_menu"),
        Binding("o", "open_page", "Browser", id="app.open_page"),
        Binding("O", "open_pdf", "PDF", show=False, id="app.open_pdf"),
        Binding("left_square_bracket", "step(-1)", "Prev", id="app.previous"),
        Binding("right_square_bracket", "step(1)", "Next", id="app.next"),
        Binding("v", "cycle_view", "View", id="app.view"),
        Binding("s", "cycle_sort", "Sort", id="app.sort"),
        Binding("r", "sync", "Sync", id="app.sync"),
    ]
    # Actions also offered in the command palette: (action, title, help).
    PALETTE = [
        ("toggle_read", "Toggle read / unread", "Mark the highlighted paper read or unread (m)"),
        ("toggle_bookmark", "Toggle bookmark", "Bookmark the highlighted paper or remove it (b)"),
        ("toggle_unread_only", "Show unread only", "Hide papers you have read (u)"),
        ("toggle_bookmarks_only", "Show bookmarks only", "Only bookmarked papers (B)"),
        ("copy_link", "Copy Hugging Face link", "Copy the paper's huggingface.co link (y)"),
        (
            "copy_menu",
            "Copy…",
            "Copy the arXiv, PDF, GitHub or project link, BibTeX or Markdown (Y)",
        ),
        ("open_page", "Open in browser", "Open the paper's Hugging Face page (o)"),
        ("open_pdf", "Open PDF", "Open the arXiv PDF in the browser (O)"),
        ("step(-1)", "Previous day / week / month", "Step the view back ([)"),
        ("step(1)", "Next day / week / month", "Step the view forward (])"),
        ("cycle_view", "Cycle view", "Day → week → month → all papers (v)"),
        ("cycle_sort", "Cycle sort", "Most upvoted → newest → title (s)"),
        ("sync", "Sync now", "Fetch the recent days that are missing or stale (r)"),
        ("focus_search", "Search", "Focus the search bar (/)"),
        ("help", "Keys and search help", "Every key and the search language (?)"),
    ]

    def __init__(
        self,
        library: Library,
        config: Config | None = None,
        *,
        config_path=None,
        notices: Iterable[str] = (),
        autosync: bool = True,
    ):
        super().__init__()
        self.library = library
        self.config = config or Config()
        self.config_path = config_path
        self.notices = list(notices)
        self.autosync = autosync and not library.offline
        self.rq = ReaderQuery(View(self.config.default_view, None), sort=self.config.sort)
        self.generation = 0
        self.where = None
        self.total = 0
        self.unread = 0
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self._sync_total = 0
        self._sync_done = 0
        self.syncing = False

    # ---- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search")
        with Horizontal(id="panes"):
            yield PaperList(id="list")
            yield PaperDetail(id="detail")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def paper_list(self) -> PaperList:
        return self.query_one("#list", PaperList)

    @property
    def detail(self) -> PaperDetail:
        return self.query_one("#detail", PaperDetail)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def on_mount(self) -> None:
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.notices.append(
                f"unknown theme {self.config.theme!r} in the config; using the default"
            )
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.paper_list.focus()
        self._layout_for(self.size.width)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=8)
        self.status.set(
            sync_text="offline" if self.library.offline else "", sync_kind="status--offline"
        )
        self.background(self.library.latest_day, self._start_view)

    def _start_view(self, latest) -> None:
        self.rq = replace(self.rq, view=View(self.rq.view.kind, latest))
        self.paper_list.empty_text = "No papers cached yet." + (
            "" if self.library.offline else " Syncing the recent days…"
        )
        self.refresh_list()
        if self.autosync:
            self.action_sync()

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        """Below 100 columns the panes stack and the search bar loses its border."""
        narrow = width < NARROW_WIDTH
        self.screen.set_class(narrow, "-narrow")
        self.query_one("#search", SearchBar).compact = narrow

    @property
    def narrow(self) -> bool:
        return self.screen.has_class("-narrow")

    # ---- workers ------------------------------------------------------------------------

    def background(self, fn: Callable, then: Callable, group: str = "misc") -> None:
        """Run fn in a thread; then(result) runs on the UI thread. Errors become notifications."""
        self._background(fn, then, group)

    @work(thread=True, exit_on_error=False)
    def _background(self, fn: Callable, then: Callable, group: str) -> None:
        self.post_message(Done(then, fn()))

    @_while_mounted
    def on_done(self, message: Done) -> None:
        message.callback(message.value)

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

    def refresh_list(self, keep_current: bool = True) -> None:
        """Re-run the current query; the cursor stays on the same paper when it is still there."""
        self.generation += 1
        current = self.paper_list.current if keep_current else None
        self._load_query(
            self.generation, self.rq, current.id if current else None, self.paper_list.cursor
        )

    @work(thread=True, exclusive=True, group="query", exit_on_error=False)
    def _load_query(
        self, generation: int, rq: ReaderQuery, keep_id: str | None, cursor: int
    ) -> None:
        snapshot = self.library.snapshot(rq, BLOCK)
        index = None
        if keep_id and snapshot.where is not None:
            ids = [r.id for r in snapshot.rows]
            index = (
                ids.index(keep_id)
                if keep_id in ids
                else self.library.index_of(snapshot.where, rq.sort, keep_id)
            )
        self.post_message(
            QueryDone(generation, snapshot, keep_id, index if index is not None else cursor)
        )

    @_while_mounted
    def on_query_done(self, message: QueryDone) -> None:
        if message.generation != self.generation:
            return
        snapshot = message.snapshot
        search = self.query_one("#search", SearchBar)
        search.set_class(bool(snapshot.error), "-error")
        search.border_subtitle = snapshot.error or None
        if snapshot.error:
            self.status.set(error=snapshot.error)
            return
        self.where, self.total = snapshot.where, snapshot.total
        self._count_unread(self.generation, snapshot.where)
        cursor = message.keep_index if message.keep_id else 0
        self.paper_list.reset(self.generation, snapshot.total, snapshot.rows, cursor=cursor or 0)
        if snapshot.total == 0:
            self.detail.show_paper(None)
        self._update_status(error="")

    @work(thread=True, exclusive=True, group="unread", exit_on_error=False)
    def _count_unread(self, generation: int, where) -> None:
        self.post_message(UnreadCounted(generation, self.library.unread(where)))

    @_while_mounted
    def on_unread_counted(self, message: UnreadCounted) -> None:
        if message.generation == self.generation:
            self.unread = message.unread
            self._update_status()

    def _update_status(self, **extra) -> None:
        self.status.set(
            view_text=self.rq.describe(),
            counts=f"{self.total:,} paper{'s' * (self.total != 1)} · {self.unread:,} unread",
            **extra,
        )

    def on_paper_list_need_rows(self, message: PaperList.NeedRows) -> None:
        if self.where is None:
            return
        self._load_rows(message.generation, self.where, self.rq.sort, message.start, message.count)

    @work(thread=True, exit_on_error=False)
    def _load_rows(self, generation: int, where, sort: str, start: int, count: int) -> None:
        self.post_message(
            RowsLoaded(generation, start, self.library.rows(where, sort, start, count))
        )

    @_while_mounted
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
        self.post_message(PaperLoaded(paper_id, self.library.paper(paper_id)))

    @_while_mounted
    def on_paper_loaded(self, message: PaperLoaded) -> None:
        current = self.paper_list.current
        if current is not None and current.id == message.paper_id:
            self.detail.show_paper(message.paper)

    def on_paper_list_selected(self, message: PaperList.Selected) -> None:
        if not message.row.read:
            self._set_state(message.row, read=True)
        if self.narrow:  # stacked panes are small: read the paper full screen (Esc returns)
            self.screen.maximize(self.detail, container=False)
            self.detail.focus()

    def on_paper_detail_back(self, _message: PaperDetail.Back) -> None:
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
            self.refresh_list(keep_current=False)

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
        self.query_one("#search", SearchBar).focus()

    def action_switch_pane(self, direction: int) -> None:
        order = [self.paper_list, self.detail]
        focused = self.focused
        if focused not in order:
            self.paper_list.focus()
            return
        order[(order.index(focused) + direction) % 2].focus()

    # ---- reading state ------------------------------------------------------------------

    def _current(self) -> ListRow | None:
        row = self.paper_list.current
        if row is None:
            self.notify("No paper is highlighted.", severity="warning")
        return row

    def _set_state(
        self, row: ListRow, *, read: bool | None = None, bookmarked: bool | None = None
    ) -> None:
        row = self.paper_list.find_row(row.id) or row  # the freshest copy: keys can outrun messages
        try:
            self.library.set_state(row.id, read=read, bookmarked=bookmarked)
        except PapertuiError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=8)
            return
        updated = replace(
            row,
            read=row.read if read is None else read,
            bookmarked=row.bookmarked if bookmarked is None else bookmarked,
        )
        if updated.read != row.read:
            self.unread += -1 if updated.read else 1
            self._update_status()
        self.paper_list.replace_row(updated)
        paper = self.detail.paper
        if paper is not None and paper.id == row.id:
            self.detail.show_paper(
                paper.model_copy(update={"read": updated.read, "bookmarked": updated.bookmarked}),
                keep_scroll=True,
            )

    def action_toggle_read(self) -> None:
        if row := self._current():
            self._set_state(row, read=not row.read)

    def action_toggle_bookmark(self) -> None:
        if row := self._current():
            self._set_state(row, bookmarked=not row.bookmarked)
            self.notify("Bookmarked." if not row.bookmarked else "Bookmark removed.", timeout=2)

    def action_toggle_unread_only(self) -> None:
        self.rq = replace(self.rq, unread_only=not self.rq.unread_only)
        self.refresh_list()

    def action_toggle_bookmarks_only(self) -> None:
        self.rq = replace(self.rq, bookmarks_only=not self.rq.bookmarks_only)
        self.refresh_list()

    # ---- views --------------------------------------------------------------------------

    def action_cycle_view(self) -> None:
        kind = next_in(VIEW_KINDS, self.rq.view.kind)
        self.rq = replace(self.rq, view=View(kind, self.rq.view.anchor))
        self.refresh_list(keep_current=False)

    def action_step(self, direction: int) -> None:
        view = self.rq.view
        if view.anchor is None or view.kind == "all":
            self.notify(
                "All papers are already shown: press v to pick a day, week or month.", timeout=3
            )
            return
        if view.kind != "day":
            self._show_view(view.step(direction))
            return

        def arrive(day) -> None:
            if day is None:
                self.notify(
                    "No earlier day with papers." if direction < 0 else "This is the latest day.",
                    timeout=2,
                )
            else:
                self._show_view(View("day", day))

        self.background(lambda: self.library.adjacent_day(view.anchor, direction), arrive)

    def _show_view(self, view: View) -> None:
        self.rq = replace(self.rq, view=view)
        self.refresh_list(keep_current=False)

    def action_cycle_sort(self) -> None:
        self.rq = replace(self.rq, sort=next_in(SORT_ORDER, self.rq.sort))
        self.refresh_list()

    # ---- copy and open ------------------------------------------------------------------

    def copy_text(self, label: str, text: str) -> None:
        try:
            how = clipboard.copy(text, osc52=self.copy_to_clipboard)
        except clipboard.ClipboardError as exc:
            self.notify(str(exc), title=f"Could not copy the {label}", severity="error", timeout=6)
            return
        self.notify(f"Copied the {label} to the {how}.", timeout=3)

    def action_copy_link(self) -> None:
        if row := self._current():
            self.copy_text("Hugging Face link", hf_url(row.id))

    def action_copy_menu(self) -> None:
        if row := self._current():
            self.background(lambda: self.library.paper(row.id), self._show_copy_menu)

    def _show_copy_menu(self, paper: StoredPaper | None) -> None:
        if paper is None:
            return
        choices = [
            ("h", "Hugging Face link", hf_url(paper.id)),
            ("a", "arXiv abstract link", arxiv_abs_url(paper.id)),
            ("p", "PDF link", arxiv_pdf_url(paper.id)),
        ]
        if repo := safe_url(paper.github_repo):
            choices.append(("g", "GitHub link", repo))
        if page := safe_url(paper.project_page):
            choices.append(("w", "project page link", page))
        choices += [
            ("b", "BibTeX entry", bibtex_entry(paper)),
            ("m", "Markdown link", markdown_link(paper)),
        ]

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice:
                self.copy_text(*choice)

        self.push_screen(CopyMenu(paper.title, choices), chosen)

    def action_open_page(self) -> None:
        if row := self._current():
            self.open_link("Hugging Face page", hf_url(row.id))

    def action_open_pdf(self) -> None:
        if row := self._current():
            self.open_link("PDF", arxiv_pdf_url(row.id))

    def open_link(self, label: str, url: str) -> None:
        safe = safe_url(url)
        if safe is None:
            self.notify(
                f"Refused to open {url[:60]!r}: only http(s) links are opened.", severity="error"
            )
            return

        def opened(ok: bool) -> None:
            if ok:
                self.notify(f"Opened the {label} in your browser.", timeout=3)
            else:
                self.notify(
                    f"No browser available. The link: {safe}", severity="warning", timeout=8
                )

        self.background(lambda: webbrowser.open(safe), opened)

    # ---- sync ---------------------------------------------------------------------------

    def action_sync(self) -> None:
        if self.library.offline:
            self.notify("Offline (--offline): syncing is turned off.", severity="warning")
            return
        if self.syncing:
            self.notify("A sync is already running.", timeout=2)
            return
        self.syncing = True
        self._sync_done = 0
        self.status.set(sync_text="⟳ checking for new papers…", sync_kind="status--sync")
        self._run_sync(self.config.sync_days)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _run_sync(self, days: int) -> None:
        try:
            summary = self.library.sync(
                days,
                on_day=lambda result: self.post_message(SyncDayDone(result)),
                on_plan=lambda todo: self.post_message(SyncPlanned(len(todo))),
            )
        except PapertuiError as exc:
            self.post_message(SyncDone(None, str(exc)))
            return
        self.post_message(SyncDone(summary))

    @_while_mounted
    def on_sync_planned(self, message: SyncPlanned) -> None:
        self._sync_total = message.total
        self.status.set(sync_text=f"⟳ syncing 0/{message.total} days", sync_kind="status--sync")

    @_while_mounted
    def on_sync_day_done(self, message: SyncDayDone) -> None:
        self._sync_done += 1
        self.status.set(
            sync_text=f"⟳ syncing {self._sync_done}/{self._sync_total} days",
            sync_kind="status--sync",
        )
        result = message.result
        if result.ok and (result.new or result.updated):
            if self.rq.view.anchor is None:
                self.background(self.library.latest_day, self._first_papers)
            else:
                self.refresh_list()

    def _first_papers(self, latest) -> None:
        if latest is not None and self.rq.view.anchor is None:
            self._show_view(View(self.rq.view.kind, latest))
        else:
            self.refresh_list()

    @_while_mounted
    def on_sync_done(self, message: SyncDone) -> None:
        self.syncing = False
        summary = message.summary
        if self.total == 0 and (summary is None or not summary.ok):
            self.paper_list.empty_text = "No papers yet: the sync failed (r retries)."
            self.paper_list.refresh()
        if summary is None:
            self.status.set(sync_text=f"sync failed: {message.error}", sync_kind="status--error")
            self.notify(
                message.error or "sync failed", title="Sync failed", severity="error", timeout=8
            )
            return
        stamp = datetime.now().strftime("%H:%M")
        if summary.ok:
            new = sum(r.new for r in summary.results)
            text = f"✓ synced {stamp}" + (f" · {new} new" if new else "")
            self.status.set(sync_text=text, sync_kind="status--sync")
            if self.rq.view.anchor is None:
                self.background(self.library.latest_day, self._first_papers)
            return
        failed = summary.failed
        if all(
            "cannot reach" in (r.error or "") or "did not answer" in (r.error or "") for r in failed
        ):
            self.status.set(
                sync_text="offline · showing cached papers", sync_kind="status--offline"
            )
            self.notify(
                failed[0].error or "",
                title="No network: showing cached papers",
                severity="warning",
                timeout=6,
            )
            return
        self.status.set(sync_text=f"⚠ sync: {len(failed)} day(s) failed", sync_kind="status--error")
        details = "\n".join(f"{r.day}: {r.error}" for r in failed[:5])
        self.notify(details, title="Some days failed to sync", severity="error", timeout=10)

    # ---- help, palette, theme -----------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_help()))

    def key_help(self) -> list[tuple[str, str]]:
        """Every papertui binding as the user has it mapped now (the keymap applied)."""
        merged: dict[str, list[str]] = {}
        sources = [self, self.paper_list, self.detail, self.query_one("#search", SearchBar)]
        for source in sources:
            bindings = source._bindings.copy()
            bindings.apply_keymap(self._keymap)
            for _key, binding in bindings:
                if not binding.id:
                    continue  # Textual's own scrolling bindings
                text = KEY_HELP.get(binding.id, binding.description)
                keys = merged.setdefault(text, [])
                shown = self.get_key_display(binding)
                if shown not in keys:
                    keys.append(shown)
        rows = [(" / ".join(keys), text) for text, keys in merged.items()]
        return [*rows, ("ctrl+p", "Command palette: every action above, and the theme picker")]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, title, help_text in self.PALETTE:
            yield SystemCommand(title, help_text, lambda action=action: self.run_action(action))

    def _remember_theme(self, theme) -> None:
        if theme.name == self.config.theme:
            return
        self.config = self.config.model_copy(update={"theme": theme.name})
        try:
            save_config(self.config, self.config_path)
        except OSError as exc:
            self.notify(f"Theme not saved: {exc}", severity="warning")
