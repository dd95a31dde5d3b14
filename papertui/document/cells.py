"""How many terminal cells text takes: East Asian wide and fullwidth characters take two,
combining marks none. The reader passes Rich's own measure instead (what Textual draws with);
this one serves the command line and any face without Rich."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

Measure = Callable[[str], int]


@lru_cache(maxsize=8192)
def _char_cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(_char_cells(char) for char in text)


def cut_to_cells(text: str, cells: int, measure: Measure = cell_len) -> tuple[str, str]:
    """`text` split where it fills `cells` (at least one character goes first, so a
    character wider than `cells` still moves on)."""
    if measure is cell_len and text.isascii():
        return text[:cells], text[cells:]
    used = 0
    for index, char in enumerate(text):
        width = measure(char)
        if used + width > cells and index > 0:
            return text[:index], text[index:]
        used += width
    return text, ""
