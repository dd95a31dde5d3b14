"""The coverage calendar (`c`): a month at a time, each day marked with what the cache has of it
(complete, stale, partial, failed and why, missing, no papers) and its paper and unread counts.
Enter opens the day in the list; f, w and m fetch the day, its week or the month in the
background (the reader's own sync, with its progress shown here too).

The screen holds no SQL and no HTTP: its facts come from `Service.coverage` in a worker, and its
fetches go through the app's `SyncController`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Static

from ...coverage import ARCHIVE_START, DayCoverage, DayState, fetch_span, tally, utc_today
from ...plural import plural
from ..actions import bindings

GLYPHS = {
    DayState.COMPLETE: "✓",
    DayState.STALE: "~",
    DayState.PARTIAL: "◐",
    DayState.FAILED: "✗",
    DayState.MISSING: "·",
    DayState.EMPTY: "–",
    DayState.OUTSIDE: " ",
}
STYLE_OF = {state: f"calendar--{state.name.lower()}" for state in DayState}
WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def first_of(day: date) -> date:
    return day.replace(day=1)


def last_of(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (or earlier), clamped to that month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    year = min(max(year, 1), 9999)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


class CalendarGrid(Widget):
    """One month as a grid of weeks: each day two lines, its number and mark, then its counts."""

    COMPONENT_CLASSES = {
        *STYLE_OF.values(),
        "calendar--cursor",
        "calendar--today",
        "calendar--header",
        "calendar--day",
        "calendar--count",
        "calendar--unread",
        "calendar--sync",
        "calendar--error",
        "calendar--offline",
    }

    cursor: reactive[date] = reactive(date(2000, 1, 1), layout=False)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.days: dict[date, DayCoverage] = {}
        self.today = utc_today()

    def show(self, days: list[DayCoverage], today: date) -> None:
        self.days = {d.day: d for d in days}
        self.today = today
        self.refresh()

    def render(self) -> Text:
        width = max(self.size.width, 7 * 8)
        cell = width // 7
        style = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        for name in WEEKDAYS:
            out.append(f" {name}".ljust(cell), style("calendar--header"))
        weeks = calendar.Calendar().monthdatescalendar(self.cursor.year, self.cursor.month)
        roomy = self.size.height >= 1 + 3 * len(weeks)  # a blank line between weeks
        for week in weeks:
            if roomy:
                out.append("\n")
            for line in (0, 1):
                out.append("\n")
                for day in week:
                    out.append_text(self._cell(day, line, cell, style))
        return out

    def _cell(self, day: date, line: int, width: int, style: Callable[[str], Style]) -> Text:
        if day.month != self.cursor.month:
            return Text(" " * width)
        info = self.days.get(day)
        state = info.state if info else DayState.OUTSIDE
        state_style = style(STYLE_OF[state])
        if line == 0:
            today = style("calendar--today") if day == self.today else Style()
            number = Text(f" {day.day:>2}", style("calendar--day") + today)
            text = number + Text(f" {GLYPHS[state]}", state_style)
            if info is not None and state is not DayState.OUTSIDE and width >= 15:
                text.append(f" {state.value}", state_style)
        else:
            text = Text(" ")
            if info is not None and info.papers:
                text.append(f"{info.papers:>3}", style("calendar--count"))
                if info.unread:
                    text.append(f" ●{info.unread}", style("calendar--unread"))
        text.truncate(width, pad=True)
        if day == self.cursor:
            text.stylize(style("calendar--cursor"))
        return text


def month_state(days: list[DayCoverage]) -> DayState:
    """One mark for a month: failed if a day failed, complete when every day is complete or has
    no papers, missing when none is there at all, partial otherwise; outside for a month
    wholly before the archive or after today."""
    states = {d.state for d in days} - {DayState.OUTSIDE}
    if not states:
        return DayState.OUTSIDE
    if DayState.FAILED in states:
        return DayState.FAILED
    if states <= {DayState.COMPLETE, DayState.EMPTY}:
        return DayState.COMPLETE
    if states == {DayState.MISSING}:
        return DayState.MISSING
    if states <= {DayState.COMPLETE, DayState.EMPTY, DayState.STALE}:
        return DayState.STALE
    return DayState.PARTIAL


class ArchiveStrip(Widget):
    """Every month of the archive, a year a line, each marked as its days are (see
    `month_state`): where the holes are, without paging through the months."""

    COMPONENT_CLASSES = {*STYLE_OF.values(), "calendar--header", "calendar--cursor"}

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.months: dict[tuple[int, int], DayState] = {}
        self.cursor = (0, 0)

    def show(self, days: list[DayCoverage]) -> None:
        by_month: dict[tuple[int, int], list[DayCoverage]] = {}
        for day in days:
            by_month.setdefault((day.day.year, day.day.month), []).append(day)
        self.months = {key: month_state(found) for key, found in by_month.items()}
        self.styles.height = 1 + len({year for year, _ in self.months})
        self.refresh(layout=True)

    def point_at(self, day: date) -> None:
        self.cursor = (day.year, day.month)
        self.refresh()

    def render(self) -> Text:
        style = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        header = "Year  " + " ".join(calendar.month_abbr[m] for m in range(1, 13))  # 4 a month
        out.append(header, style("calendar--header"))
        for year in sorted({year for year, _ in self.months}):
            out.append(f"\n{year}  ", style("calendar--header"))
            for month in range(1, 13):
                state = self.months.get((year, month), DayState.OUTSIDE)
                cell = Text(f"{GLYPHS[state]:^3}", style(STYLE_OF[state]))
                if (year, month) == self.cursor:
                    cell.stylize(style("calendar--cursor"))
                out.append_text(cell)
                out.append(" ")
        return out


class CalendarScreen(ModalScreen[None]):
    """The coverage calendar. Every key of the reader's list is off while it is open."""

    BINDINGS = bindings("calendar")

    def __init__(self, start: date | None = None):
        super().__init__()
        self.today = utc_today()
        self.start = start or self.today
        self.generation = 0
        self.loaded: dict[date, DayCoverage] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="calendar-box"):
            yield Static(id="calendar-title")
            yield CalendarGrid(id="calendar-grid")
            yield Static(id="calendar-day")
            yield Static(id="calendar-reason")
            yield Static(id="calendar-legend")
            yield Static(id="calendar-sync")
            yield ArchiveStrip(id="calendar-archive")
        yield Footer()

    @property
    def grid(self) -> CalendarGrid:
        return self.query_one(CalendarGrid)

    def on_resize(self, event: Any) -> None:
        self._fit_archive()

    def _fit_archive(self) -> None:
        """The archive's overview only where it fits under the month (not at 80x24)."""
        strip = self.query_one(ArchiveStrip)
        strip.display = self.size.height >= 26 + len({y for y, _ in strip.months})

    def on_mount(self) -> None:
        self.query_one("#calendar-legend", Static).update(self._legend())
        self._show_sync(self.app.sync_state)  # type: ignore[attr-defined]
        self.watch(self.app, "sync_state", self._sync_changed, init=False)
        self._go(self.start)
        self._load_archive()

    # ---- data ---------------------------------------------------------------------------

    def _go(self, day: date) -> None:
        """Put the cursor on `day`; the month it is in is (re)loaded when it changes."""
        old = self.grid.cursor
        self.grid.cursor = day
        if (old.year, old.month) != (day.year, day.month) or not self.loaded:
            self.loaded = {}
            self._load()
        self._show_day()
        self.grid.refresh()
        self.query_one(ArchiveStrip).point_at(day)

    def _load(self) -> None:
        self.generation += 1
        generation, month = self.generation, self.grid.cursor
        first, last = first_of(month), last_of(month)
        service = self.app.service  # type: ignore[attr-defined]
        today = self.today = utc_today()
        self.app.background(  # type: ignore[attr-defined]
            lambda: service.coverage(first, last, today),
            lambda days: self._loaded(generation, days),
        )

    def _load_archive(self) -> None:
        service = self.app.service  # type: ignore[attr-defined]
        today = utc_today()
        self.app.background(  # type: ignore[attr-defined]
            lambda: service.coverage(ARCHIVE_START, today, today, counts=False),
            self._archive_loaded,
        )

    def _archive_loaded(self, days: list[DayCoverage]) -> None:
        if self.is_attached:
            self.query_one(ArchiveStrip).show(days)
            self._fit_archive()

    def _loaded(self, generation: int, days: list[DayCoverage]) -> None:
        if generation != self.generation or not self.is_attached:
            return
        self.loaded = {d.day: d for d in days}
        self.grid.show(days, self.today)
        self._show_title(days)
        self._show_day()

    def _show_sync(self, state: Any) -> None:
        text = Text(state.text or "", no_wrap=True, overflow="ellipsis")
        if state.text:
            text.stylize(
                self.grid.get_component_rich_style(state.kind.replace("status", "calendar"))
            )
        self.query_one("#calendar-sync", Static).update(text)

    def _sync_changed(self, state: Any) -> None:
        self._show_sync(state)
        self._load()  # days land as the sync goes: show them
        if not state.running:
            self._load_archive()

    # ---- text ---------------------------------------------------------------------------

    def _show_title(self, days: list[DayCoverage]) -> None:
        month = self.grid.cursor
        counts = tally(days)
        title = Text(f"Coverage · {month:%B %Y} ", style="bold")
        for state in DayState:
            if state is not DayState.OUTSIDE and counts[state]:
                title.append(f" {GLYPHS[state]} {counts[state]}", style=self._style(state))
        self.query_one("#calendar-title", Static).update(title)

    def _show_day(self) -> None:
        day = self.grid.cursor
        info = self.loaded.get(day)
        text = Text(f"{day:%a %d %b %Y}", style="bold", no_wrap=True, overflow="ellipsis")
        if info is None:
            text.append(" …")
        elif info.state is DayState.OUTSIDE:
            text.append(
                " — before the archive starts" if day < ARCHIVE_START else " — not published yet"
            )
        else:
            text.append(f" — {info.state.value}")
            if info.papers:
                text.append(f" · {plural(info.papers, 'paper')}, {info.unread:,} unread")
            if info.fetched_at:
                text.append(f" · fetched {info.fetched_at[:16].replace('T', ' ')}")
        second = Text(no_wrap=True, overflow="ellipsis")
        if info is not None and info.reason:
            second.append(info.reason, style=self._style(info.state))
        elif info is not None and info.state is not DayState.OUTSIDE:
            second.append("Enter opens it · f fetches it, w its week, m the month", style="dim")
        self.query_one("#calendar-day", Static).update(text)
        self.query_one("#calendar-reason", Static).update(second)

    def _legend(self) -> Text:
        legend = Text(no_wrap=True, overflow="ellipsis")
        for state in DayState:
            if state is DayState.OUTSIDE:
                continue
            legend.append(f"{GLYPHS[state]} ", style=self._style(state))
            legend.append(f"{state.value}  ")
        legend.append("●n unread", style=self.grid.get_component_rich_style("calendar--unread"))
        legend.append(" · [ ] months · { } years", style="dim")
        return legend

    def _style(self, state: DayState) -> Style:
        return self.grid.get_component_rich_style(STYLE_OF[state])

    # ---- keys ---------------------------------------------------------------------------

    def action_move(self, days: int) -> None:
        try:
            self._go(self.grid.cursor + timedelta(days=days))
        except OverflowError:
            pass

    def action_month(self, months: int) -> None:
        self._go(add_months(self.grid.cursor, months))

    def action_today(self) -> None:
        self._go(utc_today())

    def action_open_day(self) -> None:
        day = self.grid.cursor
        if day < ARCHIVE_START or day > utc_today():
            self.notify("No Daily Papers list for that day.", severity="warning", timeout=3)
            return
        self.dismiss()
        self.app.open_day(day)  # type: ignore[attr-defined]

    def action_fetch(self, period: str) -> None:
        span = fetch_span(period, self.grid.cursor, utc_today(), self.loaded)
        if isinstance(span, str):
            self.notify(span, severity="warning", timeout=4)
            return
        self.app.fetch_span(span)  # type: ignore[attr-defined]

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.dismiss()
