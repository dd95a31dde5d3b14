"""A synthetic Daily Papers archive of the real one's shape, for the loopback server (tests and
bench/backfill.py): every day since 2023-05-04, 20-120 papers a weekday (fewer early on, more
lately), none on most weekends and on a few weekdays (holidays).

Items are real recorded items (tests/fixtures) with a new id, title, upvotes and submission time:
days before 2025 use the 2024-era schema (no `paper.submittedOnDailyAt`; the item's `publishedAt`
is the submission time), later days the current one. A day's items are made when asked for
(deterministically, from the day), so the whole archive never sits in memory.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
ARCHIVE_START = date(2023, 5, 4)
NEW_SCHEMA_FROM = date(2025, 1, 1)


def _template(name: str, index: int) -> str:
    items = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return json.dumps(items[index])


_NEW = _template("daily_papers_date-2026-05-08.json", 5)
_OLD = _template("daily_papers_date-2024-10-25_old-schema.json", 5)


def papers_on(day: date, seed: int = 0, scale: float = 1.0) -> int:
    """How many papers the archive lists on a day (`scale` < 1: a smaller archive of the same
    shape, for tests that need many days but not many papers)."""
    rng = random.Random(f"{seed}:{day.isoformat()}")
    if day.weekday() >= 5:
        count = rng.randint(1, 8) if rng.random() < 0.15 else 0
    elif rng.random() < 0.02:  # a holiday
        count = 0
    else:
        progress = (day - ARCHIVE_START).days / 1300
        mean = 25 + 65 * min(max(progress, 0.0), 1.0)
        count = max(20, min(120, round(rng.gauss(mean, mean * 0.3))))
    return count if scale == 1.0 else round(count * scale)


@functools.lru_cache(maxsize=256)  # the pages of a few months at once ask for their days again
def _cached_items(day: date, count: int, seed: int) -> list[dict]:
    return make_items(day, count, seed)


def make_items(day: date, count: int, seed: int = 0, upvote_bonus: int = 0) -> list[dict]:
    """`count` items listed on `day`, most upvoted first (as a day's list is ordered)."""
    rng = random.Random(f"{seed}:items:{day.isoformat()}")
    new_schema = day >= NEW_SCHEMA_FROM
    items = []
    for n in range(count):
        item = json.loads(_NEW if new_schema else _OLD)
        paper = item["paper"]
        paper["id"] = f"{day:%y%m}.{day.day * 1000 + n:05d}"
        title = f"Synthetic paper {n} of {day.isoformat()}"
        paper["title"] = item["title"] = title
        paper["upvotes"] = max(0, int(rng.paretovariate(1.2) * 3) - 2 + upvote_bonus)
        stamp = f"{day.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00.000Z"
        if new_schema:
            paper["submittedOnDailyAt"] = stamp
        else:
            item["publishedAt"] = stamp
        items.append(item)
    items.sort(key=lambda i: -i["paper"]["upvotes"])
    return items


class Archive(Mapping[str, list[dict]]):
    """Day (ISO) -> its items, made on demand: a drop-in for `FakeApi.days`. Days added with
    `set` (to change a day between syncs) override the generated ones."""

    def __init__(
        self,
        start: date = ARCHIVE_START,
        end: date | None = None,
        seed: int = 0,
        scale: float = 1.0,
    ):
        self.start = start
        self.end = end or date.today()
        self.seed = seed
        self.scale = scale
        self.overrides: dict[str, list[dict]] = {}

    def __setitem__(self, day: str, items: list[dict]) -> None:
        self.overrides[day] = items

    def days(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    def __getitem__(self, key: str) -> list[dict]:
        if key in self.overrides:
            return self.overrides[key]
        try:
            day = date.fromisoformat(key)
        except ValueError:
            raise KeyError(key) from None
        if not self.start <= day <= self.end:
            raise KeyError(key)
        return _cached_items(day, papers_on(day, self.seed, self.scale), self.seed)

    def __iter__(self) -> Iterator[str]:
        return (d.isoformat() for d in self.days())

    def __len__(self) -> int:
        return (self.end - self.start).days + 1

    def paper_count(self) -> int:
        return sum(papers_on(day, self.seed, self.scale) for day in self.days())
