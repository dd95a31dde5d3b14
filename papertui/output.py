"""Plain-text renderings for the command line. Every string passes `strip_controls` on the way out."""

from __future__ import annotations

import shutil
import textwrap

from .links import arxiv_abs_url, arxiv_pdf_url, hf_url, safe_url
from .models import StoredPaper
from .store import ListRow
from .text import clean, strip_controls


def terminal_safe(text: str) -> str:
    return strip_controls(text, keep_newlines=True)


def row_line(row: ListRow | StoredPaper, width: int | None = None) -> str:
    width = width or shutil.get_terminal_size((100, 24)).columns
    marks = ("•" if not row.read else " ") + ("★" if row.bookmarked else " ")
    head = f"{row.upvotes:>4}  {row.day or '----------'}  {row.id:<12} {marks} "
    title = clean(row.title)
    room = max(width - len(head), 10)
    if len(title) > room:
        title = title[: room - 1] + "…"
    return head + title


def paper_text(paper: StoredPaper, width: int | None = None) -> str:
    width = min(width or shutil.get_terminal_size((100, 24)).columns, 100)
    wrap = textwrap.TextWrapper(width=width)
    lines = [*wrap.wrap(clean(paper.title)), ""]
    if paper.authors:
        lines += textwrap.wrap(
            "Authors: " + ", ".join(paper.authors), width, subsequent_indent="  "
        )
    if paper.organization:
        lines.append(f"Organization: {clean(paper.organization)}")
    lines.append(
        f"arXiv: {paper.id}   Published: {(paper.published_at or '?')[:10]}   "
        f"Daily Papers: {paper.day or '?'}"
    )
    lines.append(
        f"Upvotes: {paper.upvotes}   Comments: {paper.num_comments}   "
        f"Read: {'yes' if paper.read else 'no'}   Bookmarked: {'yes' if paper.bookmarked else 'no'}"
    )
    lines.append(f"Hugging Face: {hf_url(paper.id)}")
    lines.append(f"arXiv: {arxiv_abs_url(paper.id)}   PDF: {arxiv_pdf_url(paper.id)}")
    if repo := safe_url(paper.github_repo):
        stars = f" ({paper.github_stars} stars)" if paper.github_stars is not None else ""
        lines.append(f"GitHub: {repo}{stars}")
    if page := safe_url(paper.project_page):
        lines.append(f"Project page: {page}")
    if paper.ai_summary:
        lines += ["", *wrap.wrap("AI summary: " + clean(paper.ai_summary))]
    if paper.ai_keywords:
        lines += wrap.wrap("Keywords: " + ", ".join(paper.ai_keywords))
    if paper.abstract:
        lines += ["", *wrap.wrap(clean(paper.abstract))]
    return terminal_safe("\n".join(lines))
