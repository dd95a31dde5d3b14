"""The detail pane: one paper in full, every field as literal text (never markup), scrollable."""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...facts import paper_facts
from ...latex import shown, shown_paragraphs
from ...models import StoredPaper
from ...text import strip_controls
from ..actions import bindings


def _literal(text: str | None) -> str:
    """Untrusted text, safe for the terminal: no controls, no escapes (Rich sees no markup in Text)."""
    return strip_controls(text or "")


class PaperDetail(VerticalScroll, can_focus=True):
    ALLOW_MAXIMIZE = True  # on narrow terminals Enter reads the paper full screen
    BINDINGS = bindings("detail")

    class Back(Message):
        """The reader is done with this paper (Esc): restore the layout, focus the list."""

    class Finished(Message):
        """Space at the end of the paper: mark it read and go on to the next unread one."""

    class Step(Message):
        """J / K while reading: the next or previous paper of the list."""

        def __init__(self, direction: int):
            super().__init__()
            self.direction = direction

    COMPONENT_CLASSES = {
        "detail--title",
        "detail--label",
        "detail--muted",
        "detail--link",
        "detail--section",
        "detail--match",
    }

    # A longer note is shown up to here (laying out a megabyte of Markdown takes seconds); the
    # note editor holds all of it.
    NOTE_SHOWN = 20_000

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.paper: StoredPaper | None = None
        self.placeholder = "Select a paper to read it here."
        self.highlight: re.Pattern[str] | None = None  # the words a search looks for
        self.note_key = "e"  # the key of the note editor, as mapped (the app sets it)

    def compose(self):
        yield Static(id="detail-body")

    def on_mount(self) -> None:
        self.show_paper(None)
        self.app.theme_changed_signal.subscribe(
            self, lambda _theme: self.show_paper(self.paper, keep_scroll=True)
        )

    def show_paper(self, paper: StoredPaper | None, keep_scroll: bool = False) -> None:
        changed = paper is None or self.paper is None or paper.id != self.paper.id
        self.paper = paper
        body = self.query_one("#detail-body", Static)
        body.update(
            self.render_paper(paper)
            if paper
            else Text(self.placeholder, self._style("detail--muted"))
        )
        if changed and not keep_scroll:
            self.scroll_home(animate=False)

    def action_page_or_next(self) -> None:
        if self.scroll_y >= self.max_scroll_y:
            self.post_message(self.Finished())
        else:
            self.scroll_page_down(animate=False)

    def action_next_paper(self, direction: int) -> None:
        self.post_message(self.Step(direction))

    def action_back(self) -> None:
        if self.screen.maximized is self:
            self.screen.minimize()
        self.post_message(self.Back())

    def _style(self, name: str):
        return self.get_component_rich_style(name)

    def render_paper(self, paper: StoredPaper) -> Group:
        label, muted, link = (
            self._style("detail--label"),
            self._style("detail--muted"),
            self._style("detail--link"),
        )
        section = self._style("detail--section")
        head = Text(shown(paper.title) + "\n", self._style("detail--title"))
        state = ["● unread"] if not paper.read else []
        if paper.bookmarked:
            state.append("★ bookmarked")
        if state:
            head.append("  ".join(state) + "\n", link)

        fields = Table.grid(padding=(0, 1))
        fields.add_column(style=label, no_wrap=True)
        fields.add_column()

        for fact in paper_facts(paper):
            value = Text(_literal(fact.value), style=link if fact.link else "")
            fields.add_row(Text(fact.label), value if fact.link else self._marked(value))

        note = self._note(paper.notes, section, muted) if paper.notes else []
        tail = Text()
        if paper.ai_summary:
            tail.append("\nAI summary\n", section)
            tail.append(shown(paper.ai_summary) + "\n")
        if paper.ai_keywords:
            tail.append("\nKeywords\n", section)
            tail.append(_literal(", ".join(paper.ai_keywords)) + "\n", muted)
        tail.append("\nAbstract\n", section)
        abstract = "\n\n".join(shown_paragraphs(paper.abstract))  # paragraphs, a blank line apart
        tail.append(abstract or "(no abstract)", None if abstract else muted)
        return Group(self._marked(head), fields, *note, self._marked(tail))

    def _note(self, note: str, section, muted) -> list[RenderableType]:
        """Your note, rendered as Markdown: its text with controls and escape sequences removed
        and links shown as text (nothing in it is markup, a link or a command)."""
        text = strip_controls(note, keep_newlines=True).strip("\n")
        parts: list[RenderableType] = [Text("\nYour note", section)]
        cut = len(text) - self.NOTE_SHOWN
        if cut > 0:
            text = text[: self.NOTE_SHOWN]
        parts.append(Markdown(text, hyperlinks=False))
        if cut > 0:
            parts.append(
                Text(f"… {cut:,} more characters: {self.note_key} opens the whole note.", muted)
            )
        return parts

    def _marked(self, text: Text) -> Text:
        """The search's words marked where they occur in `text`."""
        if self.highlight is not None:
            text.highlight_regex(self.highlight, self._style("detail--match"))
        return text


def prepare_paper(paper: StoredPaper) -> None:
    """Convert the paper's LaTeX in the worker that loaded it (pylatexenc takes milliseconds on
    a long abstract); `show_paper` on the UI thread then finds the results cached."""
    shown(paper.title)
    shown(paper.ai_summary)
    shown_paragraphs(paper.abstract)
