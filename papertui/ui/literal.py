"""Outside text on the screen: shown as typed, never parsed as Textual markup.

Server errors, paths, config values and search text reach notifications, border titles and
labels. Parsed as markup, `[@click=app.screenshot(...)]` becomes a button that overwrites a file
and `[/]` a MarkupError that kills the reader, so every such string goes through `literal`.
"""

from __future__ import annotations

from textual.content import Content

from ..text import strip_controls


def plain(text: object) -> str:
    """Untrusted text with escape sequences and control characters removed (newlines kept)."""
    return strip_controls("" if text is None else str(text), keep_newlines=True)


def literal(text: object) -> Content:
    """Untrusted text as Content: Textual shows it character for character."""
    return Content(plain(text))
