"""Bring the cache up to date: which days to fetch, fetching a few at once, one transaction a day.

A day is fetched when it is missing, incomplete, or stale: today and yesterday always (upvotes and
comments still move), and any day whose last fetch happened before it had settled (within two
days of it). Each day is stored whole or not at all; a failed day leaves what was stored before.
A sync has a time budget and can be cancelled (`sync_days(..., budget=, cancel=)`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from . import days as calendar_days
from .days import SETTLE_DAYS, needs_fetch
from .errors import NotPublishedYet, PapertuiError, Unreachable
from .hf_api import HfApi
from .netguard import CANCELLED, Cancelled, OutOfTime, Stop, not_reached
from .plural import plural
from .store import Store, prepare_rows
from .syncplan import Batch, Progress, Tracker, Unit, plan_units

PARALLEL_DAYS = 3
DEFAULT_BUDGET = 600.0  # seconds for a whole sync (plus a little a day, see default_budget)
GRACE = 1.0  # how long past the budget the writer waits for fetchers to report
POLL = 0.1  # how often the writer looks at the cancel event while it waits


@dataclass
class DayResult:
    day: date
    error: str | None = None
    count: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    cancelled: bool = False  # not stored because the sync was cancelled (error: "cancelled")
    unreachable: bool = False  # the server could not be reached (the network may be down)
    # The server has no list for the day yet (NotPublishedYet): not a failure, nothing stored,
    # nothing recorded, so the next sync asks again.
    not_published: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SyncPlan:
    """The days a request names (`wanted`) and those of them that need fetching (`todo`)."""

    wanted: list[date]
    todo: list[date]

    @property
    def up_to_date(self) -> list[date]:
        todo = set(self.todo)
        return [d for d in self.wanted if d not in todo]


@dataclass
class SyncSummary:
    requested: list[date] = field(default_factory=list)
    results: list[DayResult] = field(default_factory=list)
    up_to_date: list[date] = field(default_factory=list)  # wanted, but not fetched: no need
    requests: int = 0  # requests made, retries included
    # items of month lists that could not be read or placed on a day
    unplaced: int = 0
    fallbacks: list[tuple[str, str]] = field(default_factory=list)  # (month, why) fetched by day

    @property
    def failed(self) -> list[DayResult]:
        return sorted((r for r in self.results if not r.ok), key=lambda r: r.day)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def cancelled(self) -> list[DayResult]:
        return [r for r in self.failed if r.cancelled]

    @property
    def stored(self) -> list[DayResult]:
        return [r for r in self.results if r.ok and not r.not_published]

    @property
    def not_published(self) -> list[DayResult]:
        return sorted((r for r in self.results if r.not_published), key=lambda r: r.day)

    def line(self) -> str:
        if not self.requested:
            return "Nothing to sync: every requested day is up to date."
        done = self.stored
        line = (
            f"Synced {len(done):,} of {plural(len(self.requested), 'day')}: "
            f"{plural(sum(r.new for r in done), 'paper')} new, "
            f"{sum(r.updated for r in done):,} updated, "
            f"{plural(sum(r.skipped for r in done) + self.unplaced, 'item')} skipped, "
            f"{plural(len(self.failed), 'day')} failed"
        )
        if self.up_to_date:
            line += f"; {plural(len(self.up_to_date), 'day')} already up to date"
        if self.not_published:
            line += f"; {plural(len(self.not_published), 'day')} not published yet"
        return line + "."


def select_days(store: Store, days: list[date], today: date, force: bool = False) -> list[date]:
    if force:
        return days
    records = store.day_records()
    return [d for d in days if needs_fetch(d, records.get(d.isoformat()), today)]


def default_budget(days: int) -> float:
    """Ten minutes, and more for a long range: the rate limit allows ~1.3 requests a second."""
    return DEFAULT_BUDGET + 1.5 * days


def _fetch(api: HfApi, unit: Unit, stop: Stop) -> Batch:
    """Fetch a day's list, or a month's, and prepare its rows, in a fetcher thread: only the
    write is serialised. A month's items each go to their own day (`paper.submittedOnDailyAt`,
    or in the 2024-era schema the item's `publishedAt`), as imports do."""
    if unit.month is None:
        day = unit.days[0]
        page = api.daily(day=day, stop=stop)
        return Batch(prepare_rows(page.entries, day=day.isoformat()), page.skipped, page.pages)
    page = api.daily(month=unit.month, stop=stop)
    return Batch(prepare_rows(page.entries, day=None), page.skipped, page.pages)


def sync_days(
    store: Store,
    api: HfApi,
    days: list[date],
    *,
    on_day: Callable[[DayResult], object] | None = None,
    on_progress: Callable[[Progress], object] | None = None,
    parallel: int = PARALLEL_DAYS,
    budget: float | None = None,
    cancel: threading.Event | None = None,
    months: bool = True,
    today: date | None = None,
) -> SyncSummary:
    """Fetch the given days a few at a time; store each as it arrives, in its own transaction.

    With `months`, a past month with at least MONTH_MIN_DAYS of its days to fetch is fetched as
    one `month=` list (pages of 100, not one request a day; see `plan_units`); a month list that
    fails falls back to fetching its days one by one. `budget` (seconds; default
    `default_budget(len(days))`) bounds the whole sync: days not done when it runs out fail with
    a message saying so. Setting `cancel` stops it within about a second: days not stored by
    then are reported with the error "cancelled"; what was stored stays. The first day whose
    server cannot be reached ends the round: the other days are reported unreachable at once
    instead of each waiting out its own retries (a first run with no network says "offline" in
    seconds). Fetches run in daemon threads, so one stuck in a socket read never keeps the
    process alive; only this (the calling) thread writes to `store`. A day that fails (not
    cancelled) is recorded with its reason until it is stored (the coverage calendar shows it).
    `on_progress` hears how far it is, with an ETA that counts the rate limiter.
    """
    summary = SyncSummary(requested=list(days))
    if not days:
        return summary
    seconds = default_budget(len(days)) if budget is None else budget
    until = time.monotonic() + seconds
    stop = Stop(cancel=cancel, until=until, budget=seconds)
    units = plan_units(days, today or calendar_days.utc_today(), months=months, settle=SETTLE_DAYS)
    todo: queue.SimpleQueue[Unit] = queue.SimpleQueue()
    for unit in units:
        todo.put(unit)
    done: queue.SimpleQueue[tuple[Unit, object]] = queue.SimpleQueue()
    finished = threading.Event()

    def fetcher() -> None:
        while not finished.is_set():
            try:
                unit = todo.get(timeout=POLL)
            except queue.Empty:
                continue
            try:
                stop.check()
                outcome: object = _fetch(api, unit, stop)
            except Exception as exc:  # reported by the writer below, with the unit
                outcome = exc
            done.put((unit, outcome))

    threads = [
        threading.Thread(target=fetcher, name=f"papertui-sync-{i}", daemon=True)
        for i in range(max(1, min(parallel, len(units))))
    ]
    tracker = Tracker(api, units, len(days), on_progress)
    for thread in threads:
        thread.start()
    pending = set(units)
    unreachable: str | None = None  # the first "cannot reach": the rest of the round is moot

    def report(result: DayResult) -> None:
        _report(store, summary, result, on_day)
        tracker.day_done()

    while (
        pending and unreachable is None and not stop.cancelled and time.monotonic() < until + GRACE
    ):
        try:
            unit, outcome = done.get(timeout=POLL)
        except queue.Empty:
            tracker.tick()
            continue
        pending.discard(unit)
        tracker.unit_done(unit, outcome)
        if unit.month is not None and _falls_back(outcome):
            summary.fallbacks.append((unit.month, str(outcome)))
            for day in unit.days:  # the month's list failed: its days one by one
                single = Unit((day,))
                pending.add(single)
                tracker.add(single)
                todo.put(single)
            continue
        for result in _store_unit(store, summary, unit, outcome):
            if result.unreachable and unreachable is None:
                unreachable = result.error or "unreachable"
                _drain(todo)  # the fetchers stop after their current request
            report(result)
    finished.set()
    for day in sorted((d for unit in pending for d in unit.days), reverse=True):
        if unreachable is not None:
            report(DayResult(day, error=not_reached(unreachable), unreachable=True))
        elif stop.cancelled:
            report(DayResult(day, error=CANCELLED, cancelled=True))
        else:
            report(DayResult(day, error=str(stop.out_of_time())))
    summary.requests = tracker.requests()
    if pending:  # give the fetchers a moment to notice; they are daemons either way
        end = time.monotonic() + GRACE / 2
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
    return summary


def _falls_back(outcome: object) -> bool:
    """Whether a month list's failure should send its days one by one: a refusal or a bad
    answer, not a cancel, the budget, or a server that can't be reached."""
    return isinstance(outcome, PapertuiError) and not isinstance(
        outcome, Cancelled | Unreachable | NotPublishedYet | OutOfTime
    )


def _store_unit(store: Store, summary: SyncSummary, unit: Unit, outcome: object) -> list[DayResult]:
    """Store what a unit brought, a day per transaction; one result per day of the unit."""
    if isinstance(outcome, Exception):
        return [_failed(DayResult(day), outcome) for day in unit.days]
    fetched = cast(Batch, outcome)
    if unit.month is None:
        return [_store_day(store, unit.days[0], fetched.rows, fetched.skipped)]
    buckets: dict[str | None, list[dict]] = {}
    for row in fetched.rows:
        buckets.setdefault(row["day"], []).append(row)
    summary.unplaced += fetched.skipped + len(buckets.pop(None, []))
    results = []
    for day in unit.days:
        rows = sorted(buckets.pop(day.isoformat(), []), key=lambda r: -r["upvotes"])
        results.append(_store_day(store, day, rows, 0))
    strays = [row for rows in buckets.values() for row in rows]
    if strays:  # listed in this month but submitted on a day outside it, or one not asked for
        try:
            store.write_rows(strays)
        except PapertuiError:
            pass  # the days asked for are stored; these are a bonus
    return results


def _store_day(store: Store, day: date, rows: list[dict], skipped: int) -> DayResult:
    result = DayResult(day)
    try:
        stats = store.write_rows(rows, day=day.isoformat(), skipped=skipped)
    except Exception as exc:  # a bug must not cost the other days their data
        return _failed(result, exc)
    result.count, result.skipped = len(rows), skipped
    result.new, result.updated = stats.new, stats.updated
    return result


def _failed(result: DayResult, exc: Exception) -> DayResult:
    if isinstance(exc, NotPublishedYet):
        result.not_published = True
    elif isinstance(exc, PapertuiError):
        result.error = str(exc)
        result.cancelled = isinstance(exc, Cancelled)
        result.unreachable = isinstance(exc, Unreachable)
    else:
        result.error = f"unexpected {type(exc).__name__}: {exc}"
    return result


def _drain(todo: queue.SimpleQueue[Unit]) -> None:
    while True:
        try:
            todo.get_nowait()
        except queue.Empty:
            return


def _report(
    store: Store,
    summary: SyncSummary,
    result: DayResult,
    on_day: Callable[[DayResult], object] | None,
) -> None:
    summary.results.append(result)
    if result.error and not result.cancelled:
        try:
            store.record_failure(result.day.isoformat(), result.error)
        except PapertuiError:
            pass  # a busy or read-only cache: the summary still says it
    if on_day:
        on_day(result)
