"""The `?` help screen: every key the reader answers to, as currently mapped (keymap included)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

QUERY_HELP = [
    (
        "words",
        "all words, in title, abstract, authors, AI keywords/summary, organization, your note",
    ),
    ('"a phrase"', "the exact phrase"),
    ("-word", "without the word (works on any term)"),
    ("author: org: title:", "the word in that field"),
    ("is:unread is:read is:bookmarked", "your reading state"),
    ("is:new", "arrived since your last session (✦ in the list)"),
    ("has:code", "a GitHub repo is known"),
    ("date:2026-05-08  date:2026-05  date:A..B", "Daily Papers day or range"),
    ("upvotes:>50  upvotes:10..50", "upvote count"),
    ("a OR b", "either (OR in capitals; it binds looser than the space: a b OR c = (a b) OR c)"),
    ("(diffusion OR flow) video", "parentheses group terms; -(a OR b) leaves both out"),
    ("s while searching", "sort: relevance (title counts most), upvotes, rising, newest, title"),
    ("tag:ml  -tag:ml  has:tag", "your tags (names are case-folded: tag:ML is tag:ml)"),
    ("note:word  has:note", "words in your notes (plain words look there too)"),
    (
        'text:word  text:"a phrase"',
        "in the paper's cached full text (plain words never look there)",
    ),
    ("has:text  -has:text", "the full text is cached, or not (f reads it; papertui fetch)"),
]
MARKS_HELP = [
    ("● ★ ✎", "unread, bookmarked, you have a note on it"),
    ("✦", "new: arrived since your last session (is:new)"),
    ("◆", "gained a GitHub repo or project page since you last opened it (before ✎)"),
    ("+23", "upvotes gained in the last 24 h, or since the sync before the last (sort: rising)"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]]):
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("papertui — keys", style="bold"), id="help-title")
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True)
            table.add_column()
            for key, description in self.keys:
                table.add_row(Text(key), Text(description))
            yield Static(table)
            yield Static(Text("\nSearch language", style="bold"))
            query = Table.grid(padding=(0, 2))
            query.add_column(style="bold", no_wrap=True)
            query.add_column()
            for syntax, meaning in QUERY_HELP:
                query.add_row(Text(syntax), Text(meaning))
            yield Static(query)
            yield Static(Text("\nMarks in the list", style="bold"))
            marks = Table.grid(padding=(0, 2))
            marks.add_column(style="bold", no_wrap=True)
            marks.add_column()
            for mark, meaning in MARKS_HELP:
                marks.add_row(Text(mark), Text(meaning))
            yield Static(marks)
            yield Static(Text("\nEsc, q or ? closes this screen.", style="dim"))

    def action_scroll(self, direction: int) -> None:
        box = self.query_one("#help-box", VerticalScroll)
        box.scroll_relative(y=direction, animate=False)
