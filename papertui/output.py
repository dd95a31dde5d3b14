"""Plain-text renderings for the command line. Every string passes `strip_controls` on the way out."""

from __future__ import annotations

import shutil
import textwrap

from .facts import paper_facts
from .latex import shown, shown_paragraphs
from .models import ListRow, StoredPaper
from .text import strip_controls


def terminal_safe(text: str) -> str:
    return strip_controls(text, keep_newlines=True)


def row_line(row: ListRow | StoredPaper, width: int | None = None) -> str:
    width = width or shutil.get_terminal_size((100, 24)).columns
    marks = ("•" if not row.read else " ") + ("★" if row.bookmarked else " ")
    head = f"{row.upvotes:>4}  {row.day or '----------'}  {row.id:<12} {marks} "
    title = shown(row.title)
    room = max(width - len(head), 10)
    if len(title) > room:
        title = title[: room - 1] + "…"
    return head + title


def paper_text(paper: StoredPaper, width: int | None = None) -> str:
    width = min(width or shutil.get_terminal_size((100, 24)).columns, 100)
    wrap = textwrap.TextWrapper(width=width)
    lines = [*wrap.wrap(shown(paper.title)), ""]
    lines.append(
        f"Read: {'yes' if paper.read else 'no'}   Bookmarked: {'yes' if paper.bookmarked else 'no'}"
    )
    facts = paper_facts(paper)
    width_label = max(len(f.label) for f in facts) + 2
    for fact in facts:
        lines += textwrap.wrap(
            f"{fact.label + ':':<{width_label}}{fact.value}",
            width,
            subsequent_indent=" " * width_label,
            break_long_words=not fact.link,
        )
    if paper.notes:  # your own text, as you wrote it (lines kept; controls removed below)
        lines += ["", "Your note:", *paper.notes.strip("\n").split("\n")]
    if paper.ai_summary:
        lines += ["", *wrap.wrap("AI summary: " + shown(paper.ai_summary))]
    if paper.ai_keywords:
        lines += wrap.wrap("Keywords: " + ", ".join(paper.ai_keywords))
    for paragraph in shown_paragraphs(paper.abstract):  # a blank line between paragraphs
        lines += ["", *wrap.wrap(paragraph)]
    return terminal_safe("\n".join(lines))


def row_header() -> str:
    """The labels over `row_line`s on a terminal, with what the two marks mean."""
    return f"{'up':>4}  {'day':<10}  {'id':<12} •★ title   (• unread, ★ bookmarked)"
