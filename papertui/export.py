"""Papers out of the cache (JSON, JSON Lines, BibTeX, Markdown, CSV) and back in (one entry of an
import file at a time: `_record`; the file itself is read by `importing`).

A JSON export holds each paper's raw API item plus its user state, so importing it into an
empty cache rebuilds exactly the same papers and state through the same code path as a sync.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from .links import arxiv_abs_url, arxiv_pdf_url, hf_url, safe_url
from .models import (
    DailyItem,
    Fetched,
    FullText,
    ImportRecord,
    SavedSearch,
    StoredPaper,
    UserState,
    check_day,
    check_item,
    iso_timestamp,
)
from .text import clean, safe_json, strip_controls

FORMATS = ("json", "jsonl", "bibtex", "markdown", "csv")
EXPORT_VERSION = 1


def summary_dict(paper: StoredPaper) -> dict[str, Any]:
    """The short JSON shape of `search --json`."""
    return {
        "id": paper.id,
        "title": paper.title,
        "day": paper.day,
        "upvotes": paper.upvotes,
        "num_comments": paper.num_comments,
        "authors": paper.authors,
        "organization": paper.organization,
        "read": paper.read,
        "bookmarked": paper.bookmarked,
        "tags": paper.tags,
        "has_note": paper.notes is not None,
        "url": hf_url(paper.id),
        "arxiv_url": arxiv_abs_url(paper.id),
    }


def full_dict(paper: StoredPaper) -> dict[str, Any]:
    """Every stored field of one paper, for `show --json`."""
    data = paper.model_dump()
    data.update(
        url=hf_url(paper.id),
        arxiv_url=arxiv_abs_url(paper.id),
        pdf_url=arxiv_pdf_url(paper.id),
        github_repo=safe_url(paper.github_repo),
        project_page=safe_url(paper.project_page),
    )
    return data


def export_record(paper: StoredPaper, raw: dict | None, state: UserState | None) -> dict[str, Any]:
    """One paper of the re-importable export: its raw API item and your state of it."""
    return {
        "id": paper.id,
        "title": paper.title,
        "day": paper.day,
        "url": hf_url(paper.id),
        "first_seen_at": paper.first_seen_at,
        "updated_at": paper.fetched_at,
        "user": state.model_dump() if state is not None else None,
        "raw": raw,
    }


def export_header(extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """What an export holds besides its papers (`extras`: what else it carries, written before
    the papers, where a streaming import finds it)."""
    return {
        "papertui_export": EXPORT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **(extras or {}),
    }


def to_json(
    papers: Sequence[StoredPaper],
    raws: dict[str, dict],
    states: dict[str, UserState],
    saved: Sequence[SavedSearch] | None = None,
) -> str:
    """The re-importable export: each paper's raw item and your state of it (notes as written,
    tags, when each field changed), and with `saved` your saved searches (before the papers)."""
    records = (export_record(p, raws.get(p.id), states.get(p.id)) for p in papers)
    return "".join(iter_json(records, saved_extras(saved)))


def saved_extras(saved: Sequence[SavedSearch] | None) -> dict[str, Any] | None:
    """The export's keys for saved searches (None: the export does not carry them)."""
    if saved is None:
        return None
    return {"saved_searches": [s.model_dump() for s in saved]}


def iter_json(
    records: Iterable[dict[str, Any]], extras: dict[str, Any] | None = None
) -> Iterator[str]:
    """The JSON export a record at a time, the same text as `safe_json` of the whole document:
    the header's keys first and "papers" last."""
    head = safe_json(export_header(extras))
    yield head[:-2] + ',\n "papers": '  # the header object, left open after its last key
    yield from _indented(iter_json_array(records), " ")
    yield "\n}\n"


def iter_jsonl(
    records: Iterable[dict[str, Any]], extras: dict[str, Any] | None = None
) -> Iterator[str]:
    """The JSON Lines export: the header on the first line, then a record a line (U+2028/9 are
    escaped with every other line-breaking or invisible character, see `safe_json`)."""
    yield safe_json(export_header(extras), indent=None) + "\n"
    for record in records:
        yield safe_json(record, indent=None) + "\n"


def iter_json_array(values: Iterable[Any]) -> Iterator[str]:
    """`safe_json(list(values))` a value at a time (for `search --json` and the export)."""
    first = True
    for value in values:
        yield ("[\n " if first else ",\n ") + safe_json(value).replace("\n", "\n ")
        first = False
    yield "[]" if first else "\n]"


def _indented(pieces: Iterable[str], indent: str) -> Iterator[str]:
    """Pieces of JSON text nested one level deeper: a space after each line break."""
    for piece in pieces:
        yield piece.replace("\n", "\n" + indent)


# ---- BibTeX ---------------------------------------------------------------------------

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    # BibTeX counts every brace, escaped or not, so literal braces become brace-free commands.
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "@": "{@}",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    """Escape every character BibTeX or LaTeX would read as syntax (one pass, no double escaping)."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group(0)], clean(text))


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


_STOP = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "toward"}


def bibtex_key(paper: StoredPaper) -> str:
    """`<lastname><year><firstword>_<arxiv id>`: readable, and unique and stable by the id."""
    last = (
        _ascii_word(paper.authors[0].split()[-1])
        if paper.authors and paper.authors[0].split()
        else ""
    )
    words = [_ascii_word(w) for w in paper.title.split()]
    first = next((w for w in words if w and w not in _STOP), "")
    ident = re.sub(r"[^A-Za-z0-9]", "", paper.id)
    return f"{last or 'anon'}{_year(paper) or ''}{first}_{ident}"


def _year(paper: StoredPaper) -> str | None:
    for value in (paper.published_at, paper.day):
        if value and re.match(r"\d{4}", value):
            return value[:4]
    return None


# BibTeX splits a name list at the word "and" (any case) between blanks, outside braces.
_AND_WORD = re.compile(r"(?:^|\s)and(?:\s|$)", re.IGNORECASE)


def bibtex_name(name: str) -> str:
    """One author, escaped; braced when BibTeX would otherwise split it into two authors."""
    escaped = latex_escape(name)
    return "{" + escaped + "}" if _AND_WORD.search(escaped) else escaped


def bibtex_entry(paper: StoredPaper, *, personal: bool = False) -> str:
    """One `@misc` entry; `personal` adds your tags as `keywords` and your note as `note`
    (the export does; the copy menu's entry, meant for citing, does not)."""
    fields = [
        ("title", "{" + latex_escape(paper.title) + "}"),
        ("author", " and ".join(bibtex_name(a) for a in paper.authors if a.strip()) or "Anonymous"),
        ("year", _year(paper)),
        ("eprint", paper.id),
        ("archivePrefix", "arXiv"),
        ("url", arxiv_abs_url(paper.id)),
        ("doi", f"10.48550/arXiv.{paper.id}"),
    ]
    if personal:
        fields += [
            ("keywords", latex_escape(", ".join(paper.tags)) if paper.tags else None),
            ("note", latex_escape(paper.notes) if paper.notes else None),
        ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{bibtex_key(paper)},\n{body}\n}}\n"


def to_bibtex(papers: Iterable[StoredPaper]) -> str:
    return "".join(iter_bibtex(papers))


def iter_bibtex(papers: Iterable[StoredPaper]) -> Iterator[str]:
    """The entries one at a time, a blank line between them (a large export is written as it
    is made, never held whole); each with your tags and note (`personal`)."""
    for index, paper in enumerate(papers):
        entry = bibtex_entry(paper, personal=True)
        yield entry if index == 0 else "\n" + entry


# ---- Markdown and CSV -----------------------------------------------------------------

_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def markdown_escape(text: str) -> str:
    return _MD_SPECIALS.sub(r"\\\1", clean(text))


def markdown_link(paper: StoredPaper) -> str:
    return f"[{markdown_escape(paper.title)}]({hf_url(paper.id)})"


def _markdown_meta(paper: StoredPaper) -> str:
    authors = ", ".join(paper.authors[:6]) + (" et al." if len(paper.authors) > 6 else "")
    return " · ".join(
        x
        for x in (
            markdown_escape(authors) if authors else None,
            paper.day,
            f"{paper.upvotes} upvotes",
            f"[arXiv]({arxiv_abs_url(paper.id)})",
            f"[PDF]({arxiv_pdf_url(paper.id)})",
        )
        if x
    )


def to_markdown(
    papers: Iterable[StoredPaper],
    heading: str | None = "Papers",
    *,
    texts: dict[str, FullText] | None = None,
) -> str:
    """A list of papers under a `# heading` (none for `heading=None`: one paper pasted into a
    note wants its line only); with `texts`, a section per paper with its cached full text
    under it (its headings moved two levels down, below the paper's own heading)."""
    if texts is None:
        return "".join(iter_markdown(papers, heading))
    return "".join(iter_markdown_with_texts(((p, texts.get(p.id)) for p in papers), heading))


def iter_markdown_with_texts(
    papers: Iterable[tuple[StoredPaper, FullText | None]], heading: str | None = "Papers"
) -> Iterator[str]:
    """`to_markdown` with full texts, a paper (and its text, or None) at a time."""
    if heading:
        yield f"# {markdown_escape(heading)}\n"
    for paper, text in papers:
        yield f"\n## {markdown_link(paper)}\n\n{_markdown_meta(paper)}\n\n"
        library = _markdown_library(paper, indent="")
        if library:
            yield "\n".join(library).strip("\n") + "\n\n"
        if text is None:
            yield "*No full text cached.*\n"
            continue
        if text.fallback:
            yield (
                "> Only the paper page's text was available (arXiv has no HTML version of this "
                f"paper): [PDF]({arxiv_pdf_url(paper.id)})\n\n"
            )
        yield embedded_markdown(text.markdown) + "\n\n---\n"


def iter_markdown(papers: Iterable[StoredPaper], heading: str | None = "Papers") -> Iterator[str]:
    """`to_markdown` (the list, without full texts) a line at a time."""
    if heading:
        yield f"# {markdown_escape(heading)}\n\n"
    for paper in papers:
        yield f"- {markdown_link(paper)} — {_markdown_meta(paper)}\n"
        library = _markdown_library(paper)
        if library:
            yield "\n".join(library) + "\n"


_OPEN_HTML = {"<!--": "-->", "<pre": "</pre>", "<script": "</script>", "<style": "</style>"}


@cache
def _markdown():  # only exports of notes need a parser: commands that export none skip its import
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def embedded_markdown(text: str, shift: int = 2) -> str:
    """A Markdown document made fit to sit inside another: its headings (ATX and setext)
    `shift` levels down (at most 6), and a code block or HTML block left open at its end
    closed, so nothing after it in the export is swallowed."""
    lines = text.split("\n")
    tokens = _markdown().parse(text)
    for token in reversed(tokens):
        if token.type != "heading_open" or not token.map:
            continue
        start, end = token.map
        level = min(6, int(token.tag[1]) + shift)
        if token.markup.startswith("#"):
            stripped = lines[start].lstrip(" ")
            indent = len(lines[start]) - len(stripped)
            lines[start] = " " * indent + "#" * level + stripped[len(token.markup) :]
        else:  # setext: the text lines, then the underline
            title = " ".join(line.strip() for line in lines[start : end - 1])
            lines[start:end] = ["#" * level + " " + title]
    closing = _unclosed(tokens, text)
    body = "\n".join(lines).rstrip("\n")
    return body + ("\n" + closing if closing else "")


def _unclosed(tokens: list, text: str) -> str | None:
    """The line that closes a fenced code block or HTML block running to the end, if one does."""
    last = next((t for t in reversed(tokens) if t.map and t.level == 0), None)
    if last is None:
        return None
    if last.type == "fence":
        closing = [ln.strip() for ln in text.rstrip("\n").split("\n")[last.map[0] + 1 :]]
        fence = last.markup
        if not closing or not (closing[-1].startswith(fence) and set(closing[-1]) == {fence[0]}):
            return fence
        return None
    if last.type == "html_block":
        content = last.content.lstrip()
        for opener, closer in _OPEN_HTML.items():
            if content.lower().startswith(opener) and closer not in content.lower():
                return closer
    return None


def _markdown_library(paper: StoredPaper, indent: str = "  ") -> list[str]:
    """Your tags and note under a paper: the note as a quote (inside its list item with the
    list's `indent`), your own Markdown kept (controls and escapes removed)."""
    lines = []
    if paper.tags:
        lines.append(f"{indent}Tags: " + " ".join(f"`{tag}`" for tag in paper.tags))
    if paper.notes:
        note = strip_controls(paper.notes, keep_newlines=True).strip("\n")
        lines.append("")
        lines += [f"{indent}> {line}".rstrip() for line in note.split("\n")]
        lines.append("")
    return lines


CSV_COLUMNS = [
    "id",
    "title",
    "authors",
    "organization",
    "day",
    "published_at",
    "upvotes",
    "num_comments",
    "read",
    "bookmarked",
    "url",
    "arxiv_url",
    "pdf_url",
    "github_repo",
    "project_page",
    "tags",
    "note",
]


def _csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas: untrusted text must not start with = + - @."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(papers: Iterable[StoredPaper]) -> str:
    return "".join(iter_csv(papers))


def iter_csv(papers: Iterable[StoredPaper]) -> Iterator[str]:
    """`to_csv` a row at a time (the header first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for p in papers:
        yield _taken(out)
        row = [
            p.id,
            p.title,
            "; ".join(p.authors),
            p.organization or "",
            p.day or "",
            p.published_at or "",
            p.upvotes,
            p.num_comments,
            int(p.read),
            int(p.bookmarked),
            hf_url(p.id),
            arxiv_abs_url(p.id),
            arxiv_pdf_url(p.id),
            safe_url(p.github_repo) or "",
            safe_url(p.project_page) or "",
            "; ".join(p.tags),
            strip_controls(p.notes, keep_newlines=True) if p.notes else "",
        ]
        writer.writerow([_csv_cell(v) for v in row])
    yield _taken(out)


def _taken(out: io.StringIO) -> str:
    """What was written to `out` so far, which is then emptied."""
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


# ---- import ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    records: list[ImportRecord] = field(default_factory=list)
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    saved: list[SavedSearch] = field(default_factory=list)


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PER_FIELD = {"read_updated_at", "bookmarked_updated_at", "notes_updated_at", "tags_updated_at"}


def _record(entry: Any) -> ImportRecord:
    if not isinstance(entry, dict):
        raise ValueError("not an object")
    if "raw" in entry:  # a papertui export record
        raw = entry["raw"]
        day = entry.get("day")
        user = entry.get("user")
        first_seen, updated = entry.get("first_seen_at"), entry.get("updated_at")
    else:  # a daily item straight from the API
        raw, day, user, first_seen, updated = entry, None, None, None, None
    if not isinstance(raw, dict):
        raise ValueError("no raw paper data")
    item = DailyItem.model_validate(check_item(raw))
    if day is not None:
        if not isinstance(day, str) or not _DAY.match(day):
            raise ValueError(f"bad day {str(day)[:20]!r}")
        check_day(date.fromisoformat(day))  # 2026-99-99 matches the pattern but is no day
    if day is None:
        own = item.daily_day() if "raw" not in entry else None
        day = own.isoformat() if own else None
    state = None
    if user is not None:
        state = UserState.model_validate(user)
        if state.updated_at is None:
            state = state.model_copy(
                update={"updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
            )
        if isinstance(user, dict) and not _PER_FIELD.intersection(user):
            state = state.stamped(state.updated_at or "")  # an older export: one time for all
    for stamp in (first_seen, updated):
        if stamp is not None and not isinstance(stamp, str):
            raise ValueError("bad timestamp")
    return ImportRecord(
        Fetched(item, raw), day, state, iso_timestamp(first_seen), iso_timestamp(updated)
    )
