"""The facts of one paper that both faces show (the CLI's `show`, the reader's detail pane), in
one order and with one wording, so the two never drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from .links import arxiv_abs_url, arxiv_pdf_url, hf_url, safe_url
from .models import StoredPaper


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    link: bool = False  # an http(s) URL: shown as a link, never anything else


def paper_facts(paper: StoredPaper) -> list[Fact]:
    """Every labelled fact of a paper that has a value; only http(s) URLs among the links."""
    facts = [
        Fact("Authors", ", ".join(paper.authors)),
        Fact("Organization", paper.organization or ""),
        Fact("arXiv", paper.id),
        Fact("Published", (paper.published_at or "")[:10]),
        Fact("Daily Papers", paper.day or ""),
        Fact("Upvotes", str(paper.upvotes)),
        Fact("Comments", str(paper.num_comments)),
        Fact("Tags", " ".join(f"#{tag}" for tag in paper.tags)),  # yours
    ]
    if repo := safe_url(paper.github_repo):
        facts.append(Fact("GitHub", repo, link=True))
        if paper.github_stars is not None:
            facts.append(Fact("GitHub stars", f"{paper.github_stars:,}"))
    facts += [
        Fact("Project page", safe_url(paper.project_page) or "", link=True),
        Fact("Hugging Face", hf_url(paper.id), link=True),
        Fact("arXiv page", arxiv_abs_url(paper.id), link=True),
        Fact("PDF", arxiv_pdf_url(paper.id), link=True),
    ]
    return [fact for fact in facts if fact.value]
