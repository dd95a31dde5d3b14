"""What the cache has, day by day: the state of each Daily Papers day (the coverage calendar and
`papertui status`), from the sync records, the failures and the papers listed on it. No SQL here:
the store gathers the facts (`Store.coverage_facts`), this decides what they mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from .days import ARCHIVE_START, needs_fetch, utc_today
from .models import DayFailure, DayRecord, SyncRun
from .plural import plural

__all__ = ["ARCHIVE_START", "utc_today"]  # for the calendar, which may not import sync


class DayState(Enum):
    COMPLETE = "complete"  # the whole list is stored, and it has settled
    STALE = "stale"  # stored, but counts still move (today, yesterday) or it was fetched too early
    PARTIAL = "partial"  # some papers, not the day's whole list (imported, searched, items skipped)
    FAILED = "failed"  # the last fetch failed (what was stored before stays)
    MISSING = "missing"  # nothing fetched yet
    EMPTY = "no papers"  # fetched: the day has no papers (weekends, holidays)
    OUTSIDE = "outside"  # before the archive starts, or after today

    @property
    def needs_fetch(self) -> bool:
        return self in (DayState.STALE, DayState.PARTIAL, DayState.FAILED, DayState.MISSING)


@dataclass(frozen=True)
class DayCoverage:
    day: date
    state: DayState
    papers: int = 0  # listed on this day in the cache (what the day view shows)
    unread: int = 0
    reason: str = ""  # why it is stale, partial or failed
    fetched_at: str | None = None  # its list was last stored then

    @property
    def label(self) -> str:
        return self.state.value


def classify(
    day: date,
    record: DayRecord | None,
    failure: DayFailure | None,
    papers: int,
    today: date,
) -> tuple[DayState, str]:
    """A day's state and, for stale, partial and failed days, the reason."""
    if day < ARCHIVE_START or day > today:
        return DayState.OUTSIDE, ""
    state, reason = _stored_state(day, record, papers, today)
    # A fetch that failed since the day was last stored: the day is failed unless what it holds
    # is whole and settled (a complete day whose refetch failed lacks nothing).
    later = failure is not None and (record is None or failure.failed_at >= record.fetched_at)
    if later and state not in (DayState.COMPLETE, DayState.EMPTY):
        assert failure is not None
        return DayState.FAILED, failure.error
    return state, reason


def _stored_state(
    day: date, record: DayRecord | None, papers: int, today: date
) -> tuple[DayState, str]:
    if record is None:
        if papers:
            return DayState.PARTIAL, (
                f"{plural(papers, 'paper')} from searches or imports; the day's list was never fetched"
            )
        return DayState.MISSING, ""
    if not record.complete:
        return DayState.PARTIAL, "the last fetch of this day did not finish"
    if record.skipped:
        return DayState.PARTIAL, f"{plural(record.skipped, 'item')} of its list could not be read"
    if needs_fetch(day, record, today):
        if day >= today - timedelta(days=1):
            return DayState.STALE, "upvotes and comments still move on the latest days"
        return DayState.STALE, f"fetched {_short(record.fetched_at)}, before the day settled"
    if record.count == 0:
        return DayState.EMPTY, ""
    return DayState.COMPLETE, ""


@dataclass(frozen=True)
class FetchSpan:
    """Days the calendar asks to fetch (each of them, whatever the cache has of it)."""

    days: tuple[date, ...]
    what: str  # how to name them ("8 May", "week 2026-W19", "May 2026")


def fetch_span(
    period: str, day: date, today: date, known: dict[date, DayCoverage]
) -> FetchSpan | str:
    """What the calendar's fetch keys fetch around `day`: the day itself, always again
    (`period` "day"); its week or month ("week", "month"): the days they lack (missing, stale,
    partial, failed; a day not known yet counts as lacking), or all of them again when they
    lack nothing. A string says why there is nothing to fetch."""
    if period == "day":
        if not ARCHIVE_START <= day <= today:
            return "No Daily Papers list for that day."
        return FetchSpan((day,), f"{day:%d %b}")
    if period == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        year, week, _ = day.isocalendar()
        what = f"week {year}-W{week:02d}"
    else:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        what = f"{day:%B %Y}"
    first, last = max(first, ARCHIVE_START), min(last, today)
    if first > last:
        return f"No Daily Papers list in {what}."
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    lacking = [d for d in span if d not in known or known[d].state.needs_fetch]
    return FetchSpan(tuple(lacking or span), what)


def _short(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16]


def days_of(
    first: date,
    last: date,
    records: dict[str, DayRecord],
    failures: dict[str, DayFailure],
    counts: dict[str, tuple[int, int]],
    today: date,
) -> list[DayCoverage]:
    """Every day from `first` to `last`, with its state and counts."""
    found = []
    day = first
    while day <= last:
        key = day.isoformat()
        record = records.get(key)
        papers, unread = counts.get(key, (0, 0))
        state, reason = classify(day, record, failures.get(key), papers, today)
        found.append(
            DayCoverage(day, state, papers, unread, reason, record.fetched_at if record else None)
        )
        day += timedelta(days=1)
    return found


def tally(days: Iterable[DayCoverage]) -> dict[DayState, int]:
    """How many days are in each state (states with none included, as 0)."""
    counts = dict.fromkeys(DayState, 0)
    for day in days:
        counts[day.state] += 1
    return counts


def ranges(days: Iterable[DayCoverage], states: set[DayState]) -> list[tuple[date, date]]:
    """Runs of consecutive days in any of `states`, as (first, last) pairs, oldest first."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days, key=lambda d: d.day):
        if day.state not in states:
            continue
        if runs and runs[-1][1] + timedelta(days=1) == day.day:
            runs[-1] = (runs[-1][0], day.day)
        else:
            runs.append((day.day, day.day))
    return runs


@dataclass(frozen=True)
class Status:
    """What `papertui status` reports. Counts a cache cannot have yet (full texts, before the
    migration that adds them) are None."""

    path: str
    size_bytes: int
    papers: int
    unread: int
    bookmarked: int
    tagged: int
    noted: int
    full_texts: int | None
    history_rows: int
    first_day: date | None
    last_day: date | None
    today: date
    days: dict[DayState, int]
    missing: list[tuple[date, date]]  # missing days, as ranges
    failed: list[DayCoverage]
    stale: list[tuple[date, date]]
    last_sync: SyncRun | None
    schema: list[str]
