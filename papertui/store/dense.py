"""The first windows of a search for words that most papers hold, read along the sort order.

A search with words asks the full-text index for every match, and the sort index then probes
that list. For a word in most papers this is nearly all of the cost: `model`, a prefix of words
in 910,892 of a million papers, takes ~140 ms to list (FTS5 merges the doclists of every word
starting with it) and ~90 ms more to hold the list for probing, whichever 200 rows are shown.

The first window needs only the first few hundred matches in the sort order. So the papers
meeting the rest of the query (`Where.rest`) are read in the sort order, a batch at a time; each
batch is put into a small contentless FTS5 table in `temp` (this connection's own database) with
the index's columns and tokenizer, and the words are matched there. Whether a paper matches a
full-text expression depends on that paper's text alone (bm25, which does depend on the whole
index, plays no part in these orders), so the matches found are exactly those the index gives,
in exactly the order the usual statement gives them.

Checking a paper costs ~115 µs; listing a match ~0.25 µs. A first batch (`SAMPLE` papers) says
how dense the words are, and the path goes on only when checking the papers it needs costs less
than listing every match would; otherwise (rare words, small caches) the usual statement runs
and the sample is the only cost. A density that falls away after the sample (words common among
the first papers only) is given up at twice the papers it was expected to need.
"""

from __future__ import annotations

import math
import re
import sqlite3

from .search import SORTS, Where

SAMPLE = 64  # papers checked first, to tell how dense the words are
MAX_NEED = 1_000  # windows ending deeper come from the index as before
MAX_BATCH = 500  # papers put into the probe table at a time
CHECK_US = 115.0  # to check one paper (1M papers: 250 in 28.6 ms)
LIST_US = 0.25  # to list one match and probe it from the sort index (1M: 910,892 in 237 ms)
# The densest words make checking cheapest; below this density it never pays, so a cache too
# small to pay even at this density is not sampled at all.
WORTH_SAMPLING = 0.5
_PROBE = "dense_probe"
_COLUMNS = "title, abstract, authors, ai_keywords, ai_summary, organization, notes"
_TOKENIZE = re.compile(r"tokenize\s*=\s*'([^']*)'", re.IGNORECASE)


def worth_sampling(need: int, papers: int) -> bool:
    """Whether the path could pay for `need` rows among `papers` papers, were the words as dense
    as `WORTH_SAMPLING`: never below ~370,000 papers for a window of 200."""
    return CHECK_US * need / WORTH_SAMPLING < LIST_US * WORTH_SAMPLING * papers


class DenseWindows:
    """Windows of a search checked paper by paper on one connection (the caller holds its
    lock); see the module's note."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._probe: bool | None = None  # made yet (None: not tried; False: can't be)

    def window(self, where: Where, sort: str, offset: int, limit: int) -> list[int] | None:
        """The row keys of rows `offset` to `offset + limit` of `where` in `sort`, or None when
        the usual statement is the cheaper way (or this can't be done)."""
        need = offset + limit
        if where.rank is None or sort in ("relevance", "rising") or sort not in SORTS:
            return None  # relevance is bm25's order; rising puts the papers that gained first
        if not 0 < need <= MAX_NEED:
            return None
        papers = self._papers()
        if not worth_sampling(need, papers) or not self._ready():
            return None
        rest = where.rest or Where("1")
        join = "LEFT JOIN user_state u ON u.paper_id = p.id" if rest.uses_user else ""
        candidates = self.conn.execute(
            f"SELECT p.pk FROM papers p {join} WHERE {rest.sql} ORDER BY {SORTS[sort]}",
            rest.params,
        )
        try:
            found = self._walk(candidates, where.rank, need, papers)
        finally:
            candidates.close()
        return None if found is None else found[offset:need]

    def _walk(
        self, candidates: sqlite3.Cursor, expression: str, need: int, papers: int
    ) -> list[int] | None:
        found: list[int] = []
        checked, batch, budget = 0, SAMPLE, None
        while len(found) < need:
            pks = [pk for (pk,) in candidates.fetchmany(batch)]
            if not pks:
                break  # every paper meeting the rest was checked: the window is complete
            found += self._matching(pks, expression)
            checked += len(pks)
            if len(found) >= need:
                break
            density = len(found) / checked
            if budget is None:  # the sample: is this cheaper than listing every match?
                if density == 0 or CHECK_US * need / density >= LIST_US * density * papers:
                    return None
                budget = 2 * need / density
            elif checked >= budget:
                return None  # the words thinned out after the first papers
            wanted = math.ceil((need - len(found)) / density * 1.1) + 8
            batch = max(1, min(MAX_BATCH, wanted))
        return found[:need]

    def _matching(self, pks: list[int], expression: str) -> list[int]:
        """Which of these papers the expression matches, in their order."""
        self.conn.execute(f"INSERT INTO temp.{_PROBE} ({_PROBE}) VALUES ('delete-all')")
        self.conn.execute(
            f"INSERT INTO temp.{_PROBE} (rowid, {_COLUMNS}) SELECT pk, {_COLUMNS} "
            f"FROM papers_text WHERE pk IN ({', '.join('?' * len(pks))})",
            pks,
        )
        matched = {
            pk
            for (pk,) in self.conn.execute(
                f"SELECT rowid FROM temp.{_PROBE} WHERE {_PROBE} MATCH ?", (expression,)
            )
        }
        return [pk for pk in pks if pk in matched]

    def _papers(self) -> int:
        """About how many papers the cache holds (the highest row key: no count needed)."""
        return self.conn.execute("SELECT COALESCE(max(pk), 0) FROM papers").fetchone()[0]

    def _ready(self) -> bool:
        """The probe table, made once per connection with the index's own tokenizer."""
        if self._probe is None:
            row = self.conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'papers_fts'"
            ).fetchone()
            found = _TOKENIZE.search(row[0]) if row and row[0] else None
            if found is None:
                self._probe = False  # an index this module does not know how to mirror
            else:
                self.conn.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_PROBE} USING fts5({_COLUMNS}, "
                    f"content = '', tokenize = '{found.group(1)}')"
                )
                self._probe = True
        return self._probe
