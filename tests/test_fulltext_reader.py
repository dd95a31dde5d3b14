"""The reader keeps the full texts of bookmarked papers: bookmarking one, and a sync, fetch what
is missing in a worker of their own (with `fulltext = "bookmarked"`, the default)."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import FAST_RETRY, day_08
from fulltext_docs import paper_markdown
from ui_helpers import make_app, run, settle

from papertui.models import parse_items
from papertui.store import Store

pytestmark = pytest.mark.slow  # pilot tests: about a second each


@pytest.fixture
def fast_network(monkeypatch):
    import papertui.hf_api as hf
    import papertui.sync as sync

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    monkeypatch.setattr(sync, "utc_today", lambda: date(2026, 5, 18))


async def wait_for(pilot, condition, rounds: int = 80) -> None:
    for _ in range(rounds):
        await settle(pilot, rounds=1)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


def cached_text_ids(db) -> list[str]:
    with Store(db) as store:
        ids = store.ids(limit=1000)
        return sorted(i for i, t in store.full_text_infos(ids).items() if t)


@pytest.fixture
def day_db(tmp_path):
    db = tmp_path / "r.db"
    with Store(db) as store:
        store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
    return db


@pytest.mark.parametrize("fulltext", ["bookmarked", "none"])
def test_bookmarking_fetches_the_full_text(tmp_path, day_db, fake_api, fast_network, fulltext):
    async def scenario():
        app = make_app(
            day_db,
            tmp_path,
            offline=False,
            api_url=fake_api.url,
            fulltext=fulltext,
            default_view="all",
            auto_sync_minutes=0,
        )
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing)
            paper_id = app.paper_list.current.id
            fake_api.texts[paper_id] = paper_markdown()
            await pilot.press("b")
            if fulltext == "bookmarked":
                await wait_for(pilot, lambda: cached_text_ids(day_db) == [paper_id])
            else:
                await settle(pilot)
                assert cached_text_ids(day_db) == []
            return paper_id

    run(scenario())
    requests = [r.path for r in fake_api.requests if r.path.endswith(".md")]
    assert len(requests) == (1 if fulltext == "bookmarked" else 0)


def test_a_sync_fetches_the_texts_bookmarked_papers_lack(tmp_path, day_db, fake_api, fast_network):
    with Store(day_db) as store:
        first, second = store.ids(limit=2)
        store.set_state([first, second], bookmarked=True)
    fake_api.texts[first] = paper_markdown()
    fake_api.texts[second] = paper_markdown().replace("SU-01", "SU-02")

    async def scenario():
        app = make_app(day_db, tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: sorted([first, second]) == cached_text_ids(day_db))

    run(scenario())
