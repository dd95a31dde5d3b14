"""The search bar: an Input whose Esc clears the query and hands focus back to the list."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

PLACEHOLDER = (
    'Search  (words, "phrase", -word, author: org: title: is:unread date:2026-05 upvotes:>50)'
)


class SearchBar(Input):
    BINDINGS = [Binding("escape", "clear_and_leave", "Clear search", id="search.clear")]

    class Cleared(Message):
        pass

    def __init__(self, **kwargs):
        super().__init__(placeholder=PLACEHOLDER, **kwargs)

    def action_clear_and_leave(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())
