"""Which days: the Daily Papers archive's calendar (when it starts, what today is, when a day
has settled) and the days a user names (a day, a week, a month, a range, the recent ones).

Apart from `sync` so that what only reads the cache (`status`, the coverage calendar) does not
import the HTTP client to know what a day is.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from .errors import PapertuiError

if TYPE_CHECKING:
    from .models import DayRecord

ARCHIVE_START = date(2023, 5, 4)
DEFAULT_DAYS = 7
SETTLE_DAYS = 2


class SyncRequestError(PapertuiError):
    """The days asked for make no sense (bad format, in the future, before the archive)."""


def utc_today() -> date:
    return datetime.now(UTC).date()


def needs_fetch(day: date, record: DayRecord | None, today: date) -> bool:
    if record is None or not record.complete:
        return True
    if day >= today - timedelta(days=1):
        return True
    try:
        fetched = datetime.fromisoformat(record.fetched_at).date()
    except ValueError:
        return True
    return fetched < day + timedelta(days=SETTLE_DAYS)


def parse_day(text: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise SyncRequestError(f"bad date {text[:40]!r}: use YYYY-MM-DD, e.g. 2026-05-08")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SyncRequestError(f"bad date {text[:40]!r}: no such day") from None


def week_days(text: str) -> list[date]:
    match = re.fullmatch(r"(\d{4})-W(\d{2})", text.strip(), re.IGNORECASE)
    try:
        if not match:
            raise ValueError
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise SyncRequestError(f"bad week {text[:40]!r}: use YYYY-Www, e.g. 2026-W19") from None
    return [monday + timedelta(days=i) for i in range(7)]


def month_days(text: str) -> list[date]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    try:
        if not match:
            raise ValueError
        first = date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise SyncRequestError(f"bad month {text[:40]!r}: use YYYY-MM, e.g. 2026-05") from None
    length = calendar.monthrange(first.year, first.month)[1]
    return [first + timedelta(days=i) for i in range(length)]


def span(start: date, end: date) -> list[date]:
    if end < start:
        raise SyncRequestError(f"the first day {start} is after the last day {end}")
    if (end - start).days > 3660:
        raise SyncRequestError("that range is over ten years long")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def recent_days(count: int, today: date) -> list[date]:
    if count < 1:
        raise SyncRequestError("the number of recent days must be at least 1")
    return [today - timedelta(days=i) for i in range(count)]


def clamp(days: Iterable[date], today: date, *, explicit: bool = False) -> list[date]:
    """Keep days inside the archive; an explicitly named single day out of it is an error."""
    days = sorted(set(days), reverse=True)
    if explicit and len(days) == 1:
        if days[0] > today:
            raise SyncRequestError(f"{days[0]} is in the future (today is {today} UTC)")
        if days[0] < ARCHIVE_START:
            raise SyncRequestError(
                f"{days[0]} is before the Daily Papers archive ({ARCHIVE_START})"
            )
    kept = [d for d in days if ARCHIVE_START <= d <= today]
    if days and not kept:
        raise SyncRequestError(
            f"no day between {days[-1]} and {days[0]} is in the archive ({ARCHIVE_START} to {today})"
        )
    return kept
