"""Papers out of the cache (JSON, BibTeX, Markdown, CSV) and back in (JSON import).

A JSON export holds each paper's raw API item plus its user state, so importing it into an
empty cache rebuilds exactly the same papers and state through the same code path as a sync.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from pydantic import ValidationError

from .errors import ImportFileError, NotARegularFile
from .links import arxiv_abs_url, arxiv_pdf_url, hf_url, safe_url
from .models import (
    DailyItem,
    Fetched,
    FullText,
    ImportRecord,
    StoredPaper,
    UserState,
    check_day,
    check_item,
    iso_timestamp,
    short_error,
)
from .text import clean, safe_json

FORMATS = ("json", "bibtex", "markdown", "csv")
EXPORT_VERSION = 1
MAX_IMPORT_BYTES = 512 * 1024 * 1024
MAX_ERRORS_KEPT = 100  # reasons kept for skipped entries; the rest are only counted


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


def to_json(
    papers: Sequence[StoredPaper], raws: dict[str, dict], states: dict[str, UserState]
) -> str:
    records = []
    for paper in papers:
        records.append(
            {
                "id": paper.id,
                "title": paper.title,
                "day": paper.day,
                "url": hf_url(paper.id),
                "first_seen_at": paper.first_seen_at,
                "updated_at": paper.fetched_at,
                "user": states[paper.id].model_dump() if paper.id in states else None,
                "raw": raws.get(paper.id),
            }
        )
    document = {
        "papertui_export": EXPORT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "papers": records,
    }
    return safe_json(document) + "\n"


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


def bibtex_entry(paper: StoredPaper) -> str:
    fields = [
        ("title", "{" + latex_escape(paper.title) + "}"),
        ("author", " and ".join(bibtex_name(a) for a in paper.authors if a.strip()) or "Anonymous"),
        ("year", _year(paper)),
        ("eprint", paper.id),
        ("archivePrefix", "arXiv"),
        ("url", arxiv_abs_url(paper.id)),
        ("doi", f"10.48550/arXiv.{paper.id}"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{bibtex_key(paper)},\n{body}\n}}\n"


def to_bibtex(papers: Iterable[StoredPaper]) -> str:
    return "".join(iter_bibtex(papers))


def iter_bibtex(papers: Iterable[StoredPaper]) -> Iterator[str]:
    """The entries one at a time, a blank line between them (a large export is written as it
    is made, never held whole)."""
    for index, paper in enumerate(papers):
        yield bibtex_entry(paper) if index == 0 else "\n" + bibtex_entry(paper)


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
    parts = [f"# {markdown_escape(heading)}\n" if heading else ""]
    for paper in papers:
        parts.append(f"\n## {markdown_link(paper)}\n\n{_markdown_meta(paper)}\n\n")
        text = texts.get(paper.id)
        if text is None:
            parts.append("*No full text cached.*\n")
            continue
        if text.fallback:
            parts.append(
                "> Only the paper page's text was available (arXiv has no HTML version of this "
                f"paper): [PDF]({arxiv_pdf_url(paper.id)})\n\n"
            )
        parts.append(embedded_markdown(text.markdown) + "\n\n---\n")
    return "".join(parts)


def iter_markdown(papers: Iterable[StoredPaper], heading: str | None = "Papers") -> Iterator[str]:
    """`to_markdown` (the list, without full texts) a line at a time."""
    if heading:
        yield f"# {markdown_escape(heading)}\n\n"
    for paper in papers:
        yield f"- {markdown_link(paper)} — {_markdown_meta(paper)}\n"


_MARKDOWN = MarkdownIt("commonmark").enable("table")
_OPEN_HTML = {"<!--": "-->", "<pre": "</pre>", "<script": "</script>", "<style": "</style>"}


def embedded_markdown(text: str, shift: int = 2) -> str:
    """A Markdown document made fit to sit inside another: its headings (ATX and setext)
    `shift` levels down (at most 6), and a code block or HTML block left open at its end
    closed, so nothing after it in the export is swallowed."""
    lines = text.split("\n")
    tokens = _MARKDOWN.parse(text)
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


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MIB = 1024 * 1024
_CHUNK = 1024 * 1024


def read_import_file(path: Path, max_bytes: int | None = None) -> ImportResult:
    """Parse a papertui JSON export (or a raw list of API daily items) into import records.

    `path` may be `-` for standard input. At most `max_bytes` (default MAX_IMPORT_BYTES) are
    read, whatever the file system says the size is.
    """
    data = _parse_json(path, MAX_IMPORT_BYTES if max_bytes is None else max_bytes)
    if isinstance(data, dict) and "papers" in data:
        entries = data["papers"]
    elif isinstance(data, list):
        entries = data
    else:
        raise ImportFileError(
            f"{path} is not a papertui export (no 'papers' list) nor a saved daily papers list "
            "(a JSON list of items); a single paper's JSON can't be imported"
        )
    if not isinstance(entries, list):
        raise ImportFileError(f"{path} is not a papertui export ('papers' is not a list)")
    result = ImportResult()
    for index, entry in enumerate(entries):
        try:
            result.records.append(_record(entry))
        except (ValidationError, ValueError, TypeError) as exc:
            result.skipped += 1
            if len(result.errors) < MAX_ERRORS_KEPT:  # a file of millions of bad entries
                result.errors.append(f"entry {index}: {short_error(exc)}")
    return result


def _parse_json(path: Path, max_bytes: int) -> Any:
    try:
        data = _read_capped(path, max_bytes)
    except FileNotFoundError:
        raise ImportFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a directory, not an export file") from None
    except PermissionError:
        raise ImportFileError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise ImportFileError(
            f"{path} is not valid JSON (truncated, too deeply nested, or not a papertui export?)"
        ) from None


def _read_capped(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing more than `max_bytes`: `stat()` says 0 for /dev/zero, pipes
    and /proc files, so the cap is enforced on what is read, not on what the size claims.

    Standard input (`-`, or a path that is our own stdin such as /dev/stdin) is read capped.
    Other special files are refused before they are opened: a FIFO without a writer would block
    `open()` forever, and a device may never end.
    """
    if str(path) == "-":
        return _read_stream(sys.stdin.buffer, path, max_bytes)
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(info.st_mode) and not _is_our_stdin(info):
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket or other special file"
        )
        raise NotARegularFile(
            f"{path} is {kind}, not a regular file; to import from a pipe, read it "
            "through standard input",
            path,
        )
    with open(path, "rb") as handle:
        return _read_stream(handle, path, max_bytes)


def _is_our_stdin(info: os.stat_result) -> bool:
    try:
        own = os.fstat(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):  # no stdin, or a test's stand-in without a fd
        return False
    return (own.st_dev, own.st_ino) == (info.st_dev, info.st_ino)


def _read_stream(handle, path: Path, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = handle.read(min(_CHUNK, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise ImportFileError(f"{path} is too large to import (over {_size(max_bytes)})")


def _size(count: int) -> str:
    return f"{count // _MIB} MiB" if count >= _MIB and count % _MIB == 0 else f"{count:,} bytes"


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
    for stamp in (first_seen, updated):
        if stamp is not None and not isinstance(stamp, str):
            raise ValueError("bad timestamp")
    return ImportRecord(
        Fetched(item, raw), day, state, iso_timestamp(first_seen), iso_timestamp(updated)
    )
