"""Synthetic caches in the real API schema, written through the store's own upsert path."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

from papertui.models import parse_items
from papertui.store import Store
from papertui.store.compact import STANDARD_THUMBNAIL

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PER_DAY = 200
WORDS = (
    "diffusion transformer agent reasoning video retrieval benchmark language model vision robot "
    "policy alignment sparse attention memory graph multimodal reward tokenizer scaling distillation "
    "quantization kernel speech audio protein molecule planning search code math proof safety "
    "evaluation dataset synthetic preference optimization latent world navigation segmentation"
).split()
SURNAMES = "Li Wang Zhang Chen Liu Yang Smith Kim Park Nguyen Garcia Müller Rossi Silva Tanaka Ivanov".split()
GIVEN = "Wei Jing Alex Maria Yuki Omar Sara Ivan Lena Raj Ana Tom Mei Jun Eva Noah".split()


def templates() -> list[dict]:
    items = []
    for name in (
        "daily_papers_date-2026-05-08.json",
        "daily_papers_latest-2026-05-18.json",
        "daily_papers_date-2024-10-25_old-schema.json",
    ):
        items.extend(json.loads((FIXTURES / name).read_text()))
    return items


def synthetic_item(template: dict, n: int, rng: random.Random, day: str) -> dict:
    """A real item with a new id, title, authors, upvotes and day: same shape and size as the API's."""
    paper = dict(template["paper"])
    title = " ".join(rng.choices(WORDS, k=rng.randint(6, 12))).capitalize() + f" ({n})"
    authors = [
        {
            "_id": f"{n:08x}{i:04x}",
            "name": f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}",
            "hidden": False,
        }
        for i in range(rng.randint(2, 14))
    ]
    paper.update(
        id=f"{2300 + n // 90000:04d}.{n % 90000 + 10000:05d}",
        title=title,
        authors=authors,
        upvotes=int(rng.paretovariate(1.2)) - 1,
        submittedOnDailyAt=f"{day}T09:00:00.000Z",
    )
    item = dict(template)
    item.update(paper=paper, title=title, numComments=rng.randint(0, 20))
    if item.get("thumbnail"):  # Hugging Face's address for the new id, as for a real paper
        item["thumbnail"] = STANDARD_THUMBNAIL.format(paper["id"])
    return item


def per_day(papers: int) -> int:
    """Papers a day for a cache of `papers`: PER_DAY, or more so the days stay in the range
    papertui accepts (until the end of next year; a million papers at 200 a day would run to
    2037 and be refused as out of range)."""
    return max(PER_DAY, -(-papers // 1_500))


def day_items(
    day_index: int, count: int, rng: random.Random, bank: list[dict], per: int = PER_DAY
) -> tuple[str, list[dict]]:
    day = (date(2023, 5, 4) + timedelta(days=day_index)).isoformat()
    start = day_index * per
    return day, [
        synthetic_item(bank[(start + i) % len(bank)], start + i, rng, day) for i in range(count)
    ]


TAGS = (
    "to-read reading-group ml rl nlp vision robotics agents theory benchmarks datasets "
    "efficiency safety audio 3d video math code survey baseline reproduce cite thesis "
    "chapter-2 chapter-3 related-work follow-up skimmed favourite"
).split()
NOTE_WORDS = (
    WORDS
    + (
        "baseline compare ablation figure table section claim unclear strong weak reproduce "
        "follow cite idea method results code release appendix proof limitation"
    ).split()
)
LIBRARY_TAGGED = 10
LIBRARY_NOTED = 20  # one paper in 10 tagged, one in 20 noted: 10,000 and 5,000 at 100k


def add_library(path: Path, seed: int = 11) -> None:
    """Tags on one paper in 10 (1-3 of 30 tags) and a note of 10-60 words on one in 20, through
    the store's own write path; nothing when the cache has tags already."""
    with Store(path) as store:
        if store.tag_names():
            return
        rng = random.Random(seed)
        ids = sorted(r.id for r in store.list_rows(limit=10**7))
        for paper_id in rng.sample(ids, len(ids) // LIBRARY_TAGGED):
            store.change_tags([paper_id], add=rng.sample(TAGS, rng.randint(1, 3)))
        for paper_id in rng.sample(ids, len(ids) // LIBRARY_NOTED):
            words = rng.choices(NOTE_WORDS, k=rng.randint(10, 60))
            store.set_note(paper_id, " ".join(words).capitalize() + ".")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def build_cache(path: Path, papers: int, seed: int = 7) -> Path:
    """A cache of `papers` synthetic papers, PER_DAY a day, plus some read and bookmarked state."""
    if path.exists():
        with Store(path) as store:
            if store.count() == papers:
                return path
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    bank = templates()
    per = per_day(papers)
    with Store(path) as store:
        for day_index in range((papers + per - 1) // per):
            count = min(per, papers - day_index * per)
            day, items = day_items(day_index, count, rng, bank, per)
            parsed = parse_items(items)
            store.upsert(parsed.entries, day=day, record_day=True)
        ids = [r.id for r in store.list_rows(limit=papers)]
        store.set_state(rng.sample(ids, papers // 5), read=True)
        store.set_state(rng.sample(ids, max(papers // 100, 1)), bookmarked=True)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path
