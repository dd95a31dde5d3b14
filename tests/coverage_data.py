"""A crafted cache with every coverage state in May 2026, for the calendar's tests and screenshot.

Every day of May 2026 is synced from the synthetic archive (tests/archive.py), then days are
bent into the other states:

    11 May  failed: never stored, the last fetch got HTTP 503
    12 May  missing: no record, no papers
    13 May  partial: stored, but 3 items of its list could not be read
    15 May  stale: fetched on the day itself, before it settled
    20 May  partial: papers from an import, the day's list never fetched
    26 May  failed after being stored: its papers stay, the last refetch failed
    weekends with no papers: no papers; a third of each day's papers read
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from archive import make_items, papers_on

from papertui.models import parse_items
from papertui.store import Store

MONTH = [date(2026, 5, 1) + timedelta(days=i) for i in range(31)]
FAILED = date(2026, 5, 11)
MISSING = date(2026, 5, 12)
SKIPPED = date(2026, 5, 13)
STALE = date(2026, 5, 15)
IMPORTED = date(2026, 5, 20)
REFETCH_FAILED = date(2026, 5, 26)
ERROR = "huggingface.co had a server error (HTTP 503) (gave up after 4 tries)"


def build_coverage_cache(db: Path) -> Path:
    with Store(db) as store:
        for day in MONTH:
            if day in (FAILED, MISSING):
                continue
            items = make_items(day, papers_on(day))
            entries = parse_items(items).entries
            if day == IMPORTED:
                store.upsert(entries, day=day.isoformat())  # no record: not the whole list
                continue
            skipped = 3 if day == SKIPPED else 0
            store.upsert(entries, day=day.isoformat(), record_day=True, skipped=skipped)
            read = [e.item.paper.id for e in entries[::3]]
            if read:
                store.set_state(read, read=True)
        store.record_failure(FAILED.isoformat(), ERROR)
        store.record_failure(REFETCH_FAILED.isoformat(), ERROR)
        with store._write() as conn:
            conn.execute(
                "UPDATE days SET fetched_at = ? WHERE day = ?",
                ("2026-05-15T09:00:00+00:00", STALE.isoformat()),
            )
    return db
