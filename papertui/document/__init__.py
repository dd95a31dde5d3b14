"""A paper's full text (Markdown from Hugging Face), parsed, laid out and searched.

No Textual or Rich here: the reader draws the laid-out lines with its own styles, the command
line prints them as plain or SGR-styled text (`render`).
"""

from .layout import Layout, Line, Run, lay_out
from .model import Block, Document, Heading, Kind, Link, Span
from .parse import Builder, parse
from .render import plain_text, styled_text
from .search import Hit, find, section_at

__all__ = [
    "Block",
    "Builder",
    "Document",
    "Heading",
    "Hit",
    "Kind",
    "Layout",
    "Line",
    "Link",
    "Run",
    "Span",
    "find",
    "lay_out",
    "parse",
    "plain_text",
    "section_at",
    "styled_text",
]
