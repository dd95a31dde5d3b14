"""Property tests: mutated real API items and mutated export files never crash papertui.

A mutation that breaks an item gets it skipped and counted; whatever survives validation must
store, search and export cleanly.
"""

from __future__ import annotations

import copy
import json

import pytest
from conftest import day_08
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertui.errors import ImportFileError, PapertuiError
from papertui.export import to_bibtex, to_csv, to_json, to_markdown
from papertui.importing import read_all as read_import_file
from papertui.models import parse_items
from papertui.query import parse_query
from papertui.store import Store

REAL = day_08()[:4]

weird_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.just("\x1b]52;c;aGk=\x07"),
    st.just("[bold]x[/bold]"),
    st.just("javascript:alert(1)"),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


def paths(value, prefix=()):
    """Every (path) to a value inside nested dicts/lists."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:3]):
            yield from paths(inner, (*prefix, index))


ALL_PATHS = [p for item in REAL for p in paths(item) if p]


@st.composite
def mutated_items(draw):
    items = copy.deepcopy(REAL)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        target = draw(st.sampled_from(items))
        path = draw(st.sampled_from(ALL_PATHS))
        node = target
        try:
            for key in path[:-1]:
                node = node[key]
            action = draw(st.sampled_from(["replace", "delete"]))
            if action == "delete" and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(weird_values)
        except (KeyError, IndexError, TypeError):
            continue
    return items


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutated_items())
def test_mutated_items_are_stored_or_skipped_never_crash(tmp_path, items):
    parsed = parse_items(items)
    assert len(parsed.items) + parsed.skipped == len(items)
    with Store(tmp_path / "fuzz.db") as store:
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
        papers = store.papers(parse_query(""))
        for text in (
            to_json(papers, store.raws([p.id for p in papers]), store.user_states()),
            to_bibtex(papers),
            to_markdown(papers),
            to_csv(papers),
        ):
            assert "\x1b" not in text and "\x07" not in text
        for paper in papers:
            assert "\x1b" not in paper.title + paper.abstract + "".join(paper.authors)


def export_document(tmp_path) -> dict:
    with Store(tmp_path / "src.db") as store:
        parsed = parse_items(REAL)
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
        store.set_state([REAL[0]["paper"]["id"]], read=True, bookmarked=True)
        papers = store.papers()
        return json.loads(to_json(papers, store.raws([p.id for p in papers]), store.user_states()))


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_export_files_import_or_fail_clearly(tmp_path, data):
    document = export_document(tmp_path)
    doc_paths = [p for p in paths(document) if p]
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        path = data.draw(st.sampled_from(doc_paths))
        node = document
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = data.draw(weird_values)
        except (KeyError, IndexError, TypeError):
            continue
    text = json.dumps(document)
    if data.draw(st.booleans()):
        text = text[: data.draw(st.integers(min_value=0, max_value=len(text)))]  # truncated file
    source = tmp_path / "export.json"
    source.write_text(text)
    target = tmp_path / "target.db"
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"target.db{suffix}").unlink(missing_ok=True)
    try:
        parsed = read_import_file(source)
    except ImportFileError as exc:
        assert str(exc)
        return
    with Store(target) as store:
        try:
            store.import_records(parsed.records)
        except PapertuiError as exc:
            assert str(exc)
            return
        assert store.count() == len({r.fetched.item.paper.id for r in parsed.records})
