"""A stand-in for the service's full-text methods (the `FullTextSource` the reading screen is
written against), for pilot tests, snapshots and screenshots."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from papertui.errors import PapertuiError

FULLTEXT_FIXTURES = Path(__file__).parent / "fixtures" / "fulltext"
PAPER_MD = (FULLTEXT_FIXTURES / "paper-rendering.md").read_text(encoding="utf-8")


@dataclass
class FakeFullText:
    paper_id: str
    markdown: str
    fallback: bool = False
    fetched_at: str = "2026-05-18T10:00:00Z"
    size: int = 0


@dataclass
class FakeSource:
    """Full texts in a dict; `remote` is what a fetch finds (a text, an exception, or nothing)."""

    texts: dict[str, FakeFullText] = field(default_factory=dict)
    remote: dict[str, object] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    offline: bool = True
    fetches: list[str] = field(default_factory=list)
    gate: threading.Event | None = None  # a fetch waits for it (to see the loading state)
    any_text: str | None = None  # every paper's text, when set
    any_fallback: bool = False

    def full_text(self, paper_id: str) -> FakeFullText | None:
        if paper_id in self.texts:
            return self.texts[paper_id]
        if self.any_text is not None:
            return FakeFullText(paper_id, self.any_text, self.any_fallback)
        return None

    def fetch_full_text(self, paper_id, *, force=False, cancel=None) -> FakeFullText:
        self.fetches.append(paper_id)
        if self.gate is not None:
            self.gate.wait(5)
        found = self.remote.get(paper_id)
        if isinstance(found, Exception):
            raise found
        if found is None:
            raise PapertuiError("nothing there")
        assert isinstance(found, FakeFullText)
        self.texts[paper_id] = found
        return found

    def reading_position(self, paper_id: str) -> int | None:
        return self.positions.get(paper_id)

    def save_reading_position(self, paper_id: str, block: int) -> None:
        self.positions[paper_id] = block


def with_text(
    app, markdown: str | None = PAPER_MD, *, fallback: bool = False, **source
) -> FakeSource:
    """Give every paper of the reader this full text (None: no paper has one)."""
    fake = FakeSource(any_text=markdown, any_fallback=fallback, **source)
    app.full_texts.source = fake
    return fake
