"""The reader's view arithmetic is total: no day an old cache may hold makes it raise."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from conftest import day_08

from papertui.models import parse_items
from papertui.views import VIEW_KINDS, ReaderQuery, View

EDGES = [date.max, date.max - timedelta(days=3), date.min, date.min + timedelta(days=2)]


@pytest.mark.parametrize("anchor", EDGES)
@pytest.mark.parametrize("kind", VIEW_KINDS)
def test_views_at_the_edges_of_the_calendar_never_raise(kind, anchor):
    view = View(kind, anchor)
    start, end = view.bounds()
    assert kind == "all" or start <= anchor <= end
    assert view.label()
    ReaderQuery(view).filter()
    for direction in (-1, 1):
        stepped = view.step(direction)
        stepped.bounds(), stepped.label()
        assert (stepped != view) == view.can_step(direction)


def test_stepping_past_year_9999_or_before_year_1_stays_put():
    last_week, last_month = View("week", date.max), View("month", date.max)
    assert last_week.step(1) == last_week and not last_week.can_step(1)
    assert last_month.step(1) == last_month and not last_month.can_step(1)
    first_week, first_month = View("week", date.min), View("month", date.min)
    assert first_week.step(-1) == first_week and first_month.step(-1) == first_month
    assert last_month.step(-1).anchor == date(9999, 11, 30)
    assert first_week.step(1).anchor == date(1, 1, 8)


def test_the_reader_opens_on_a_real_day_not_an_impossible_one(store):
    items = day_08()[:2]
    parsed = parse_items(items)
    store.upsert(parsed.entries, day="2026-05-08", record_day=True)
    # As an old papertui could have stored it, before dates were range-checked.
    store.conn.execute(
        "UPDATE papers SET day = '9999-12-31' WHERE id = ?", (items[0]["paper"]["id"],)
    )
    assert store.latest_day() == "2026-05-08"
    store.conn.execute("UPDATE papers SET day = '9999-12-31'")
    assert store.latest_day() == "9999-12-31"  # nothing else: still shown, and views cope


def test_sort_cycles_with_relevance_only_when_the_search_has_words():
    browse = ReaderQuery(View("all", None))
    seen = [browse.order]
    for _ in range(4):
        browse = browse.next_sort()
        seen.append(browse.order)
    assert seen == ["upvotes", "rising", "date", "title", "upvotes"]
    assert "sorted by most upvoted" in browse.describe()

    search = replace(browse, text="diffusion video")
    assert search.order == "relevance" and search.describe().endswith("sorted by relevance")
    seen = [search.order]
    for _ in range(5):
        search = search.next_sort()
        seen.append(search.order)
    assert seen == ["relevance", "upvotes", "rising", "date", "title", "relevance"]
    assert replace(search.next_sort(), text="").order == "upvotes"  # browsing keeps its own
    assert replace(search, text="-survey is:unread").order == "upvotes"  # nothing to rank
    assert replace(search, text="(a OR diffusion").order == "relevance"  # still typing
