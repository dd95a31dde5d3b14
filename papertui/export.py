"""Papers out of the cache (JSON, BibTeX, Markdown, CSV) and back in (JSON import).

A JSON export holds each paper's raw API item plus its user state, so importing it into an
empty cache rebuilds exactly the same papers and state through the same code path as a sync.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator

from .errors import ImportFileError
from .links import arxiv_abs_url, arxiv_pdf_url, hf_url, safe_url
from .models import DailyItem, StoredPaper
from .text import clean

FORMATS = ("json", "bibtex", "markdown", "csv")
EXPORT_VERSION = 1
MAX_IMPORT_BYTES = 512 * 1024 * 1024


def user_state_of(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if not state:
        return None
    tags = state.get("tags")
    try:
        tags = json.loads(tags) if isinstance(tags, str) else (tags or [])
    except ValueError:
        tags = []
    return {
        "read": bool(state.get("read")),
        "read_at": state.get("read_at"),
        "bookmarked": bool(state.get("bookmarked")),
        "bookmarked_at": state.get("bookmarked_at"),
        "notes": state.get("notes"),
        "tags": tags,
        "updated_at": state.get("updated_at"),
    }


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
    papers: Sequence[StoredPaper], raws: dict[str, dict], states: dict[str, dict[str, Any]]
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
                "user": user_state_of(states.get(paper.id)),
                "raw": raws.get(paper.id),
            }
        )
    document = {
        "papertui_export": EXPORT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "papers": records,
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


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


def bibtex_entry(paper: StoredPaper) -> str:
    fields = [
        ("title", "{" + latex_escape(paper.title) + "}"),
        ("author", " and ".join(latex_escape(a) for a in paper.authors) or "Anonymous"),
        ("year", _year(paper)),
        ("eprint", paper.id),
        ("archivePrefix", "arXiv"),
        ("url", arxiv_abs_url(paper.id)),
        ("doi", f"10.48550/arXiv.{paper.id}"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{bibtex_key(paper)},\n{body}\n}}\n"


def to_bibtex(papers: Sequence[StoredPaper]) -> str:
    return "\n".join(bibtex_entry(p) for p in papers)


# ---- Markdown and CSV -----------------------------------------------------------------

_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def markdown_escape(text: str) -> str:
    return _MD_SPECIALS.sub(r"\\\1", clean(text))


def markdown_link(paper: StoredPaper) -> str:
    return f"[{markdown_escape(paper.title)}]({hf_url(paper.id)})"


def to_markdown(papers: Sequence[StoredPaper]) -> str:
    lines = ["# Papers", ""]
    for paper in papers:
        authors = ", ".join(paper.authors[:6]) + (" et al." if len(paper.authors) > 6 else "")
        meta = " · ".join(
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
        lines.append(f"- {markdown_link(paper)} — {meta}")
    return "\n".join(lines) + "\n"


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


def to_csv(papers: Sequence[StoredPaper]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for p in papers:
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
    return out.getvalue()


# ---- import ---------------------------------------------------------------------------


class ImportedState(BaseModel):
    read: bool = False
    read_at: str | None = None
    bookmarked: bool = False
    bookmarked_at: str | None = None
    notes: str | None = None
    tags: list[str] = []
    updated_at: str | None = None

    @field_validator("notes")
    @classmethod
    def _notes(cls, value: str | None) -> str | None:
        return value[:100_000] if value else value


class ImportResult(BaseModel):
    records: list[dict[str, Any]] = []
    skipped: int = 0
    errors: list[str] = []


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_import_file(path: Path) -> ImportResult:
    """Parse a papertui JSON export (or a raw list of API daily items) into import records."""
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise ImportFileError(f"{path} is too large to import (over 512 MiB)")
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ImportFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a directory, not an export file") from None
    except PermissionError:
        raise ImportFileError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError):
        raise ImportFileError(
            f"{path} is not valid JSON (truncated or not a papertui export?)"
        ) from None
    if isinstance(data, dict) and "papers" in data:
        entries = data["papers"]
    elif isinstance(data, list):
        entries = data
    else:
        raise ImportFileError(f"{path} is not a papertui export (no 'papers' list)")
    if not isinstance(entries, list):
        raise ImportFileError(f"{path} is not a papertui export ('papers' is not a list)")
    result = ImportResult()
    for index, entry in enumerate(entries):
        try:
            result.records.append(_record(entry))
        except (ValidationError, ValueError, TypeError) as exc:
            result.skipped += 1
            result.errors.append(f"entry {index}: {str(exc).splitlines()[0][:200]}")
    return result


def _record(entry: Any) -> dict[str, Any]:
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
    item = DailyItem.model_validate(raw)
    if day is not None:
        if not isinstance(day, str) or not _DAY.match(day):
            raise ValueError(f"bad day {str(day)[:20]!r}")
        date.fromisoformat(day)  # 2026-99-99 matches the pattern but is no day
    if day is None:
        own = item.daily_day() if "raw" not in entry else None
        day = own.isoformat() if own else None
    state = None
    if user is not None:
        parsed = ImportedState.model_validate(user)
        state = parsed.model_dump()
        state["read"], state["bookmarked"] = int(parsed.read), int(parsed.bookmarked)
        state["tags"] = json.dumps(parsed.tags, ensure_ascii=False)
        state["updated_at"] = parsed.updated_at or datetime.now(UTC).isoformat(timespec="seconds")
    for stamp in (first_seen, updated):
        if stamp is not None and not isinstance(stamp, str):
            raise ValueError("bad timestamp")
    return {
        "item": item,
        "raw": raw,
        "day": day,
        "user": state,
        "first_seen_at": first_seen,
        "updated_at": updated,
    }
