import copy

import pytest
from conftest import FIXTURES, load_fixture
from pydantic import ValidationError

from papertui.models import DailyItem, Paper, item_from_paper, paper_columns, parse_items

LISTS = [
    "daily_papers_date-2026-05-08.json",
    "daily_papers_latest-2026-05-18.json",
    "daily_papers_date-2024-10-25_old-schema.json",
    "papers_search_q-kazakh.json",
]


@pytest.mark.parametrize("name", LISTS)
def test_every_item_of_every_real_list_parses(name):
    data = load_fixture(name)
    result = parse_items(data)
    assert result.skipped == 0, result.errors
    assert len(result.items) == len(data)
    for item in result.items:
        columns = paper_columns(item)
        assert columns["title"] and "\n" not in columns["title"]
        assert "\n" not in columns["abstract"]


@pytest.mark.parametrize("name", ["paper_2605.13301.json", "paper_2605.15320.json"])
def test_single_paper_responses_parse(name):
    fetched = item_from_paper(load_fixture(name))
    item, raw = fetched.item, fetched.raw
    assert item.paper.id == name[6:-5]
    assert raw == {"paper": load_fixture(name)}


def test_all_fixture_files_are_covered():
    names = {p.name for p in FIXTURES.glob("*.json")} - {"error_404_generic.json"}
    assert names == set(LISTS) | {"paper_2605.13301.json", "paper_2605.15320.json"}


def test_day_of_an_item_new_and_old_schema():
    new = parse_items(load_fixture("daily_papers_date-2026-05-08.json")).items
    assert {i.daily_day().isoformat() for i in new} == {"2026-05-08"}
    old = parse_items(load_fixture("daily_papers_date-2024-10-25_old-schema.json")).items
    assert {i.daily_day().isoformat() for i in old} == {"2024-10-25"}


def test_old_schema_titles_lose_arxiv_line_breaks():
    old = parse_items(load_fixture("daily_papers_date-2024-10-25_old-schema.json")).items
    wrapped = [i for i in old if "\n" in (i.paper.title or "")]
    assert wrapped, "fixture should contain arXiv-wrapped titles"
    for item in wrapped:
        assert "  " not in paper_columns(item)["title"]


def test_unknown_fields_are_kept_and_optional_fields_may_be_null():
    raw = {
        "paper": {
            "id": "2605.00001",
            "brandNewField": {"x": 1},
            "title": None,
            "authors": None,
            "upvotes": None,
            "ai_keywords": None,
            "organization": None,
        },
        "numComments": None,
    }
    item = DailyItem.model_validate(raw)
    assert item.paper.model_extra["brandNewField"] == {"x": 1}
    columns = paper_columns(item)
    assert columns["title"] == "2605.00001"
    assert columns["upvotes"] == 0 and columns["authors"] == [] and columns["ai_keywords"] == []


def test_a_bad_item_is_skipped_and_counted_not_fatal():
    data = copy.deepcopy(load_fixture("daily_papers_date-2026-05-08.json"))
    data[3]["paper"]["upvotes"] = "lots"
    data[5]["paper"]["authors"] = "nobody"
    del data[7]["paper"]["id"]
    data.insert(0, "not an object")
    data.insert(1, None)
    result = parse_items(data)
    assert result.skipped == 5
    assert len(result.items) == 34
    assert all(isinstance(e, str) and e for e in result.errors)


@pytest.mark.parametrize(
    "bad", ["", "../../etc/passwd", "2605.05242 ", "x" * 100, "2605.1", "javascript:alert(1)"]
)
def test_ids_must_be_arxiv_ids(bad):
    if bad == "2605.05242 ":
        assert Paper(id=bad).id == "2605.05242"
        return
    with pytest.raises(ValidationError):
        Paper(id=bad)


def test_hostile_text_is_cleaned_in_columns():
    raw = {
        "title": "[bold red]Hi[/] \x1b[31mred\x1b[0m \x1b]52;c;SGVsbG8=\x07 \u202eevil\u202c\x07",
        "paper": {
            "id": "2605.00002",
            "authors": [{"name": "Eve\x1b[2J"}],
            "summary": "a\r\nb\x00c",
        },
    }
    columns = paper_columns(DailyItem.model_validate(raw))
    assert columns["title"] == "[bold red]Hi[/] red evil"
    assert columns["authors"] == ["Eve"]
    assert columns["abstract"] == "a b c"


def test_absurd_counts_are_clamped_not_fatal(tmp_path):
    from papertui.store import Store

    items = load_fixture("daily_papers_date-2026-05-08.json")[:3]
    items[0]["paper"]["upvotes"] = 2**70
    items[1]["paper"]["githubStars"] = -(2**70)
    items[2]["numComments"] = -5
    parsed = parse_items(items)
    assert parsed.skipped == 0
    with Store(tmp_path / "c.db") as store:
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
        assert store.paper(items[0]["paper"]["id"]).upvotes == 2**53
        assert store.paper(items[1]["paper"]["id"]).github_stars == 0
        assert store.paper(items[2]["paper"]["id"]).num_comments == 0


@pytest.mark.parametrize(
    "where, stamp",
    [
        ("submittedOnDailyAt", "9999-12-31T23:00:00-05:00"),
        ("submittedOnDailyAt", "9999-12-31T00:00:00Z"),
        ("publishedAt", "0001-01-01T00:30:00+01:00"),
        ("publishedAt", "1990-12-31T23:59:59Z"),
        ("item_publishedAt", "9999-12-31T23:59:59-12:00"),
        ("item_publishedAt", f"{__import__('datetime').date.today().year + 2}-01-01"),
    ],
)
def test_items_with_extreme_dates_are_skipped_with_a_reason(where, stamp):
    items = load_fixture("daily_papers_date-2026-05-08.json")[:2]
    if where == "item_publishedAt":
        items[0]["publishedAt"] = stamp
    else:
        items[0]["paper"][where] = stamp
    parsed = parse_items(items)
    assert parsed.skipped == 1 and len(parsed.items) == 1
    assert where.replace("item_", "") in parsed.errors[0] and "out of range" in parsed.errors[0]
    if where != "item_publishedAt":  # a flat /api/papers/{id} answer is refused the same way
        with pytest.raises(ValidationError, match="out of range"):
            item_from_paper(items[0]["paper"])


def test_dates_inside_the_range_are_kept():
    items = load_fixture("daily_papers_date-2026-05-08.json")[:1]
    items[0]["paper"]["publishedAt"] = "1991-01-01T00:00:00Z"
    items[0]["paper"]["submittedOnDailyAt"] = "2026-05-08T23:30:00-05:00"
    item = parse_items(items).items[0]
    assert item.submitted_day().isoformat() == "2026-05-09"


def test_invisible_format_characters_are_stripped_but_joiners_kept():
    from papertui.text import clean

    title = "Zero\u200bwidth\u2060joined\ufeff soft\u00adhyphen \u2061x\u180e"
    assert clean(title) == "Zerowidthjoined softhyphen x"
    emoji = "family \U0001f468\u200d\U0001f469\u200d\U0001f467 and \u0646\u200c\u0645"
    assert clean(emoji) == emoji
    # blank-looking fillers and tag characters outside a flag hide text; a flag keeps its tags
    hidden = "a\u3164b\u115fc\u2800d\ufff0e\U000e0041\U000e0042f"
    assert clean(hidden) == "abcdef"
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert clean(f"flag {scotland} ok") == f"flag {scotland} ok"
    columns = paper_columns(
        DailyItem.model_validate({"title": title, "paper": {"id": "2605.00003"}})
    )
    assert columns["title"] == "Zerowidthjoined softhyphen x"


def test_safe_json_escapes_every_control_and_format_character_and_round_trips():
    import json
    import sys
    import unicodedata

    from papertui.text import safe_json

    unsafe = [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if 0x7F <= c <= 0x9F
        or unicodedata.category(chr(c)) in ("Cf", "Cs")
        or c in (0x2028, 0x2029)
    ]
    # "|" between: a high then a low surrogate would read back as one astral character.
    value = {"text": "|".join(unsafe), "readable": "Ünïcödé 中文 😀", "list": unsafe[:5]}
    text = safe_json(value)
    assert not [c for c in text if c in set(unsafe)]
    assert "Ünïcödé 中文 😀" in text
    assert json.loads(text) == value
