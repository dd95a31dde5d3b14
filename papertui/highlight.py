"""Which words of a text a search matched, to show them highlighted (list titles, detail pane).

Built from the query's syntax tree, not its text: the words it looks for (not those it excludes),
as prefixes where the search matches prefixes, case-insensitively, at word starts as FTS5 does.
"""

from __future__ import annotations

import re

from .query import And, Not, Or, Query, Words


def words_sought(query: Query) -> list[Words]:
    """The Words nodes a paper must (or may) contain: not those under a Not."""
    if isinstance(query, Words):
        return [query]
    if isinstance(query, And | Or):
        return [w for term in query.terms for w in words_sought(term)]
    if isinstance(query, Not):
        return []
    return []


def match_pattern(query: Query) -> re.Pattern[str] | None:
    """A regex finding every sought word in displayed text, or None when nothing is sought."""
    parts: set[str] = set()
    for node in words_sought(query):
        if node.field in ("organization", "notes"):  # not shown where marks are drawn
            continue
        for index, word in enumerate(node.words):
            last = index == len(node.words) - 1
            tail = r"\w*" if (node.prefix and last) else r"\b"
            parts.add(r"\b" + re.escape(word) + tail)
    if not parts:
        return None
    # longest first, so "diffusion" wins over "diff" where both are sought
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def spans(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """(start, end) of each match in `text`."""
    if pattern is None or not text:
        return []
    return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]
