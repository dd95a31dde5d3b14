"""What the reader copies or saves as BibTeX or Markdown: the highlighted paper, the bookmarks,
or exactly the papers of the current view or search (its view, day, filters, search and order).

A scope is a query and an order for `Service.export_papers`, the words that name it in menus
and messages, the Markdown list's heading and a default file name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .latex import shown
from .query import Is, PaperIds, Query
from .views import ReaderQuery

ScopeKind = Literal["paper", "bookmarks", "view"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("paper", "bookmarks", "view")
ExportFormat = Literal["bibtex", "markdown"]
FORMAT_NAMES: dict[ExportFormat, str] = {"bibtex": "BibTeX", "markdown": "Markdown"}
EXTENSIONS: dict[ExportFormat, str] = {"bibtex": ".bib", "markdown": ".md"}
SLUG_LENGTH = 40


@dataclass(frozen=True)
class ExportScope:
    kind: ScopeKind
    where: Query
    sort: str
    label: str  # "this paper", "bookmarks", "this view", "this search"
    detail: str  # which: the paper's id, the view as the status line names it
    heading: str | None  # of the Markdown list (None: the paper's line alone)
    stem: str  # the default file name, without its extension
    paper_id: str | None = None  # of the one paper, for "this paper"
    short: str = ""  # `detail` for a menu line (the view without its order)

    def file_name(self, fmt: ExportFormat) -> str:
        return self.stem + EXTENSIONS[fmt]


def paper_scope(paper_id: str, title: str = "") -> ExportScope:
    return ExportScope(
        "paper",
        PaperIds((paper_id,)),
        "date",
        "this paper",
        f"{paper_id} · {shown(title)}" if title.strip() else paper_id,
        None,
        "papertui-" + re.sub(r"[^A-Za-z0-9.-]", "_", paper_id),
        paper_id,
    )


def bookmarks_scope(today: date) -> ExportScope:
    """Every bookmarked paper, newest first (as `papertui export --bookmarked`)."""
    return ExportScope(
        "bookmarks",
        Is("bookmarked"),
        "date",
        "bookmarks",
        "every bookmarked paper, newest first",
        "Bookmarks",
        f"papertui-bookmarks-{today.isoformat()}",
    )


def view_scope(rq: ReaderQuery, today: date) -> ExportScope:
    """The papers the list shows, in its order; QueryError when the search can't be understood."""
    where = rq.filter()
    described = rq.describe(with_sort=False)
    return ExportScope(
        "view",
        where,
        rq.order,
        "this search" if rq.text.strip() else "this view",
        rq.describe(),
        "Papers: " + described,
        _view_stem(rq, today),
        short=described,
    )


def _view_stem(rq: ReaderQuery, today: date) -> str:
    view = rq.view
    if rq.paper_id is not None:
        parts = [re.sub(r"[^A-Za-z0-9.-]", "_", rq.paper_id)]
    elif rq.text.strip():
        parts = ["search", slug(rq.text) or "results", today.isoformat()]
    elif rq.bookmarks_only:
        parts = ["bookmarks", today.isoformat()]
    elif view.kind == "all" or view.anchor is None:
        parts = ["all", today.isoformat()]
    elif view.kind == "day":
        parts = [view.anchor.isoformat()]
    elif view.kind == "week":
        year, week, _ = view.anchor.isocalendar()
        parts = [f"{year}-W{week:02d}"]
    else:
        parts = [f"{view.anchor:%Y-%m}"]
    if rq.unread_only:
        parts.append("unread")
    return "-".join(["papertui", *parts])


def slug(text: str, length: int = SLUG_LENGTH) -> str:
    """Search text as a file name part: `author:lecun "world model"` is `author-lecun-world-model`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > length:
            break
        out = candidate
    return out or (words[0][:length] if words else "")
