import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser
from hypothesis import given, settings
from hypothesis import strategies as st

from papertui.export import bibtex_entry, bibtex_key, latex_escape, markdown_link, to_bibtex, to_csv
from papertui.models import StoredPaper


def paper(**kw):
    base = dict(
        id="2605.05242",
        title="Beyond Semantic Similarity",
        authors=["Zhuofeng Li", "Yejin Choi"],
        published_at="2026-05-03T00:00:00+00:00",
        day="2026-05-08",
    )
    base.update(kw)
    return StoredPaper(**base)


def parse(text):
    return bibtexparser.loads(
        text, BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    )


def test_bibtex_fields():
    entry = parse(bibtex_entry(paper())).entries[0]
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["eprint"] == "2605.05242" and entry["archiveprefix"] == "arXiv"
    assert entry["doi"] == "10.48550/arXiv.2605.05242"
    assert entry["url"] == "https://arxiv.org/abs/2605.05242"
    assert entry["year"] == "2026" and entry["author"] == "Zhuofeng Li and Yejin Choi"
    assert entry["ID"] == "li2026beyond_260505242"


def test_keys_are_stable_and_unique():
    a, b = paper(), paper(id="2605.05243")
    assert bibtex_key(a) == bibtex_key(paper()) != bibtex_key(b)
    assert bibtex_key(paper(authors=[], title="The")) == "anon2026_260505242"
    assert bibtex_key(paper(authors=["José Ñúñez"])).startswith("nunez2026")


def test_special_characters_are_escaped():
    title = r"50% of {all} $x_1$ & #tags ~ ^ \alpha @home"
    text = bibtex_entry(paper(title=title, authors=["A_B {C}"]))
    entries = parse(text).entries
    assert len(entries) == 1
    assert latex_escape("{") == r"\textbraceleft{}" and latex_escape("\\") == r"\textbackslash{}"
    assert text.count("{") == text.count("}")


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.lists(st.text(max_size=20), max_size=4))
def test_any_title_gives_balanced_parseable_bibtex(title, authors):
    text = to_bibtex([paper(title=title or "x", authors=authors), paper(id="2605.00001")])
    assert text.count("{") == text.count("}")  # BibTeX counts every brace
    assert len(parse(text).entries) == 2


def test_markdown_escapes_link_text():
    link = markdown_link(paper(title="[click](javascript:x) *bold*"))
    assert link.startswith(r"[\[click\]\(javascript:x\) \*bold\*](https://huggingface.co/papers/")


def test_csv_neutralises_formulas_and_unsafe_urls():
    text = to_csv([paper(title='=HYPERLINK("http://x")', github_repo="javascript:alert(1)")])
    assert "'=HYPERLINK" in text and "javascript" not in text


@pytest.mark.parametrize(
    "bad",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "data:text/html,x",
        "https://ok.example/a b",
        "  ",
    ],
)
def test_safe_url_refuses(bad):
    from papertui.links import safe_url

    assert safe_url(bad) is None
    assert safe_url("https://github.com/x/y") == "https://github.com/x/y"


def _bibtex_names(field: str) -> list[str]:
    """Split an author field the way BibTeX does: at the word `and`, outside braces."""
    names, depth, start, i = [], 0, 0, 0
    while i < len(field):
        char = field[i]
        depth += char == "{"
        depth -= char == "}"
        if depth == 0 and field[i : i + 5].lower() == " and ":
            names.append(field[start:i])
            start = i = i + 5
            continue
        i += 1
    return [*names, field[start:]]


def test_an_author_name_containing_and_stays_one_author():
    from bibtexparser.customization import splitname

    authors = ["Foo and Bar", "Ann AND Bo", "Sandy Anderson", "Li Wei", "Ends and", "and", "And Y"]
    entry = parse(bibtex_entry(paper(authors=authors))).entries[0]
    names = _bibtex_names(entry["author"])
    assert len(names) == 7
    assert names[0] == "{Foo and Bar}" and names[1] == "{Ann AND Bo}"
    assert names[2:4] == ["Sandy Anderson", "Li Wei"]
    assert names[4:] == ["{Ends and}", "{and}", "{And Y}"]
    assert splitname(names[0])["last"] == ["{Foo and Bar}"]
