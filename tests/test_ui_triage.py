"""The daily triage keys (issue 11): next/previous unread across days, mark all read with undo,
reading in the detail pane (Enter, space, J/K), checked against the database."""

from __future__ import annotations

from datetime import date

import pytest
from ui_helpers import make_app, run, settle, state

from papertui.store import Store

pytestmark = pytest.mark.slow  # reader pilot scenarios: a few seconds each


def unread_ids(db, day: str) -> set[str]:
    with Store(db) as store:
        return {p.id for p in store.papers() if p.day == day and not p.read}


def test_mark_all_read_then_undo(demo_db_path, tmp_path):
    db = demo_db_path
    before = unread_ids(db, "2026-05-18")
    assert len(before) == 10

    async def scenario():
        app = make_app(db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("A")
            await settle(pilot)
            assert unread_ids(db, "2026-05-18") == set()
            assert unread_ids(db, "2026-05-15")  # only the view was marked
            assert app.unread == 0
            assert any("10 papers marked read" in n.message for n in app._notifications)
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert unread_ids(db, "2026-05-18") == before
            assert app.unread == 10
            # a single change is undone too
            pid = app.paper_list.current.id
            await pilot.press("b")
            assert state(db, pid) == (False, True)
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert state(db, pid) == (False, False)

    run(scenario())


def test_marking_many_papers_read_asks_first(demo_db_path, tmp_path, monkeypatch):
    """`A` on a long list (the whole cache: 80,000 papers) marked them all at once; above
    ASK_ABOVE unread papers it asks, and the undo says they are unread again."""
    from papertui.ui import triage

    monkeypatch.setattr(triage, "ASK_ABOVE", 5)  # the day's 10 unread papers are "many" here
    db = demo_db_path
    before = unread_ids(db, "2026-05-18")

    async def scenario():
        app = make_app(db, tmp_path)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("A")
            await settle(pilot)
            assert type(app.screen).__name__ == "Confirm"
            await pilot.press("n")
            await settle(pilot)
            assert unread_ids(db, "2026-05-18") == before  # nothing marked
            await pilot.press("A", "y")
            await settle(pilot)
            assert unread_ids(db, "2026-05-18") == set()
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert unread_ids(db, "2026-05-18") == before
            assert any(n.message == "Undone: 10 papers unread again." for n in app._notifications)

    run(scenario())


def test_next_unread_skips_read_papers_and_crosses_into_older_days(demo_db_path, tmp_path):
    db = demo_db_path

    async def scenario():
        app = make_app(db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            first = app.paper_list.current.id
            await pilot.press("m", "j", "m", "k")  # the first two read; back on the first
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert app.paper_list.cursor == 2 and not app.paper_list.current.read
            await pilot.press("N")
            await settle(pilot)
            assert app.paper_list.cursor == 2  # nothing unread above: stays, says so
            await pilot.press("G")
            await settle(pilot)
            await pilot.press("n")  # the last of 18 May: on to the newest older day, 15 May
            for _ in range(4):
                await settle(pilot)
            assert app.rq.view.anchor == date(2026, 5, 15)
            assert not app.paper_list.current.read
            assert app.paper_list.current.id != first

    run(scenario())


def test_reading_in_the_detail_pane(demo_db_path, tmp_path):
    db = demo_db_path

    async def scenario():
        app = make_app(db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            first = app.paper_list.current.id
            await pilot.press("enter")
            await settle(pilot)
            assert app.focused is app.detail and state(db, first)[0]
            await pilot.press("J")
            await settle(pilot)
            assert app.paper_list.cursor == 1 and app.detail.paper.id != first
            await pilot.press("K")
            await settle(pilot)
            assert app.detail.paper.id == first
            await pilot.press("J")
            await settle(pilot)
            second = app.paper_list.current.id
            for _ in range(30):  # space pages down; at the end: read, and on to the next unread
                await pilot.press("space")
                await settle(pilot, rounds=1)
                if app.paper_list.current.id != second:
                    break
            await settle(pilot)
            assert state(db, second)[0]
            assert app.paper_list.current.id not in (first, second)
            assert not app.paper_list.current.read
            await pilot.press("escape")
            assert app.focused is app.paper_list

    run(scenario())


def test_the_reader_opens_where_it_was_and_says_what_is_new(demo_db_path, tmp_path):
    from conftest import day_08

    from papertui.models import parse_items

    db = demo_db_path

    async def first_run():
        app = make_app(db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("v", "s", "u")  # week view, sorted by rising, unread only
            await settle(pilot)
            await pilot.press("j", "j", "j")
            await settle(pilot)
            where = (app.rq, app.paper_list.current.id)
            await pilot.press("q")
        return where

    async def second_run(expected):
        app = make_app(db, tmp_path)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            for _ in range(3):
                await settle(pilot)
            assert (app.rq, app.paper_list.current.id) == expected
            return [n.message for n in app._notifications]

    import asyncio

    where = asyncio.run(first_run())
    import time

    time.sleep(1.1)  # the session's time is kept to the second
    with Store(db) as store:  # a paper arrives while the reader is closed
        item = day_08()[0]
        item["paper"]["id"] = "2605.99001"
        store.upsert(parse_items([item]).entries, day="2026-05-18")
    notices = asyncio.run(second_run(where))
    assert "1 paper new since last time (search is:new to list them)." in notices


def test_restore_session_off_opens_on_the_latest_day(demo_db_path, tmp_path):
    import asyncio

    async def visit(**config):
        app = make_app(demo_db_path, tmp_path, **config)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("left_square_bracket")
            await settle(pilot)
            anchor = app.rq.view.anchor
            await pilot.press("q")
        return anchor

    assert asyncio.run(visit()) == date(2026, 5, 15)
    assert asyncio.run(visit()) == date(2026, 5, 8)  # restored at 15 May, then one step back
    assert asyncio.run(visit(restore_session=False)) == date(2026, 5, 15)  # from 18 May


def test_the_searched_words_are_marked_in_titles_and_the_paper(demo_db_path, tmp_path):
    from ui_helpers import type_search

    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "memory -survey")
            marked = [
                seg.text
                for y in range(5)
                for seg in app.paper_list.render_line(y)
                if seg.style is not None and seg.style.underline
            ]
            assert marked and all(m.lower().startswith("memory") for m in marked)
            await settle(pilot)
            shown = app.detail.render_paper(app.detail.paper)
            head, _facts, tail = shown.renderables
            found = [
                text.plain[s.start : s.end]
                for text in (head, tail)
                for s in text.spans
                if "underline" in str(s.style)
            ]
            assert found and all(f.lower().startswith("memory") for f in found)
            await pilot.press("escape")  # browsing again: nothing marked
            await settle(pilot)
            assert app.paper_list.highlight is None

    run(scenario())


def test_the_highlight_pattern_follows_the_query_tree():
    from papertui.highlight import match_pattern, spans
    from papertui.query import parse_query

    pattern = match_pattern(parse_query('diffusion "world model" -survey org:meta'))
    text = "Diffusion models as World Models, a survey at Meta"
    found = [text[a:b] for a, b in spans(text, pattern)]
    assert found == ["Diffusion", "World"]  # the quoted phrase's words are exact: not "Models"
    assert match_pattern(parse_query("-survey is:unread")) is None


def test_a_search_that_is_a_paper_link_goes_to_that_paper(demo_db_path, tmp_path):
    from ui_helpers import type_search

    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "arxiv.org/abs/2605.05242v2")
            assert app.paper_list.total == 1
            assert app.paper_list.current.id == "2605.05242"

    run(scenario())


def test_a_paper_link_not_cached_is_fetched_when_online(tmp_path, fake_api, monkeypatch):
    from datetime import date as day

    from conftest import FAST_RETRY
    from ui_helpers import type_search

    import papertui.hf_api as hf

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    monkeypatch.setattr("papertui.days.utc_today", lambda: day(2026, 5, 18))

    async def scenario():
        app = make_app(
            tmp_path / "c.db", tmp_path, offline=False, api_url=fake_api.url, auto_sync_minutes=0
        )
        app.autosync = False
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "https://huggingface.co/papers/2605.05242")
            for _ in range(20):
                await settle(pilot, rounds=1)
                if app.paper_list.total:
                    break
            assert app.paper_list.current.id == "2605.05242"

    run(scenario())
