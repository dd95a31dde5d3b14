"""How a sync fetches its days: one request a day, or one `month=` list for a past month, and
how far it has got, with an ETA that includes the rate limiter.

A month's list comes in pages of 100 items (`Link: next`), so a month of ~1,300 papers takes ~13
requests instead of 30 (one a day, weekends included). Only a month that has ended (and settled,
so its days will not need fetching again) and has at least MONTH_MIN_DAYS days to fetch is
fetched as a list; the recent days always go one by one, as they are the ones that change.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MONTH_MIN_DAYS = 20  # fewer days to fetch in a month: one request a day is cheaper
MONTH_PAGES_GUESS = 15  # requests a month list is expected to take until one has been seen
OBSERVED_AFTER = 5  # requests made before the observed pace counts in the ETA
TREND_MONTHS = 6  # month lists seen before their sizes' trend is followed


@dataclass(frozen=True)
class Unit:
    """One fetch: a day's list (`month` None, one day), or a month's list for `days` of it."""

    days: tuple[date, ...]
    month: str | None = None


@dataclass(frozen=True)
class Batch:
    """What a unit's fetch brought: rows ready to write, items skipped, responses it took."""

    rows: list[dict]
    skipped: int
    pages: int


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _ordinal(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def plan_units(
    days: list[date], today: date, *, months: bool = True, settle: int = 2
) -> list[Unit]:
    """The fetches for `days`, in their order (newest first, as sync asks): a month's list for
    each month that has ended at least `settle` days ago and has MONTH_MIN_DAYS or more of the
    days, one request a day for the rest."""
    if not months:
        return [Unit((day,)) for day in days]
    by_month: dict[str, list[date]] = {}
    for day in days:
        by_month.setdefault(month_key(day), []).append(day)
    units: list[Unit] = []
    for key, wanted in by_month.items():
        settled = month_end(wanted[0]) < today - timedelta(days=settle)
        if settled and len(wanted) >= MONTH_MIN_DAYS:
            units.append(Unit(tuple(wanted), key))
        else:
            units.extend(Unit((day,)) for day in wanted)
    return units


@dataclass(frozen=True)
class Progress:
    """How far a sync is: days stored (or failed) of all, requests made and still expected, and
    the seconds left (None until there is anything to go on)."""

    days_done: int
    days_total: int
    requests: int
    requests_left: int
    eta: float | None

    @property
    def fraction(self) -> float:
        total = self.requests + self.requests_left
        by_requests = self.requests / total if total else 0.0
        by_days = self.days_done / self.days_total if self.days_total else 1.0
        return max(by_requests, by_days) if self.days_done < self.days_total else 1.0


def eta_text(seconds: float | None) -> str:
    """`4m 05s`, `1h 02m`, `12s`; `…` when unknown."""
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds}s"


class Tracker:
    """Counts a sync's progress for `on_progress` (called from the sync's writer thread)."""

    def __init__(
        self,
        api: Any,
        units: list[Unit],
        days_total: int,
        on_progress: Callable[[Progress], object] | None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.api = api
        self.limiter = getattr(api, "limiter", None)
        self.pending = {unit: None for unit in units}  # insertion-ordered set
        self.days_total = days_total
        self.days_done = 0
        self.on_progress = on_progress
        self.clock = clock
        self.started = clock()
        self.base = self.requests(absolute=True)
        self.month_pages: list[tuple[int, int]] = []  # (month's ordinal, pages it took)
        self._last: Progress | None = None

    def requests(self, absolute: bool = False) -> int:
        made = int(getattr(self.api, "requests_made", 0))
        return made if absolute else made - self.base

    def add(self, unit: Unit) -> None:
        self.pending[unit] = None

    def unit_done(self, unit: Unit, outcome: object) -> None:
        self.pending.pop(unit, None)
        pages = getattr(outcome, "pages", 0)
        if unit.month is not None and pages:
            self.month_pages.append((_ordinal(unit.month), pages))

    def day_done(self) -> None:
        self.days_done += 1
        self.tick()

    def requests_left(self) -> int:
        """Requests still to make: one a day; for a month list, the pages it is expected to
        take (see `pages_of`)."""
        return sum(1 if unit.month is None else self.pages_of(unit.month) for unit in self.pending)

    def pages_of(self, month: str) -> int:
        """A month list's expected pages, from the months seen so far: their mean, and once
        there are TREND_MONTHS of them, their trend (months go newest first and the archive grew
        over the years, so months further back are smaller), kept between half the smallest
        and the largest seen."""
        seen = self.month_pages
        if not seen:
            return MONTH_PAGES_GUESS
        mean_y = sum(p for _, p in seen) / len(seen)
        if len(seen) < TREND_MONTHS:
            return max(1, round(mean_y))
        mean_x = sum(x for x, _ in seen) / len(seen)
        spread = sum((x - mean_x) ** 2 for x, _ in seen)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in seen) / spread if spread else 0.0
        guess = mean_y + slope * (_ordinal(month) - mean_x)
        low, high = min(p for _, p in seen), max(p for _, p in seen)
        return max(1, round(low / 2), min(round(guess), high))

    def eta(self, left: int) -> float | None:
        """Seconds left: the rate limiter's pace for the requests left, or the pace seen so far
        when that is slower (a slow server); None before there is anything to go on."""
        made = self.requests()
        limited = self.limiter.seconds_for(left) if self.limiter is not None else 0.0
        if made < OBSERVED_AFTER:
            return limited if limited else None
        observed = (self.clock() - self.started) / made * left
        return max(limited, observed)

    def tick(self) -> None:
        if self.on_progress is None:
            return
        left = self.requests_left()
        progress = Progress(self.days_done, self.days_total, self.requests(), left, self.eta(left))
        last = self._last
        if last is None or (progress.days_done, progress.requests) != (
            last.days_done,
            last.requests,
        ):
            self._last = progress
            self.on_progress(progress)
