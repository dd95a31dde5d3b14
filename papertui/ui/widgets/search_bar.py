"""The search bar: an Input whose Esc clears the query and hands focus back to the list."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Input

from ..actions import bindings

PLACEHOLDER = (
    'Search  (words, "phrase", -word, author: org: title: is:unread date:2026-05 upvotes:>50)'
)


class SearchBar(Input):
    BINDINGS = bindings("search")

    class Cleared(Message):
        pass

    def __init__(self, **kwargs):
        super().__init__(placeholder=PLACEHOLDER, **kwargs)

    def action_clear_and_leave(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())
