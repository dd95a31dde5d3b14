"""A stand-in document when there is no full text to read: the paper's title, authors and
abstract from the cache, what happened, and its links (PDF, arXiv, Hugging Face).

Built from blocks directly, never by parsing: the abstract is shown as text (its LaTeX as
Unicode, as in the detail pane), not read as Markdown.
"""

from __future__ import annotations

from ..latex import shown, shown_paragraphs
from ..links import safe_url
from .model import Block, Document, Heading, Kind, Link, Span


def abstract_document(
    title: str,
    abstract: str | None,
    notice: str,
    links: list[tuple[str, str]],
    authors: list[str] | None = None,
) -> Document:
    document = Document()
    blocks = document.blocks
    blocks.append(Block(Kind.TITLE, [Span(shown(title), "title")], level=1))
    document.headings.append(Heading(0, 1, "", blocks[0].text))
    if authors:
        names = ", ".join(authors[:20]) + (" et al." if len(authors) > 20 else "")
        blocks.append(Block(Kind.PARAGRAPH, [Span(shown(names), "em")]))
    document.notices.append(notice)
    blocks.append(Block(Kind.NOTICE, [Span(notice, "notice")]))
    document.headings.append(Heading(len(blocks), 2, "", "Abstract"))
    blocks.append(Block(Kind.HEADING, [Span("Abstract", "h2")], level=2))
    paragraphs = shown_paragraphs(abstract) or ["(no abstract)"]
    blocks.extend(Block(Kind.PARAGRAPH, [Span(p)]) for p in paragraphs)
    if links:
        document.headings.append(Heading(len(blocks), 2, "", "Links"))
        blocks.append(Block(Kind.HEADING, [Span("Links", "h2")], level=2))
        for label, url in links:
            number = len(document.links) + 1
            document.links.append(Link(number, url, label, safe_url(url) is not None))
            spans = [
                Span(f"{label}: "),
                Span(url, "link", number),
                Span(f"[{number}]", "link-num", number),
            ]
            blocks.append(Block(Kind.PARAGRAPH, spans, depth=1, marker="•"))
    return document
